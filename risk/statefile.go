package risk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"unicode/utf8"
)

// StateFileSize is the fixed size of a trading-state file. Every record
// fills it exactly, so that once the first record is written (at start-up)
// every later one overwrites blocks the file already holds: recording a
// halt takes no new space, and works on a full disk.
const StateFileSize = 4096

// stateFileReasonMax bounds the reason a record keeps, in bytes: with
// the rest of the record it fits StateFileSize whatever JSON escapes.
const stateFileReasonMax = 600

// StateFile keeps the trading state in a small file of its own beside the
// journal. The journal stores the state too, but a journal that cannot
// write (a full disk) cannot store the halt that its failure causes: a
// restart would start ACTIVE. The state file's record is written in place
// (one write at offset 0 of StateFileSize bytes, then fsync) over bytes
// written at start-up, so it needs no new blocks on a filesystem that
// overwrites in place (ext4, xfs, tmpfs; not a copy-on-write one such as
// btrfs or ZFS, where an overwrite allocates). Its methods may be called
// from several goroutines.
//
// A record is the state as JSON (StateInfo) on the first line, its CRC-32
// on the second, padded with spaces to StateFileSize: an operator can read
// it with cat, and a record torn by a crash is told from a good one.
type StateFile struct {
	path string
	mu   sync.Mutex
	f    *os.File // guarded by mu
}

// OpenStateFile opens the trading-state file at path, creating it (mode
// 0600) if it does not exist. A new file is empty until Record.
func OpenStateFile(path string) (*StateFile, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, stateFileError(path, err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// The new name must survive a crash as the records will.
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, stateFileError(path, err)
		}
	}
	return &StateFile{path: path, f: f}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Read returns the state the file records; ok is false when it records
// none yet (a new file). A record that does not read back (torn by a
// crash, edited, a file of another size) is an error naming the file.
func (s *StateFile) Read() (info StateInfo, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.f.Stat()
	if err != nil {
		return StateInfo{}, false, stateFileError(s.path, err)
	}
	if st.Size() == 0 {
		return StateInfo{}, false, nil
	}
	if st.Size() != StateFileSize {
		return StateInfo{}, false, fmt.Errorf("trading-state file %s: %d bytes, want %d", s.path, st.Size(), StateFileSize)
	}
	buf := make([]byte, StateFileSize)
	if _, err := s.f.ReadAt(buf, 0); err != nil {
		return StateInfo{}, false, stateFileError(s.path, err)
	}
	if !slices.ContainsFunc(buf, func(b byte) bool { return b != 0 }) {
		// Sized but never written: a crash during the first record.
		return StateInfo{}, false, nil
	}
	info, err = parseStateRecord(buf)
	if err != nil {
		return StateInfo{}, false, stateFileError(s.path, err)
	}
	return info, true, nil
}

// parseStateRecord reads a record made by stateRecord.
func parseStateRecord(buf []byte) (StateInfo, error) {
	body, rest, ok := bytes.Cut(buf, []byte{'\n'})
	if !ok {
		return StateInfo{}, errors.New("the record has no line end")
	}
	sum, _, ok := bytes.Cut(rest, []byte{'\n'})
	if !ok {
		return StateInfo{}, errors.New("the record has no checksum line")
	}
	if want := fmt.Sprintf("crc32 %08x", crc32.ChecksumIEEE(body)); string(sum) != want {
		return StateInfo{}, errors.New("the record's checksum does not match (torn by a crash, or edited)")
	}
	var info StateInfo
	if err := json.Unmarshal(body, &info); err != nil {
		return StateInfo{}, fmt.Errorf("the record does not decode: %w", err)
	}
	info.Rule = knownRule(info.Rule)
	return info, nil
}

// Record writes info over the file's record and waits until it is on the
// disk. Only the first record of a new file takes space.
func (s *StateFile) Record(info StateInfo) error {
	rec, err := stateRecord(info)
	if err != nil {
		return stateFileError(s.path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.WriteAt(rec, 0); err != nil {
		return stateFileError(s.path, err)
	}
	// A file that had grown (written by something else) is cut back, so
	// that it reads again; shrinking takes no space.
	if st, err := s.f.Stat(); err != nil || st.Size() != StateFileSize {
		if err := s.f.Truncate(StateFileSize); err != nil {
			return stateFileError(s.path, err)
		}
	}
	if err := s.f.Sync(); err != nil {
		return stateFileError(s.path, err)
	}
	return nil
}

// stateRecord is info as a record of StateFileSize bytes.
func stateRecord(info StateInfo) ([]byte, error) {
	info.Reason = cutReason(info.Reason, stateFileReasonMax)
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(info); err != nil {
		return nil, err
	}
	line := bytes.TrimSuffix(body.Bytes(), []byte{'\n'})
	sum := fmt.Sprintf("crc32 %08x", crc32.ChecksumIEEE(line))
	rec := make([]byte, 0, StateFileSize)
	rec = append(rec, line...)
	rec = append(rec, '\n')
	rec = append(rec, sum...)
	rec = append(rec, '\n')
	if len(rec) > StateFileSize {
		return nil, fmt.Errorf("the record takes %d bytes, more than %d", len(rec), StateFileSize)
	}
	rec = append(rec, bytes.Repeat([]byte{' '}, StateFileSize-len(rec)-1)...)
	return append(rec, '\n'), nil
}

// cutReason cuts s to at most n bytes on a character boundary, marking
// the cut.
func cutReason(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " [cut]"
	i := n - len(mark)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + mark
}

// Close closes the file.
func (s *StateFile) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

// RestoreState applies a state recorded outside the journal (a
// StateFile's) when it is stricter than the guard's: a restart starts in
// the stricter of the journal's and the file's states, so that a halt the
// journal could not store is kept. It reports whether it changed the
// state. Like Restore it runs at start-up, before the first Check.
func (g *Guard) RestoreState(info StateInfo) bool {
	g.mu.Lock()
	defer g.unlock()
	if info.State > Halted || info.State <= g.state {
		return false
	}
	g.set(info.State, knownRule(info.Rule), info.Reason)
	if !info.Since.IsZero() {
		g.stateSince, g.stateWall = info.Since, info.Since
	}
	return true
}

// stateFileError names the file in err once: an *os.PathError of the
// same file already names it ("open /x/trading_state: ..."), so its
// operation and cause are kept without the second path.
func stateFileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return fmt.Errorf("trading-state file %s: %s: %w", path, pe.Op, pe.Err)
	}
	return fmt.Errorf("trading-state file %s: %w", path, err)
}

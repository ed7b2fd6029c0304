package risk

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradebot/tradebot/internal/testenv"
)

func openStateFile(t *testing.T, path string) *StateFile {
	t.Helper()
	sf, err := OpenStateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sf.Close() })
	return sf
}

// TestStateFileKeepsTheLastRecordAtAFixedSize: a new file records
// nothing; each record replaces the last, reads back as written, and
// leaves the file at StateFileSize, so that only the first one takes
// space.
func TestStateFileKeepsTheLastRecordAtAFixedSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trading_state")
	sf := openStateFile(t, path)
	if _, ok, err := sf.Read(); ok || err != nil {
		t.Fatalf("a new file reads ok=%v err=%v, want nothing recorded", ok, err)
	}
	since := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	halted := StateInfo{State: Halted, Rule: RuleJournal, Reason: `the journal cannot write (intent: disk full <sqlite>); free "state_dir"`, Since: since}
	for _, info := range []StateInfo{{State: Active, Rule: RuleManual, Since: since}, halted,
		{State: Halted, Rule: RuleKillSwitch, Reason: strings.Repeat("é\x01", 5000), Since: since}, halted} {
		if err := sf.Record(info); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != StateFileSize {
			t.Fatalf("the file holds %d bytes, want %d", st.Size(), StateFileSize)
		}
		got, ok, err := openStateFile(t, path).Read()
		if err != nil || !ok {
			t.Fatalf("read back: ok=%v err=%v", ok, err)
		}
		if len(info.Reason) > stateFileReasonMax {
			if !strings.HasSuffix(got.Reason, "[cut]") || len(got.Reason) > stateFileReasonMax {
				t.Fatalf("a long reason read back as %d bytes ending %q", len(got.Reason), got.Reason[len(got.Reason)-10:])
			}
			continue
		}
		if got.State != info.State || got.Rule != info.Rule || got.Reason != info.Reason || !got.Since.Equal(info.Since) {
			t.Fatalf("read back %+v, want %+v", got, info)
		}
	}
}

// TestADamagedStateFileIsAnError: a record torn by a crash or edited by
// hand does not read back as a state; a file sized but never written
// records nothing; the next record mends a file of another size.
func TestADamagedStateFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trading_state")
	sf := openStateFile(t, path)
	if err := sf.Record(StateInfo{State: Halted, Rule: RuleJournal, Reason: "disk full"}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, mangle := range map[string]func([]byte) []byte{
		"an edited state": func(b []byte) []byte { return []byte(strings.Replace(string(b), "HALTED", "ACTIVE", 1)) },
		"a torn record":   func(b []byte) []byte { copy(b[10:], make([]byte, 40)); return b },
		"another size":    func(b []byte) []byte { return b[:100] },
	} {
		if err := os.WriteFile(path, mangle(append([]byte(nil), raw...)), 0o600); err != nil {
			t.Fatal(err)
		}
		if info, ok, err := openStateFile(t, path).Read(); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s read as %+v ok=%v err=%v, want an error naming the file", name, info, ok, err)
		}
	}
	if err := os.WriteFile(path, make([]byte, StateFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := openStateFile(t, path).Read(); ok || err != nil {
		t.Errorf("a file of zeros reads ok=%v err=%v, want nothing recorded", ok, err)
	}
	// The next record (an operator's resume) mends a file of another size.
	if err := os.WriteFile(path, append(raw, raw...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := openStateFile(t, path).Record(StateInfo{State: Active, Rule: RuleManual}); err != nil {
		t.Fatal(err)
	}
	if info, ok, err := openStateFile(t, path).Read(); err != nil || !ok || info.State != Active {
		t.Errorf("a record over a file twice the size reads back %+v ok=%v err=%v", info, ok, err)
	}
}

// TestAHaltIsRecordedOnAFullDisk: on a real tmpfs filled to the last
// byte after the start-up record, a halt is still recorded and reads back
// (writing the journal's record there fails with ENOSPC).
func TestAHaltIsRecordedOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "mounting a tmpfs for a full disk needs root (or CAP_SYS_ADMIN): "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	path := filepath.Join(dir, "trading_state")
	sf := openStateFile(t, path)
	if err := sf.Record(StateInfo{State: Active, Rule: RuleManual}); err != nil {
		t.Fatal(err)
	}
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer filler.Close()
	for buf := make([]byte, 4096); ; {
		if _, err := filler.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "journal-like"), make([]byte, 4096), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("the disk is not full: a new write gave %v", err)
	}
	want := StateInfo{State: Halted, Rule: RuleJournal, Reason: "the journal cannot write: disk full"}
	if err := sf.Record(want); err != nil {
		t.Fatalf("recording the halt on a full disk: %v", err)
	}
	got, ok, err := openStateFile(t, path).Read()
	if err != nil || !ok || got.State != Halted || got.Rule != RuleJournal || got.Reason != want.Reason {
		t.Fatalf("read back %+v ok=%v err=%v, want the halt", got, ok, err)
	}
}

// TestRestoreStateTakesOnlyAStricterState: the state file's record
// applies when it is stricter than the journal's (a halt the journal
// could not store), never to lift one, and keeps the halt's time.
func TestRestoreStateTakesOnlyAStricterState(t *testing.T) {
	since := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	f := newFixture(t, nil)
	if f.g.RestoreState(StateInfo{State: Active, Rule: RuleManual}) {
		t.Fatal("ACTIVE over ACTIVE changed the state")
	}
	if !f.g.RestoreState(StateInfo{State: Halted, Rule: RuleJournal, Reason: "disk full", Since: since}) {
		t.Fatal("HALTED over ACTIVE was not applied")
	}
	info := f.g.StateInfo()
	if info.State != Halted || info.Rule != RuleJournal || info.Reason != "disk full" || !info.Since.Equal(since) {
		t.Fatalf("state %+v after restoring the halt", info)
	}
	if f.g.RestoreState(StateInfo{State: Active, Rule: RuleManual}) || f.g.State() != Halted {
		t.Fatal("an ACTIVE record lifted the halt")
	}
	f.g.SetState(Reducing, "operator")
	if !f.g.RestoreState(StateInfo{State: Halted, Rule: "no such rule"}) || f.g.StateInfo().Rule != RuleManual {
		t.Fatalf("an unknown rule restored as %q, want %q", f.g.StateInfo().Rule, RuleManual)
	}
}

// An error about the file names it once, with what failed: the OS's own
// error names the path too, and the user read it twice.
func TestAStateFileErrorNamesTheFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trading_state")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStateFile(path)
	if err == nil {
		s.Close()
		t.Fatal("a directory opened as the trading-state file")
	}
	if n := strings.Count(err.Error(), path); n != 1 {
		t.Errorf("the error names %s %d times: %v", path, n, err)
	}
	if !errors.Is(err, syscall.EISDIR) {
		t.Errorf("the error lost its cause: %v", err)
	}
	t.Log(err)
}

// Package journal is the daemon's memory across crashes: a SQLite file in
// WAL mode that holds every order from the moment it is decided (before the
// request leaves), every fill exactly once, positions, round trips, the
// state of exits, strategies and risk counters, the client-order-id
// counters and the reconciliation reports.
//
// The order path writes an intent before the request is sent
// (RecordIntent, durable with synchronous=FULL), then each change the venue
// reports (UpdateOrder) and each fill (RecordFill, idempotent by trade id).
// After a crash, InFlight lists the orders whose outcome is unknown or
// still open, so the engine resolves them with the venue by client order
// id instead of placing them again (docs/INVARIANTS.md invariant 2).
//
// docs/JOURNAL.md describes what is stored, the durability choices and how
// to recover from a damaged file.
package journal

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/clock"

	"modernc.org/sqlite"
)

// Journal is an open journal file. Its methods are safe for concurrent
// use; writes are serialised by SQLite's single writer, and by writeMu
// within this process so that the two write connections never wait on
// each other's file lock.
type Journal struct {
	path string
	// program is the name the user runs the program under, for the
	// commands a damaged-file error tells them to run (Options.Program).
	program string
	// normal is the connection most writes and all reads use, with
	// synchronous=NORMAL: a commit survives a crash of the process, and a
	// power loss may undo the last commits but never corrupts the file.
	normal *sql.DB
	// full has synchronous=FULL: a commit is on stable storage when it
	// returns. Intents and counter reservations use it (through writer),
	// because after a power loss an order that left for the venue must
	// still be known. It is nil for a read-only journal and with
	// Options.RelaxedIntents.
	full *sql.DB
	// writeMu serialises writers across normal and full.
	writeMu sync.Mutex
	// fillSeq is the number RecordFill gave last (fills.seq), guarded by
	// writeMu: fills are numbered in the order they are written, which
	// writeMu makes the order they commit.
	fillSeq uint64
	lock    *fileLock
	stmts   statements
	// batchStmts are batchWrites prepared on normal, by SQL text; nil in
	// a read-only journal.
	batchStmts map[string]*sql.Stmt
	// unpreparedExecs counts Batch.exec calls whose SQL was not among
	// batchWrites (tests keep it at zero).
	unpreparedExecs atomic.Int64
	seq             seqCache
	// clock stamps the journal's own times (intent, change, record); set
	// by UseClock before the journal is shared.
	clock clock.Clock
}

// UseClock makes the journal stamp its records with c instead of the wall
// clock, so that a test can fix the times it reads back; the daemon keeps
// the wall clock (docs/INVARIANTS.md invariant 8). Call it right after
// Open, before other calls.
func (j *Journal) UseClock(c clock.Clock) { j.clock = c }

func (j *Journal) now() time.Time { return j.clock.Now() }

// Open opens the journal at path, creating the file (and its directory,
// mode 0700) if absent, and migrates it to the current schema. It refuses
// a file that fails SQLite's integrity check, that is not a SQLite
// database, or whose schema is newer than this program knows; the error
// names the file, says what is wrong and how to recover (docs/JOURNAL.md).
// Only one process may have a journal open with Open at a time
// (ErrInUse); OpenReadOnlyWith is for readers such as `tradebot positions`.
func Open(path string) (*Journal, error) {
	return OpenWith(path, Options{})
}

// Options change how Open treats the file. The zero value is right for
// live trading.
type Options struct {
	// RelaxedIntents commits intents and client-order-id blocks with
	// synchronous=NORMAL like every other write, which saves an fsync per
	// order (see BenchmarkRecordIntent). Only for paper trading and
	// backtests, whose venue is the in-process simulator that a power
	// loss wipes anyway; never for live trading, where after a power loss
	// an order could exist on the venue that the journal forgot.
	RelaxedIntents bool
	// Program is the program's name as the user ran it (mybot for a Go
	// program of one's own built on package cli), which the advice in a
	// damaged-file error uses for the commands it names; empty means
	// tradebot.
	Program string
}

// program is opt.Program, or tradebot when unset.
func (opt Options) program() string {
	if opt.Program == "" {
		return "tradebot"
	}
	return opt.Program
}

// OpenWith is Open with options.
func OpenWith(path string, opt Options) (*Journal, error) {
	if path == "" {
		return nil, errors.New("journal: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		err = create(path)
		if err != nil {
			lock.release()
			return nil, err
		}
	}
	if err := keepPrivate(path); err != nil {
		lock.release()
		return nil, err
	}
	j, err := open(path, false, opt)
	if err != nil {
		lock.release()
		return nil, err
	}
	j.lock = lock
	return j, nil
}

// keepPrivate makes the journal and its companion files readable by their
// owner only (0600): they hold the account's orders, fills and positions.
// A journal made by an older version with the umask's 0644 is tightened.
// SQLite creates the -wal and -shm files with the database file's mode.
func keepPrivate(path string) error {
	for _, f := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		st, err := os.Stat(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("journal %s: %w", path, err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(f, 0o600); err != nil {
				return fmt.Errorf("journal %s: make it readable by its owner only: %w", path, err)
			}
		}
	}
	return nil
}

// create makes a new journal at the current schema beside path and renames
// it into place, so that a crash during creation never leaves an empty or
// half-made file at path (which Open would rightly refuse as damaged): the
// next start finds no journal, or a whole one. The caller holds the lock.
func create(path string) error {
	tmp := path + ".new"
	for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("journal %s: remove a creation left over by a crash: %w", path, err)
		}
	}
	// An empty file is a new database to SQLite; made here, it has the
	// mode 0600 whatever the umask, and the WAL and SHM files follow it.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("journal %s: create: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("journal %s: create: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(tmp, "FULL", false))
	if err != nil {
		return fmt.Errorf("journal %s: create: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := migrateDB(db, path, 0, schemaVersion); err != nil {
		db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("journal %s: create: %w", path, err)
	}
	if err := renameIntoPlace(tmp, path); err != nil {
		return fmt.Errorf("journal %s: create: %w", path, err)
	}
	return nil
}

// renameIntoPlace moves a closed journal built at from to path and makes
// the rename durable.
func renameIntoPlace(from, path string) error {
	// Closing the last connection checkpoints the WAL into the file and
	// deletes it; a WAL left behind would hold part of the journal.
	if _, err := os.Stat(from + "-wal"); err == nil {
		return fmt.Errorf("the WAL of %s was not checkpointed", from)
	}
	if err := os.Rename(from, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// OpenReadOnlyWith opens an existing journal for reading only, without
// the process lock and without migrating. It checks integrity and the
// schema version like Open, so a reader never shows numbers from a damaged
// file. Of the options only Program matters to a reader.
func OpenReadOnlyWith(path string, opt Options) (*Journal, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return open(path, true, opt)
}

// writer returns the connection for writes that must be durable at
// commit. Without a FULL connection it is the NORMAL one; on a read-only
// journal every write then fails with SQLite's read-only error.
func (j *Journal) writer() *sql.DB {
	if j.full != nil {
		return j.full
	}
	return j.normal
}

func open(path string, readOnly bool, opt Options) (*Journal, error) {
	if err := checkHeader(path, opt.program()); err != nil {
		return nil, err
	}
	normal, err := sql.Open("sqlite", dsn(path, "NORMAL", readOnly))
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a single
	// connection keeps each prepared statement prepared once.
	normal.SetMaxOpenConns(1)
	j := &Journal{path: path, program: opt.program(), normal: normal, clock: clock.Wall{}}
	if !readOnly && !opt.RelaxedIntents {
		full, err := sql.Open("sqlite", dsn(path, "FULL", false))
		if err != nil {
			normal.Close()
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
		full.SetMaxOpenConns(1)
		j.full = full
	}
	if err := j.check(); err != nil {
		j.closeDBs()
		return nil, err
	}
	if readOnly {
		err = j.checkReadable()
	} else {
		err = j.migrate()
	}
	if err == nil {
		err = j.prepare()
		if err == nil && !readOnly {
			err = j.prepareBatchWrites()
		}
		if err != nil {
			err = fmt.Errorf("journal %s: prepare statements: %w", path, err)
		}
	}
	if err == nil && !readOnly {
		err = j.loadFillSeq()
	}
	if err != nil {
		j.stmts.close()
		j.closeBatchWrites()
		j.closeDBs()
		return nil, err
	}
	return j, nil
}

// dsn builds the modernc.org/sqlite connection string. busy_timeout lets
// a reader in another process (the CLI) and the daemon share the file;
// _txlock=immediate takes the write lock at BEGIN so that a transaction
// never fails half-way on a lock upgrade.
func dsn(path, synchronous string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+synchronous+")")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Close closes the journal and releases its lock. The WAL is checkpointed
// by SQLite when the last connection closes.
func (j *Journal) Close() error {
	j.stmts.close()
	j.closeBatchWrites()
	err := j.closeDBs()
	if j.lock != nil {
		j.lock.release()
		j.lock = nil
	}
	if err != nil {
		return fmt.Errorf("journal %s: close: %w", j.path, err)
	}
	return nil
}

func (j *Journal) closeDBs() error {
	var errs []error
	if j.full != nil {
		errs = append(errs, j.full.Close())
	}
	if j.normal != nil {
		errs = append(errs, j.normal.Close())
	}
	return errors.Join(errs...)
}

// ErrCorrupt is wrapped by the error Open returns for a damaged file.
var ErrCorrupt = errors.New("journal is damaged")

// recovery is appended to every damaged-file error so that the operator
// reading a log line knows what to do without finding the docs first;
// program is the name they run the program under.
func recovery(program string) string {
	return "recover: stop " + program + ", move the file and its -wal and -shm files aside (keep them for inspection), " +
		"then salvage what is readable into a new journal (" + program + " journal salvage DAMAGED NEW) or start with an empty one, which does not know " +
		"the positions the bot held: follow docs/JOURNAL.md, \"Recovering from a damaged journal\""
}

func (j *Journal) corrupt(what string) error {
	if hint := truncationHint(j.path); hint != "" {
		what = hint + "; " + what
	}
	return fmt.Errorf("journal %s: %w: %s; %s", j.path, ErrCorrupt, what, recovery(j.program))
}

// truncationHint compares the file's size with the size its header
// records, to tell the operator that a damaged file was cut short (a full
// disk, a copy interrupted) rather than overwritten.
func truncationHint(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return ""
	}
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	// The page count is valid only while the change counter matches the
	// version-valid-for number (SQLite file format, section 1.3.9).
	if binary.BigEndian.Uint32(h[24:28]) != binary.BigEndian.Uint32(h[92:96]) {
		return ""
	}
	if want := pages * pageSize; st.Size() < want {
		return fmt.Sprintf("truncated: the file has %d bytes but its header records %d pages of %d bytes (%d bytes)", st.Size(), pages, pageSize, want)
	}
	return ""
}

// checkHeader looks at the file before SQLite does. It rejects a file
// that exists but is empty (SQLite would treat it as a new database, and
// the journal it held would be silently forgotten) and one that does not
// start with SQLite's magic string (opening a foreign file in WAL mode
// fails with a less helpful message).
func checkHeader(path, program string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	defer f.Close()
	const magic = "SQLite format 3\x00"
	buf := make([]byte, len(magic))
	n, _ := io.ReadFull(f, buf)
	if n == 0 {
		return fmt.Errorf("journal %s: %w: the file exists but is empty (truncated?); %s", path, ErrCorrupt, recovery(program))
	}
	if string(buf[:n]) != magic {
		return fmt.Errorf("journal %s: %w: not a SQLite database (the header is wrong: overwritten, truncated or not a journal); %s", path, ErrCorrupt, recovery(program))
	}
	return nil
}

// check runs PRAGMA quick_check, which reads every page and verifies the
// b-tree structure in time linear in the file's size (milliseconds for a
// journal of a few megabytes).
func (j *Journal) check() error {
	rows, err := j.normal.QueryContext(context.Background(), "PRAGMA quick_check")
	if err != nil {
		return j.classify(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return j.classify(err)
		}
		if s != "ok" && len(problems) < 5 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return j.classify(err)
	}
	if len(problems) > 0 {
		return j.corrupt("integrity check failed: " + strings.Join(problems, "; "))
	}
	return nil
}

// classify turns SQLite's corruption codes into ErrCorrupt with advice and
// leaves other errors (permissions, a full disk) as they are.
func (j *Journal) classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 11: // SQLITE_CORRUPT
			return j.corrupt("SQLite reports the file is malformed (" + se.Error() + ")")
		case 26: // SQLITE_NOTADB
			return j.corrupt("not a SQLite database (" + se.Error() + ")")
		}
	}
	return fmt.Errorf("journal %s: %w", j.path, err)
}

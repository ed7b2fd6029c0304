package journal

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestJournalFilesAreReadableByTheirOwnerOnly: the journal holds the
// account's orders and positions; with the usual umask 022 it was 0644.
func TestJournalFilesAreReadableByTheirOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "journal.db")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.NextClientOrderSeq("s1"); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: state directory mode %v (%v), want 0700", when, st.Mode().Perm(), err)
		}
		for _, f := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
			st, err := os.Stat(f)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s mode %v (%v), want 0600", when, filepath.Base(f), st.Mode().Perm(), err)
			}
		}
	}
	check("open")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// A journal left 0644 by an older version is tightened at open.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	check("reopen of a 0644 journal")
	j.Close()
}

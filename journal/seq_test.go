package journal

import (
	"path/filepath"
	"testing"
)

func TestReservedClientOrderSeqsAreNeverHandedOutTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	seen := map[uint64]string{}
	take := func(n uint64, how string) {
		t.Helper()
		if prev, dup := seen[n]; dup {
			t.Fatalf("number %d handed out by %s and before by %s", n, how, prev)
		}
		seen[n] = how
	}
	var lastReserved uint64
	// Two runs of the daemon: the second must not reuse what the first
	// reserved and left unused.
	for run := range 2 {
		j, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			first, err := j.ReserveClientOrderSeqs("a", SeqBlock)
			if err != nil {
				t.Fatal(err)
			}
			if first <= lastReserved {
				t.Fatalf("run %d: block starts at %d, not above the last reserved %d", run, first, lastReserved)
			}
			// Only part of each block is used, as by a daemon that stops.
			for n := first; n < first+uint64(i)+1; n++ {
				take(n, "a block")
			}
			lastReserved = first + SeqBlock - 1
			n, err := j.NextClientOrderSeq("a")
			if err != nil {
				t.Fatal(err)
			}
			take(n, "NextClientOrderSeq")
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReserveClientOrderSeqsNamesABadRequest(t *testing.T) {
	j := openTemp(t)
	tests := []struct {
		name     string
		instance string
		n        int
	}{
		{"empty instance", "", SeqBlock},
		{"no numbers", "a", 0},
		{"negative", "a", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := j.ReserveClientOrderSeqs(tt.instance, tt.n); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

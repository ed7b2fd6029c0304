package journal

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSalvageCopiesWhatADamagedJournalStillHolds(t *testing.T) {
	const page = 4096
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
		// minOrders is how many of the 300 orders must come back.
		minOrders int
	}{
		{"undamaged", func(*testing.T, string, int64) {}, 300},
		{"page in the middle overwritten", func(t *testing.T, path string, size int64) {
			overwrite(t, path, (size/page/2)*page, page, 0x5a)
		}, 250},
		{"truncated by a quarter", func(t *testing.T, path string, size int64) {
			truncate(t, path, (size*3/4)/page*page)
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, size := filledJournal(t)
			c.damage(t, path, size)
			target := filepath.Join(t.TempDir(), "salvaged.db")
			rep, err := Salvage(path, target)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("salvage report: %+v", rep)
			j, err := Open(target)
			if err != nil {
				t.Fatalf("the salvaged journal does not open: %v", err)
			}
			defer j.Close()
			orders, err := j.Orders(OrderFilter{})
			if err != nil {
				t.Fatal(err)
			}
			fills, err := j.Fills(time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(orders) < c.minOrders {
				t.Fatalf("salvaged %d orders, want at least %d", len(orders), c.minOrders)
			}
			copied := map[string]int{}
			for _, ts := range rep.Tables {
				copied[ts.Table] = ts.Copied
			}
			if copied["orders"] != len(orders) || copied["fills"] != len(fills) {
				t.Fatalf("report says %d orders and %d fills copied, the journal holds %d and %d",
					copied["orders"], copied["fills"], len(orders), len(fills))
			}
			if c.name == "undamaged" && rep.Lost() != 0 {
				t.Fatalf("lost %d rows of an undamaged journal", rep.Lost())
			}
		})
	}
}

func TestSalvageRefusesToOverwriteAndToReadTheUnreadable(t *testing.T) {
	path, _ := filledJournal(t)
	if _, err := Salvage(path, path); err == nil || !strings.Contains(err.Error(), "target exists") {
		t.Fatalf("salvage onto itself: err = %v", err)
	}
	overwrite(t, path, 0, 4096, 0x5a)
	_, err := Salvage(path, filepath.Join(t.TempDir(), "new.db"))
	if err == nil || !strings.Contains(err.Error(), "nothing can be salvaged") {
		t.Fatalf("salvage of a file without its first page: err = %v", err)
	}
}

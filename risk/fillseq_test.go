package risk

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// The guard records the journal's number of the last fill it booked with
// the booking: a snapshot names the highest number booked (a number of 0,
// a fill the journal did not number, and a lower one change nothing), and
// a restart restores it. Counters that name none restore 0.
func TestTheLastJournaledFillIsSnapshottedAndRestored(t *testing.T) {
	f := newFixture(t, nil)
	d := decimal.RequireFromString
	seqOf := func(c Counters) uint64 {
		t.Helper()
		if c.FillSeq == nil {
			t.Fatal("a snapshot names no last fill")
		}
		return *c.FillSeq
	}
	if got := seqOf(f.g.Snapshot()); got != 0 {
		t.Fatalf("a new guard's last fill is %d, want 0", got)
	}
	book := func(seq uint64) {
		f.g.OnJournaledFill(seq, "s", "BTC-USD", exchange.Buy, d("0.001"), d("60000"), d("0.1"), nil)
	}
	book(3)
	book(0)
	book(2)
	c := f.g.Snapshot()
	if got := seqOf(c); got != 3 {
		t.Fatalf("last fill %d after booking 3, 0 and 2; want 3", got)
	}
	if !c.RealizedToday.Equal(d("-0.3")) {
		t.Fatalf("realized %s after three fills with fees of 0.1, want -0.3", c.RealizedToday)
	}
	r, saved := restart(t, f, 0, nil)
	if got := seqOf(r.g.Snapshot()); got != 3 || seqOf(saved) != 3 {
		t.Fatalf("restarted guard's last fill %d (saved %d), want 3", got, seqOf(saved))
	}
	saved.FillSeq = nil
	r.g.Restore(saved)
	if got := seqOf(r.g.Snapshot()); got != 0 {
		t.Fatalf("counters naming no last fill restore %d, want 0", got)
	}
}

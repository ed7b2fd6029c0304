package journal

import (
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// fillOf is a buy of size of order o1 with trade id id.
func fillOf(id, size string) exchange.Fill {
	return exchange.Fill{TradeID: id, OrderID: "o1", ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Buy,
		Price: d("100"), Size: d(size), Fee: d("0.01"), Liquidity: exchange.Maker, Time: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
}

// Fills are numbered 1, 2, 3... in the order they are recorded, across a
// reopen; a fill recorded again gets no number; FillsAfter returns the
// fills above a number in that order; NumberFillsAbove makes the next
// number skip past one the risk counters saved (a salvaged journal that
// lost its last fills), which a reopen keeps.
func TestFillsAreNumberedInTheOrderTheyAreRecorded(t *testing.T) {
	j := openTemp(t)
	record := func(j *Journal, id string, want uint64) {
		t.Helper()
		if seq, err := j.RecordFill("s", fillOf(id, "0.1")); err != nil || seq != want {
			t.Fatalf("fill %s: number %d, %v; want %d", id, seq, err, want)
		}
	}
	record(j, "t-1", 1)
	record(j, "t-2", 2)
	record(j, "t-1", 0) // the same trade again
	if got := j.LastFillSeq(); got != 2 {
		t.Fatalf("LastFillSeq = %d, want 2", got)
	}
	after, err := j.FillsAfter(1)
	if err != nil || len(after) != 1 || after[0].TradeID != "t-2" || after[0].Seq != 2 {
		t.Fatalf("FillsAfter(1) = %+v, %v; want t-2 numbered 2", after, err)
	}
	path := j.Path()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	record(j, "t-3", 3)
	j.NumberFillsAbove(10)
	j.NumberFillsAbove(5) // never back
	record(j, "t-4", 11)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	record(j, "t-5", 12)
	after, err = j.FillsAfter(2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range after {
		ids = append(ids, f.TradeID)
	}
	if len(ids) != 3 || ids[0] != "t-3" || ids[1] != "t-4" || ids[2] != "t-5" {
		t.Fatalf("FillsAfter(2) = %v, want t-3, t-4, t-5 in order", ids)
	}
}

// Coinbase's fills that replace an order's derived ones keep the highest
// of their numbers, by which a restart tells whether the saved risk
// counters include that part of the order. While the derived fills lie on
// both sides of the last fill the saved counters include, the
// replacement waits: the counters include part of the order, and the one
// number the replacing fills would share would book all of it again at a
// restart, or none.
func TestReplacingDerivedFillsWaitsWhileTheSavedCountersIncludeSomeOfThem(t *testing.T) {
	j := openTemp(t)
	for _, id := range []string{"cbws:o1:0.1", "cbws:o1:0.3"} {
		size := "0.1"
		if id == "cbws:o1:0.3" {
			size = "0.2"
		}
		if _, err := j.RecordFill("s", fillOf(id, size)); err != nil {
			t.Fatal(err)
		}
	}
	real := []exchange.Fill{fillOf("t-1", "0.15"), fillOf("t-2", "0.15")}
	if ok, err := j.ReplaceSyntheticFills("o1", real, 1); err != nil || ok {
		t.Fatalf("with the counters including derived fill 1 of 2: replaced %v, %v; want it to wait", ok, err)
	}
	if ok, err := j.ReplaceSyntheticFills("o1", real, 2); err != nil || !ok {
		t.Fatalf("with the counters including both derived fills: replaced %v, %v; want replaced", ok, err)
	}
	fills, err := j.OrderFills("o1")
	if err != nil || len(fills) != 2 {
		t.Fatalf("fills of o1 %+v, %v; want Coinbase's two", fills, err)
	}
	for _, f := range fills {
		if f.Seq != 2 {
			t.Errorf("%s numbered %d, want 2, the highest of the derived fills it replaced", f.TradeID, f.Seq)
		}
	}
	if after, err := j.FillsAfter(2); err != nil || len(after) != 0 {
		t.Fatalf("FillsAfter(2) = %+v, %v; want none", after, err)
	}
	// The next fill is numbered above the derived ones, not after
	// Coinbase's as if they were new.
	if seq, err := j.RecordFill("s", fillOf("t-3", "0.1")); err != nil || seq != 3 {
		t.Fatalf("the next fill: number %d, %v; want 3", seq, err)
	}
}

package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// The risk guard counts each fill once across a kill. A run books a fill
// into its guard as soon as the venue reports it, just after journaling
// it, and its instance applies it to the position a moment later; the
// guard's counters (the day's PnL, the loss limits' figures) are saved
// whenever the trading state changes, the kill switch acts or the
// journal's probe writes. A kill after such a save and before the
// instance saved its position leaves counters that include the fill
// beside an order row that does not: the next start restored the
// counters, found the fill again on the venue and booked it into the
// guard a second time (its PnL twice toward the daily loss), while the
// journal, which kept the fill, did not record it again. A fill the
// saved counters do not include is still booked once.
func TestAFillTheSavedRiskCountersIncludeIsNotCountedAgainAtTheNextStart(t *testing.T) {
	for _, tt := range []struct {
		name string
		// savedAfterFill: the counters were saved after the fill was
		// booked (and so include it) rather than before.
		savedAfterFill bool
	}{
		{"saved after the fill", true},
		{"saved before the fill", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x, clk := newGridVenue(t)
			path := filepath.Join(t.TempDir(), "journal.db")
			spec := func() engine.InstanceSpec {
				st, err := (&strategy.SMACrossParams{Fast: 2, Slow: 4, Interval: time.Minute}).Build()
				if err != nil {
					t.Fatal(err)
				}
				return engine.InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: st, QuoteSize: dec("600"),
					Exits: exits.Config{Placement: exits.InBot, StopLoss: &exits.StopLoss{Percent: dec("8")}}}
			}
			killed := startRun(t, x, clk, path, spec())
			killed.trade("60000")
			if !tt.savedAfterFill {
				if err := killed.j.saveRisk(killed.guard); err != nil {
					t.Fatal(err)
				}
			}
			exec := killed.eng.Executor()
			id, err := exec.NextClientOrderID("s")
			if err != nil {
				t.Fatal(err)
			}
			// Filled at once by the venue; the fill reaches the journal
			// and the guard, and waits in the instance's mailbox.
			o, err := exec.Place(context.Background(), engine.Intent{Instance: "s", Purpose: exchange.Entry, Reason: "test",
				EstimatedPrice: dec("60000"), Request: exchange.OrderRequest{ClientOrderID: id, ProductID: "BTC-USD",
					Side: exchange.Buy, Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, QuoteSize: dec("600")}})
			if err != nil || !o.FilledSize.IsPositive() {
				t.Fatalf("entry %+v, %v; want it filled", o, err)
			}
			fills := x.Fills()
			if len(fills) != 1 {
				t.Fatalf("venue fills %+v, want the entry's", fills)
			}
			fee := fills[0].Fee
			if got := killed.guard.Snapshot().RealizedToday; !got.Equal(fee.Neg()) {
				t.Fatalf("the killed run's guard realized %s today, want the entry's fee %s", got, fee.Neg())
			}
			if tt.savedAfterFill {
				if err := killed.j.saveRisk(killed.guard); err != nil {
					t.Fatal(err)
				}
			}
			killed.crash() // before the instance applied the fill and saved its position

			r := startRun(t, x, clk, path, spec())
			if got := r.guard.Snapshot().RealizedToday; !got.Equal(fee.Neg()) {
				t.Errorf("after the restart the guard realized %s today, want the entry's fee %s once", got, fee.Neg())
			}
			if size, _ := r.guard.Position("s", "BTC-USD"); !size.Equal(o.FilledSize) {
				t.Errorf("after the restart the guard holds %s, want the entry's %s", size, o.FilledSize)
			}
			if pos, err := r.j.Positions(); err != nil || len(pos) != 1 || !pos[0].Size.Equal(o.FilledSize) {
				t.Errorf("positions after the restart %+v, %v; want the entry's %s", pos, err, o.FilledSize)
			}
		})
	}
}

// Counters that name no last fill (saved before the journal numbered
// fills, or in paper mode) fall back to judging by time: the part of an
// order's journaled fills the saved risk counters include is what the
// journal recorded strictly before it saved them. The saver
// takes the guard's snapshot before the journal stamps the save, and a
// fill is stamped before it is written and booked into the guard after:
// a fill the snapshot includes was stamped earlier than the save, and one
// stamped at the same instant was booked after the snapshot, so that the
// guard must book it at the next start.
func TestTheSavedRiskCountersIncludeTheFillsRecordedBeforeTheSave(t *testing.T) {
	j, err := openJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	clk := clock.NewSim(at.Add(-time.Second))
	j.UseClock(clk)
	fill := func(id, size string) {
		t.Helper()
		if _, err := j.RecordFill("s", exchange.Fill{TradeID: id, OrderID: "o1", ProductID: "BTC-USD", Side: exchange.Buy,
			Price: dec("60000"), Size: dec(size), Fee: dec("0.01"), Time: clk.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	fill("t-before", "0.001")
	clk.Set(at)
	fill("t-same-instant", "0.002")
	g, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.saveRisk(g); err != nil {
		t.Fatal(err)
	}
	clk.Set(at.Add(time.Second))
	fill("t-after", "0.004")
	held, err := j.JournaledFills("o1")
	if err != nil {
		t.Fatal(err)
	}
	if !held.Size.Equal(dec("0.007")) || !held.Counted.Equal(dec("0.001")) {
		t.Fatalf("journaled fills %+v, want size 0.007 of which 0.001 (recorded before the save) counted", held)
	}
}

// TestAnOlderSnapshotOfTheRiskCountersIsNotWrittenOverANewerOne: the
// saver, the trading-state listener, the kill switch and the health
// probe save the counters from their own goroutines, each a snapshot
// then a write; a snapshot taken before a halt and written after the
// halt's own save must not put ACTIVE back in the journal.
func TestAnOlderSnapshotOfTheRiskCountersIsNotWrittenOverANewerOne(t *testing.T) {
	j, err := openJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	g, err := risk.NewGuard(risk.DefaultConfig(), clock.NewSim(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	older := g.Snapshot()
	g.Halt("kill switch")
	if err := j.saveRisk(g); err != nil {
		t.Fatal(err)
	}
	if err := j.writeRisk(older); err != nil {
		t.Fatal(err)
	}
	restarted, err := risk.NewGuard(risk.DefaultConfig(), clock.NewSim(time.Date(2026, 12, 7, 10, 1, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.restoreRisk(restarted); err != nil {
		t.Fatal(err)
	}
	if st := restarted.State(); st != risk.Halted {
		t.Fatalf("the journal's counters restore %s, want HALTED: the snapshot from before the halt was written over the halt's", st)
	}
}

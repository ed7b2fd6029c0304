package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
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

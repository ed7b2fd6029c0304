package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// A killed run left an order's intent in the journal without its venue
// id (the create's answer was lost, as the crash test's fault does, and
// the run died before it asked again) and its fill, derived from the
// user channel and then replaced by Coinbase's own (which names no client
// order id). The next start finds the order by client order id and books
// its fill into the position; the journal, which holds that fill already
// under Coinbase's trade id, must not get it a second time. The journal's
// fills of the order, matched by client order id alone, missed Coinbase's:
// the restart journaled the fill again under the executor's derived id,
// which no later reconciliation could replace (the crash test, seed
// 1796616563719270910: a market sell the emulator filled 0.001, the
// journal 0.002, position and cash right). The journal's fills are now
// matched by the venue id the venue answers at recovery; so is the part
// of them the saved risk counters include, which the guard must not
// count again.
func TestAFillCoinbasesFillsReplacedIsNotJournaledAgainAtTheNextStart(t *testing.T) {
	for _, tt := range []struct {
		name string
		// savedBeforeReplacement: the counters were saved before the
		// reconciliation replaced the derived fill (the saver writes
		// them just after the guard books a fill) rather than after (a
		// change of the trading state, say).
		savedBeforeReplacement bool
	}{
		{"counters saved before the replacement", true},
		{"counters saved after the replacement", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x, clk := newGridVenue(t)
			x.SetHandler(func(exchange.OrderEvent) {}) // the killed run hears nothing more
			path := filepath.Join(t.TempDir(), "journal.db")
			killed := &killableRun{t: t, x: x, clk: clk}
			killed.trade("60000")

			j, err := openJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			req := exchange.OrderRequest{ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Market,
				TimeInForce: exchange.ImmediateOrCancel, QuoteSize: dec("600")}
			if err := j.RecordIntent(engine.OrderRecord{ClientOrderID: "s-1", Instance: "s", Purpose: exchange.Entry, Request: req, Time: clk.Now()}); err != nil {
				t.Fatal(err)
			}
			o, err := x.PlaceOrder(context.Background(), req) // its answer never reached the killed run
			if err != nil || !o.FilledSize.IsPositive() {
				t.Fatalf("entry %+v, %v; want it filled", o, err)
			}
			venue := x.Fills()
			if len(venue) != 1 {
				t.Fatalf("venue fills %+v, want the entry's", venue)
			}
			derived := venue[0]
			derived.TradeID = exchange.UserChannelTradeIDPrefix + o.ID + ":" + o.FilledSize.String()
			seq, err := j.RecordFill("s", derived)
			if err != nil {
				t.Fatal(err)
			}
			// The killed run's guard booked the fill and its counters were saved
			// after it: the restart must not count it again, which takes finding
			// Coinbase's fill as the order's, and knowing it is the part the
			// journal recorded before the save when the replacement came after.
			saveGuard := func() {
				g, err := risk.NewGuard(risk.DefaultConfig(), clk)
				if err != nil {
					t.Fatal(err)
				}
				// As the engine books it: with its journal number.
				g.OnJournaledFill(seq, "s", "BTC-USD", exchange.Buy, derived.Size, derived.Price, derived.Fee, nil)
				if err := j.saveRisk(g); err != nil {
					t.Fatal(err)
				}
			}
			if tt.savedBeforeReplacement {
				saveGuard()
			}
			coinbase := venue[0]
			coinbase.ClientOrderID = "" // Coinbase's list of fills names no client order id
			if ok, err := j.ReplaceSyntheticFills(o.ID, []exchange.Fill{coinbase}); err != nil || !ok {
				t.Fatalf("replacing the derived fill: %v, %v", ok, err)
			}
			if !tt.savedBeforeReplacement {
				saveGuard()
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}

			st, err := (&strategy.SMACrossParams{Fast: 2, Slow: 4, Interval: time.Minute}).Build()
			if err != nil {
				t.Fatal(err)
			}
			r := startRun(t, x, clk, path, engine.InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: st, QuoteSize: dec("600"),
				Exits: exits.Config{Placement: exits.InBot, StopLoss: &exits.StopLoss{Percent: dec("8")}}})
			if pos, err := r.j.Positions(); err != nil || len(pos) != 1 || !pos[0].Size.Equal(o.FilledSize) {
				t.Fatalf("positions after the restart %+v, %v; want the entry's %s", pos, err, o.FilledSize)
			}
			fills, err := r.j.Fills(time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			held := decimal.Zero
			var ids []string
			for _, f := range fills {
				if f.OrderID == o.ID {
					held = held.Add(f.Size)
					ids = append(ids, f.TradeID)
				}
			}
			if !held.Equal(o.FilledSize) {
				t.Fatalf("the journal holds fills of %s (%v) for an entry the venue filled %s", held, ids, o.FilledSize)
			}
			if got := r.guard.Snapshot().RealizedToday; !got.Equal(derived.Fee.Neg()) {
				t.Fatalf("after the restart the guard realized %s today, want the entry's fee %s once", got, derived.Fee.Neg())
			}
		})
	}
}

package engine

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
)

// getterVenue is the simulated exchange with the lookup by venue order id
// (Coinbase's Order) that recovery uses to follow an entry to the
// bracket the venue attached to it.
type getterVenue struct{ *sim.Exchange }

func (v getterVenue) Order(_ context.Context, orderID string) (exchange.Order, error) {
	return v.Exchange.Order(orderID)
}

// entryJournal is a RecoveryJournal holding one instance's exit state,
// its last entry and the rows of other orders it knows (EntryJournal), and
// no open orders: the entry has ended.
type entryJournal struct {
	exitState []byte
	entry     JournaledOrder
	rows      map[string]JournaledOrder
}

func (j entryJournal) OpenOrders() ([]JournaledOrder, error) { return nil, nil }
func (j entryJournal) InstanceState(string) ([]byte, []byte, error) {
	return j.exitState, nil, nil
}
func (j entryJournal) LastEntry(string) (JournaledOrder, bool, error) { return j.entry, true, nil }
func (j entryJournal) JournaledOrder(clientOrderID string) (JournaledOrder, bool, error) {
	jo, ok := j.rows[clientOrderID]
	return jo, ok, nil
}

// TestAnAttachedBracketFilledWhileDownIsBookedWithItsOwnRule: a run is
// killed after its entry with an attached bracket (stop 98, the
// stop-loss) filled and before it saw the bracket; a tick had already
// raised the watched stop by trailing (99.50). While the daemon is down
// the bracket triggers at 98 and fills. Recovery follows the entry to
// the bracket on the venue (recoverAttached) and books its fill: the
// round trip ends with stop_loss, the rule the bracket's stop was set for
// (trailing_stop, the saved stop's rule, before the fix); with a journal
// row for the bracket from before the journal kept reasons, unknown.
func TestAnAttachedBracketFilledWhileDownIsBookedWithItsOwnRule(t *testing.T) {
	for _, c := range []struct {
		name string
		row  bool
		want string
	}{
		{"not journaled", false, exits.ReasonStopLoss},
		{"journaled without a reason", true, exits.ReasonUnknown},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := exchangeStop("2")
			cfg.AttachToEntry = true
			cfg.TakeProfit = []exits.TakeProfit{{Percent: d("5"), Close: d("1")}}
			cfg.TrailingStop = &exits.TrailingStop{CallbackPercent: d("1")}
			r := restartRig(t, cfg)
			ctx := context.Background()
			req := exchange.OrderRequest{ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Market,
				TimeInForce: exchange.ImmediateOrCancel, BaseSize: d("1"),
				Attached: &exchange.AttachedBracket{LimitPrice: d("105"), StopTriggerPrice: d("98")}}
			if _, err := r.x.PlaceOrder(ctx, req); err != nil {
				t.Fatal(err)
			}
			r.eng.Drain(ctx) // the events of a run that is gone reach no one
			entry, err := r.x.OrderByClientID(ctx, "s-1")
			if err != nil || entry.Status != exchange.StatusFilled || entry.AttachedOrderID == "" {
				t.Fatalf("entry %+v (%v), want filled with its bracket attached", entry, err)
			}
			// Down: the price falls through the bracket's stop.
			r.now = r.now.Add(time.Second)
			r.clock.Set(r.now)
			fall := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: r.now, Received: r.now, Price: d("97.9"),
				Size: d("5"), TakerSide: exchange.Sell}
			r.x.OnTick(&fall)
			r.eng.Drain(ctx)
			if br, err := r.x.Order(entry.AttachedOrderID); err != nil || br.Status != exchange.StatusFilled || !br.Triggered {
				t.Fatalf("bracket %+v (%v), want FILLED by its stop while the daemon is down", br, err)
			}

			var s exits.State
			s.Position.ApplyFill(exchange.Fill{TradeID: "t-1", OrderID: entry.ID, ClientOrderID: "s-1", ProductID: "BTC-USD",
				Side: exchange.Buy, Price: entry.AverageFilledPrice, Size: entry.FilledSize, Fee: entry.TotalFees, Time: r.t0}, "test")
			s.Stop, s.StopReason, s.EntrySize = d("99.5"), exits.ReasonTrailingStop, d("1")
			s.TrailActive, s.TrailHigh, s.AwaitAttached = true, d("100.5"), true
			state, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			j := entryJournal{exitState: state, entry: JournaledOrder{Instance: "s", Purpose: exchange.Entry, Order: entry}}
			if c.row {
				id := "s-1" + attachedSuffix
				brReq := exchange.OrderRequest{ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Bracket,
					TimeInForce: exchange.GoodTilCancelled, BaseSize: d("1"), LimitPrice: d("105"), StopPrice: d("98")}
				j.rows = map[string]JournaledOrder{id: {Instance: "s", Purpose: exchange.Exit,
					Order: exchange.Order{OrderRequest: brReq, Status: exchange.StatusOpen}}}
			}
			if _, err := r.eng.Recover(ctx, j, getterVenue{r.x}); err != nil {
				t.Fatal(err)
			}
			rts := r.eng.RoundTrips()
			if len(rts) != 1 || rts[0].ExitReason != c.want || !rts[0].Size.Equal(d("1")) || !rts[0].PnL.IsNegative() {
				t.Fatalf("round trips %+v, want one of 1 lost, ended by %s", rts, c.want)
			}
		})
	}
}

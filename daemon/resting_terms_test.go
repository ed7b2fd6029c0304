package daemon

import (
	"path/filepath"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
)

// TestTheJournalHoldsARestingStopAtTheSizeItWasResizedTo: a dca's
// scheduled buy is protected by a stop-limit resting on the venue; its
// safety buy fills and the exits resize that stop in place (an edit keeps
// its ids). The journal's row of the stop, which a restarted daemon reads
// among its open orders, holds the size it rests with on the venue, not
// the scheduled buy's alone (what it held before the fix), across a kill
// and a restart too.
func TestTheJournalHoldsARestingStopAtTheSizeItWasResizedTo(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	start := func() *killableRun {
		p := dailyDCAParams()
		r, _ := startDCAWith(t, x, clk, path, p, exits.Config{Placement: exits.OnExchange, StopLoss: &exits.StopLoss{Percent: dec("8")}})
		return r
	}
	r := start()
	r.trade("60000")
	r.wait(dailyDCAParams().Every, "60000") // the scheduled buy, and the safety buy under it
	first := restingStop(t, x)
	r.trade("58700") // the safety buy fills: the stop grows
	if v := venueOf(t, x); v.safety != 1 {
		t.Fatalf("%d safety buys filled, want 1", v.safety)
	}
	stop := restingStop(t, x)
	if stop.ID != first.ID || !stop.BaseSize.GreaterThan(first.BaseSize) {
		t.Fatalf("stop %s for %s after the safety buy, want %s resized in place above %s", stop.ID, stop.BaseSize, first.ID, first.BaseSize)
	}
	wantJournaled := func(when string) {
		t.Helper()
		open, err := r.j.OpenOrders()
		if err != nil {
			t.Fatal(err)
		}
		for _, jo := range open {
			if jo.Order.ClientOrderID == stop.ClientOrderID {
				if !jo.Order.BaseSize.Equal(stop.BaseSize) || !jo.Order.StopPrice.Equal(stop.StopPrice) ||
					!jo.Order.LimitPrice.Equal(stop.LimitPrice) {
					t.Fatalf("%s: the journal holds the stop for %s at %s (limit %s), the venue for %s at %s (limit %s)", when,
						jo.Order.BaseSize, jo.Order.StopPrice, jo.Order.LimitPrice, stop.BaseSize, stop.StopPrice, stop.LimitPrice)
				}
				return
			}
		}
		t.Fatalf("%s: the stop %s is not among the journal's open orders", when, stop.ClientOrderID)
	}
	wantJournaled("running")
	r.crash()
	r = start()
	wantJournaled("restarted")
	if got := restingStop(t, x); got.ID != stop.ID {
		t.Fatalf("the restarted daemon rests %s, want the same stop %s", got.ID, stop.ID)
	}
}

// restingStop returns the one open stop-limit sell on x.
func restingStop(t *testing.T, x interface {
	Orders() []exchange.Order
}) exchange.Order {
	t.Helper()
	var out []exchange.Order
	for _, o := range x.Orders() {
		if o.Side == exchange.Sell && o.Type == exchange.StopLimit && !o.Status.Terminal() {
			out = append(out, o)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d stop-limits rest, want 1: %+v", len(out), out)
	}
	return out[0]
}

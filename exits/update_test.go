package exits

import (
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// Entry 1 @ 100 at 1 s, stop 98, trailing 1 % below the best price; the
// resting stop may move 5 s after the last move, by at least 0.5 %.
func TestRestingStopMovesNoMoreOftenThanUpdateAllows(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2"), TrailingStop: &TrailingStop{CallbackPercent: d("1")},
		Update: Update{MinInterval: 5 * time.Second, MinStepPercent: d("0.5")}})
	h.tickAt(t0.Add(time.Second), "100")
	h.enter("1")
	steps := []struct {
		at           int // seconds after t0
		price        string
		stop, venue  string
		whyNotMoving string
	}{
		{2, "101", "99.99", "98", "1 s after the last move"},
		{6, "101.2", "100.19", "100.19", ""}, // 101.2 * 0.99 = 100.188, rounded up
		{12, "101.5", "100.49", "100.19", "0.3 is below 0.5 % of 100.19"},
		{13, "102", "100.98", "100.98", ""},
		{14, "103", "101.97", "100.98", "1 s after the last move"},
		{19, "102.5", "101.97", "101.97", ""}, // due now, no new high needed
	}
	for _, s := range steps {
		h.tickAt(t0.Add(time.Duration(s.at)*time.Second), s.price)
		if got := h.m.State().Stop; !got.Equal(d(s.stop)) {
			t.Fatalf("at %ds: computed stop %s, want %s", s.at, got, s.stop)
		}
		if o := h.resting(); !o.StopPrice.Equal(d(s.venue)) {
			t.Fatalf("at %ds: venue stop %s, want %s (%s)", s.at, o.StopPrice, s.venue, s.whyNotMoving)
		}
	}
}

// A resting stop-limit that fills in part: the position follows the
// filled part, nothing more is placed, and when the price then gaps below
// the limit the rest, and only the rest, is sold at market. The partial
// fill is built by hand (the simulated exchange fills whole orders); the
// cancel and the market sell go to the real simulated exchange.
func TestPartiallyFilledStopSellsOnlyTheRest(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2")})
	h.tick("100")
	h.enter("1")
	o := h.resting()
	o.Triggered, o.FilledSize = true, d("0.4")
	h.m.OnOrderEvent(h.ctx, exchange.OrderEvent{Order: o, Fill: &exchange.Fill{TradeID: "p1", OrderID: o.ID,
		ProductID: testProduct.ID, Side: exchange.Sell, Price: d("97.9"), Size: d("0.4"), Time: h.clk.Now()}}, exchange.Exit)
	h.drain()
	if got := h.m.Position().Size; !got.Equal(d("0.6")) {
		t.Fatalf("after 0.4 of the stop filled: %s held, want 0.6", got)
	}
	if n := len(h.orders.placed); n != 1 {
		t.Fatalf("%d orders placed, want only the original stop", n)
	}
	h.tick("95") // below the 97.51 limit: the rest will not fill
	last := h.orders.placed[len(h.orders.placed)-1]
	if last.Type != exchange.Market || !last.BaseSize.Equal(d("0.6")) {
		t.Fatalf("last order %s for %s, want MARKET for 0.6", last.Type, last.BaseSize)
	}
	// 0.4 * (97.9 - 100) + 0.6 * (95 - 100) = -0.84 - 3 = -3.84
	if rt := h.trip(); !rt.PnL.Equal(d("-3.84")) || rt.Reason != ReasonStopLoss {
		t.Errorf("pnl %s reason %s, want -3.84 stop_loss", rt.PnL, rt.Reason)
	}
}

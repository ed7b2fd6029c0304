package exits

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// sell places a strategy sell of size at a limit price through the
// Manager, as the engine does for Context.Sell.
func (h *harness) sell(size, price string) (exchange.Order, error) {
	h.seq++
	req := exchange.OrderRequest{ClientOrderID: fmt.Sprintf("sell-%d", h.seq), ProductID: testProduct.ID, Side: exchange.Sell,
		Type: exchange.Limit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d(size), LimitPrice: d(price)}
	o, err := h.m.Sell(h.ctx, req, "grid_sell")
	h.drain()
	return o, err
}

// openSellsText returns the venue's open sells as "TYPE size".
func (h *harness) openSellsText() string {
	var out []string
	for _, o := range h.openSells() {
		out = append(out, fmt.Sprintf("%s %s", o.Type, o.BaseSize.Sub(o.FilledSize)))
	}
	return fmt.Sprint(out)
}

// TestStrategySellShrinksTheRestingStopAndTheBotWatchesTheWhole: on
// exchange placement a strategy sell takes its base out of the resting
// stop (on spot both cannot hold it); a sell of more than is held and not
// on sale is refused; the bot watches the stop for the whole position and,
// when it is reached, cancels the sells and sells everything at market.
func TestStrategySellShrinksTheRestingStopAndTheBotWatchesTheWhole(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5")})
	h.tick("100")
	h.enter("1")
	if got := h.openSellsText(); got != "[STOP_LIMIT 1]" {
		t.Fatalf("after the entry: %s, want a stop for the whole", got)
	}
	if _, err := h.sell("0.4", "110"); err != nil {
		t.Fatal(err)
	}
	if got := h.openSellsText(); got != "[STOP_LIMIT 0.6 LIMIT 0.4]" {
		t.Fatalf("after a strategy sell of 0.4: %s, want the stop shrunk to 0.6 beside it", got)
	}
	if p := h.m.Protection(); !p.Watched || !p.Stop.Equal(d("95")) {
		t.Fatalf("protection %+v, want the stop at 95 watched by the bot", p)
	}
	if _, err := h.sell("0.7", "120"); !errors.Is(err, ErrNotSent) {
		t.Fatalf("a sell of 0.7 with 0.6 free: %v, want a reduce-only refusal", err)
	}
	if _, err := h.sell("0.6", "120"); err != nil {
		t.Fatal(err)
	}
	if got := h.openSellsText(); got != "[LIMIT 0.4 LIMIT 0.6]" {
		t.Fatalf("all on sale: %s, want the two sells and no stop", got)
	}
	h.tick("94")
	if got := h.openSellsText(); got != "[]" {
		t.Fatalf("after the stop: %s, want nothing left", got)
	}
	if tr := h.trip(); tr.Reason != ReasonStopLoss {
		t.Fatalf("round trip %+v, want the stop", tr)
	}
}

// TestAStrategySellsFillEndsTheTripWithItsReason: a strategy sell's fill
// shrinks the position; the resting stop covers what is left; the sale of
// the last lot ends the round trip with the strategy's reason.
func TestAStrategySellsFillEndsTheTripWithItsReason(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5")})
	h.tick("100")
	h.enter("1")
	if _, err := h.sell("0.4", "105"); err != nil {
		t.Fatal(err)
	}
	h.tick("106")
	if !h.m.Position().Size.Equal(d("0.6")) {
		t.Fatalf("position %s after the sell filled, want 0.6", h.m.Position().Size)
	}
	h.covered("after a strategy sell filled")
	if _, err := h.sell("0.6", "107"); err != nil {
		t.Fatal(err)
	}
	h.tick("108")
	if tr := h.trip(); tr.Reason != "grid_sell" || !tr.ExitPrice.Equal(d("106.2")) {
		t.Fatalf("round trip %+v, want grid_sell at 106.2 on average", tr)
	}
	if got := h.openSellsText(); got != "[]" {
		t.Fatalf("flat: %s, want nothing resting", got)
	}
}

// TestParkCancelsStrategySellsSoTheStopRestsForTheWhole: when the daemon
// stops, nothing watches the part of the position the strategy's sells
// hold; they are cancelled and the parked stop rests for all of it.
func TestParkCancelsStrategySellsSoTheStopRestsForTheWhole(t *testing.T) {
	for _, p := range []Placement{InBot, OnExchange} {
		t.Run(string(p), func(t *testing.T) {
			h := newHarness(t, Config{Placement: p, StopLoss: pctStop("5")})
			h.tick("100")
			h.enter("1")
			if _, err := h.sell("0.4", "110"); err != nil {
				t.Fatal(err)
			}
			h.m.Park(h.ctx)
			h.drain()
			if got := h.openSellsText(); got != "[STOP_LIMIT 1]" {
				t.Fatalf("parked: %s, want one stop for the whole", got)
			}
			if _, err := h.sell("0.1", "110"); !errors.Is(err, ErrStopping) {
				t.Fatalf("a sell after Park: %v, want ErrStopping", err)
			}
		})
	}
}

// TestAStrategySellTheStateDidNotNameIsCountedOnSale: a limit sell a
// killed run placed but did not save comes back from the journal at
// recovery; it holds base, so the resting stop is not grown over it.
func TestAStrategySellTheStateDidNotNameIsCountedOnSale(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5")})
	h.tick("100")
	h.enter("1")
	st := h.m.State()
	if _, err := h.sell("0.4", "110"); err != nil {
		t.Fatal(err)
	}
	open := h.openSells()
	var lost exchange.Order
	for _, o := range open {
		if o.Type == exchange.Limit {
			lost = o
		}
	}
	h.m.Restore(st) // the state saved before the sell: it names the stop of 1, not the sell
	h.m.HoldOrders()
	h.m.OnOrderEvent(context.Background(), exchange.OrderEvent{Order: lost}, exchange.Exit)
	h.m.Rearm(h.ctx)
	h.drain()
	if !h.m.Free().Equal(d("0.6")) {
		t.Fatalf("free %s, want 0.6 beside the adopted sell", h.m.Free())
	}
	if got := h.openSellsText(); got != "[LIMIT 0.4 STOP_LIMIT 0.6]" {
		t.Fatalf("after recovery: %s, want the stop on 0.6 beside the sell", got)
	}
}

// TestProtectionIsWatchedWhileAStrategySellIsStillKnown: a signal's full
// exit cancels the strategy's sell (the venue accepts) but the cancel of
// the resting stop, which covers only what the sell left free, is lost.
// Until the sell's end is booked the stop covers 0.6 of the 1 held: the
// position is reported watched, as the bot watches it (it sells all at
// market at the stop), not as resting protection at the stop (what
// Protection said before, counting only the base still on sale). Once
// the sell's end is booked the pending exit goes on.
func TestProtectionIsWatchedWhileAStrategySellIsStillKnown(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5")})
	h.tick("100")
	h.enter("1")
	if _, err := h.sell("0.4", "110"); err != nil {
		t.Fatal(err)
	}
	var stop exchange.Order
	for _, o := range h.openSells() {
		if o.Type == exchange.StopLimit {
			stop = o
		}
	}
	if !stop.BaseSize.Equal(d("0.6")) {
		t.Fatalf("resting stop for %s beside the sell, want 0.6", stop.BaseSize)
	}
	h.orders.failCancel = stop.ID
	if err := h.m.Close(h.ctx, ReasonSignal); err == nil {
		t.Fatal("the exit went through with the stop's cancel lost")
	}
	if st := h.m.State(); len(st.Sells) != 1 || !st.Sells[0].Cancelled || st.Resting == nil {
		t.Fatalf("state %+v, want the sell cancelled but not yet ended, and the stop resting", st)
	}
	if p := h.m.Protection(); p.Resting || !p.Watched || !p.Stop.Equal(d("95")) {
		t.Fatalf("protection %+v while the stop covers 0.6 of 1, want watched at 95", p)
	}
	h.drain()
	if rt := h.trip(); rt.Reason != ReasonSignal {
		t.Fatalf("round trip ended by %q, want the signal's exit once the sell's end is booked", rt.Reason)
	}
}

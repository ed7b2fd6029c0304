package exits

import (
	"errors"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
)

// These tests run the Manager against the real simulated exchange with
// queuing on: the venue accepts orders QUEUED and puts them on the book
// later (sim.Config.QueueFor), and applies edits later (EditQueueFor).

func queueFor(orders, edits time.Duration) harnessOpt {
	return func(_ *harness, c *sim.Config) { c.QueueFor, c.EditQueueFor = orders, edits }
}

// sells returns how many sell orders were ever sent, by type.
func (h *harness) sells() map[exchange.OrderType]int {
	out := map[exchange.OrderType]int{}
	for _, o := range h.x.Orders() {
		if o.Side == exchange.Sell {
			out[o.Type]++
		}
	}
	return out
}

func TestQueuedStopIsNotProtectionUntilItRests(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("2")}, queueFor(2*time.Second, 0))
	h.tick("100")
	o := h.enter("1")
	if o.Status != exchange.StatusQueued {
		t.Fatalf("entry = %s, want QUEUED", o.Status)
	}
	h.tick("100") // 1 s: still queued, nothing held
	if h.m.Position().Size.IsPositive() {
		t.Fatalf("position %s while the entry is queued", h.m.Position().Size)
	}
	h.tick("100") // 2 s: the entry reaches the book and fills; the stop goes out, QUEUED
	if !h.m.Position().Size.Equal(d("1")) {
		t.Fatalf("position %s, want 1", h.m.Position().Size)
	}
	stop := h.resting()
	if stop.Status != exchange.StatusQueued || stop.Type != exchange.StopLimit {
		t.Fatalf("stop = %s %s, want a QUEUED STOP_LIMIT", stop.Status, stop.Type)
	}
	if p := h.m.Protection(); p.Resting || !p.Watched || !p.Queued || !p.Stop.Equal(d("98")) {
		t.Fatalf("protection while the stop is queued = %+v, want watched at 98, queued, not resting", p)
	}
	h.tick("99.5") // while queued: no second stop, no resize
	if n := h.sells()[exchange.StopLimit]; n != 1 {
		t.Fatalf("%d stops sent, want 1", n)
	}
	h.tick("99.5") // 2 s after it was sent: on the book
	if got := h.resting(); got.Status != exchange.StatusOpen {
		t.Fatalf("stop = %s, want OPEN", got.Status)
	}
	if p := h.m.Protection(); !p.Resting || p.Queued {
		t.Fatalf("protection once the stop rests = %+v", p)
	}
	h.tick("97.9") // the stop triggers on the book and sells
	if h.m.Position().Size.IsPositive() {
		t.Fatalf("position %s after the stop", h.m.Position().Size)
	}
	if n := h.sells(); n[exchange.StopLimit] != 1 || n[exchange.Market] != 0 {
		t.Fatalf("sells sent %v, want the one stop", n)
	}
}

func TestStopReachedWhileItsOrderIsQueuedSellsAtMarketOnce(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("2")}, queueFor(3*time.Second, 0))
	h.tick("100")
	h.enter("1")
	for range 3 {
		h.tick("100")
	}
	if got := h.resting(); got.Status != exchange.StatusQueued || !h.m.Position().Size.Equal(d("1")) {
		t.Fatalf("stop %s, position %s: want a queued stop on 1", got.Status, h.m.Position().Size)
	}
	// Below the stop while its order waits off the book: the bot cancels
	// it (a queued order cancels at once) and sells at market, itself
	// queued for 3 s. Nothing else is sent meanwhile.
	h.tick("97.5")
	for range 3 {
		if n := h.sells(); n[exchange.StopLimit] != 1 || n[exchange.Market] != 1 {
			t.Fatalf("sells sent %v, want the stop and one market exit", n)
		}
		h.tick("97.5")
	}
	if h.m.Position().Size.IsPositive() {
		t.Fatalf("position %s after the market exit", h.m.Position().Size)
	}
	if rt := h.trip(); rt.Reason != ReasonStopLoss || !rt.ExitPrice.Equal(d("97.5")) {
		t.Fatalf("round trip %+v", rt)
	}
	if n := h.sells(); n[exchange.StopLimit] != 1 || n[exchange.Market] != 1 {
		t.Fatalf("sells sent %v, want the stop and one market exit", n)
	}
}

func TestEditQueuedTakeProfitShrinkWaitsForTheVenue(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("2"),
		TakeProfit: []TakeProfit{{Percent: d("1"), Close: d("0.5")}, {Percent: d("3"), Close: d("1")}}},
		queueFor(0, 2*time.Second))
	h.tick("100")
	h.enter("1")
	h.tick("100")
	if o := h.resting(); o.Type != exchange.Bracket || !o.BaseSize.Equal(d("1")) {
		t.Fatalf("resting %s for %s, want a bracket for 1", o.Type, o.BaseSize)
	}
	// The first level: the bracket must shrink to 0.5 before half is sold
	// (it holds all the base). The edit is queued: nothing is sold yet,
	// and the bracket still protects all of it on its old terms.
	h.tick("101")
	if o := h.resting(); o.Status != exchange.StatusEditQueued || !o.BaseSize.Equal(d("1")) {
		t.Fatalf("bracket %s for %s, want EDIT_QUEUED still for 1", o.Status, o.BaseSize)
	}
	if p := h.m.Protection(); !p.Resting || !h.m.Position().Size.Equal(d("1")) {
		t.Fatalf("protection %+v with %s held", p, h.m.Position().Size)
	}
	h.tick("101") // 1 s: still waiting; no second edit, no sale
	if n := h.sells()[exchange.Market]; n != 0 {
		t.Fatalf("%d market sells while the edit waits", n)
	}
	h.tick("101") // 2 s: the edit applies; this tick's take-profit sells the half
	h.tick("101")
	if !h.m.Position().Size.Equal(d("0.5")) {
		t.Fatalf("position %s after the first level, want 0.5", h.m.Position().Size)
	}
	o := h.resting()
	if o.Status != exchange.StatusOpen || !o.BaseSize.Equal(d("0.5")) {
		t.Fatalf("bracket %s for %s, want OPEN for 0.5", o.Status, o.BaseSize)
	}
	if n := h.sells(); n[exchange.Market] != 1 || n[exchange.Bracket] != 1 {
		t.Fatalf("sells sent %v, want one bracket and one market take-profit", n)
	}
	if got := h.m.State().Resting; got == nil || got.EditQueued != nil || !got.Size.Equal(d("0.5")) {
		t.Fatalf("resting state %+v, want the applied edit", got)
	}
}

func TestQueuedTakeProfitSaleIsSentOnceAndTheLevelDoneOnce(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("2"),
		TakeProfit: []TakeProfit{{Percent: d("1"), Close: d("0.5")}, {Percent: d("3"), Close: d("1")}}},
		queueFor(2*time.Second, 0))
	h.tick("100")
	h.enter("1")
	h.tick("100")
	h.tick("100") // the entry fills; its bracket is queued
	h.tick("100")
	h.tick("100") // the bracket rests
	if o := h.resting(); o.Type != exchange.Bracket || o.Status != exchange.StatusOpen {
		t.Fatalf("resting %s %s, want an OPEN bracket", o.Type, o.Status)
	}
	// The first level: the bracket shrinks (edits apply at once here) and
	// half is sold at market, which the venue queues for 2 s.
	h.tick("101")
	var sale exchange.Order
	for _, o := range h.x.Orders() {
		if o.Side == exchange.Sell && o.Type == exchange.Market {
			sale = o
		}
	}
	if sale.Status != exchange.StatusQueued || !sale.BaseSize.Equal(d("0.5")) {
		t.Fatalf("take-profit sale %s for %s, want QUEUED for 0.5", sale.Status, sale.BaseSize)
	}
	h.tick("101.5") // still queued: the level is not sold again
	if n := h.sells()[exchange.Market]; n != 1 {
		t.Fatalf("%d market sells while the first waits, want 1", n)
	}
	h.tick("101.5") // released: it fills
	if !h.m.Position().Size.Equal(d("0.5")) {
		t.Fatalf("position %s after the first level, want 0.5", h.m.Position().Size)
	}
	h.tick("101.5")
	if n := h.sells(); n[exchange.Market] != 1 || n[exchange.Bracket] != 1 {
		t.Fatalf("sells sent %v, want one bracket and one market take-profit", n)
	}
	if st := h.m.State(); st.TakeProfitsDone != 1 {
		t.Fatalf("take-profit levels done %d, want 1", st.TakeProfitsDone)
	}
}

// TestStrategySellWaitsForAQueuedShrinkOfTheStop: the shrink of the
// resting stop that makes room for a strategy sell is queued by the
// venue; the sell is refused until it applies, and asking again
// meanwhile sends no second change of the stop.
func TestStrategySellWaitsForAQueuedShrinkOfTheStop(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5")}, queueFor(0, 3*time.Second))
	h.tick("100")
	h.enter("1")
	h.tick("100")
	if _, err := h.sell("0.4", "110"); !errors.Is(err, ErrNotSent) {
		t.Fatalf("a sell while the stop's shrink is queued: %v, want not sent", err)
	}
	if o := h.resting(); o.Status != exchange.StatusEditQueued || !o.BaseSize.Equal(d("1")) {
		t.Fatalf("stop %s for %s, want EDIT_QUEUED still for 1", o.Status, o.BaseSize)
	}
	if _, err := h.sell("0.4", "110"); !errors.Is(err, ErrNotSent) {
		t.Fatalf("asked again while the shrink waits: %v, want not sent", err)
	}
	if o := h.resting(); o.Status != exchange.StatusEditQueued {
		t.Fatalf("stop %s after asking again, want the first edit still queued", o.Status)
	}
	for range 4 {
		h.tick("100")
	}
	if _, err := h.sell("0.4", "110"); err != nil {
		t.Fatal(err)
	}
	if got := h.openSellsText(); got != "[STOP_LIMIT 0.6 LIMIT 0.4]" {
		t.Fatalf("after the shrink applied: %s, want the stop for 0.6 beside the sell", got)
	}
	if n := h.sells()[exchange.StopLimit]; n != 1 {
		t.Fatalf("%d stop orders sent, want the one, edited in place", n)
	}
}

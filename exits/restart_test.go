package exits

import (
	"slices"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// sentAs returns the requests the venue received under clientOrderID.
func (o *simOrders) sentAs(clientOrderID string) []exchange.OrderRequest {
	var out []exchange.OrderRequest
	for _, r := range o.placed {
		if r.ClientOrderID == clientOrderID {
			out = append(out, r)
		}
	}
	return out
}

// venueOrder returns the venue's order under clientOrderID.
func (h *harness) venueOrder(clientOrderID string) (exchange.Order, bool) {
	i := slices.IndexFunc(h.x.Orders(), func(o exchange.Order) bool { return o.ClientOrderID == clientOrderID })
	if i < 0 {
		return exchange.Order{}, false
	}
	return h.x.Orders()[i], true
}

// A resting exit refused before it left (the engine's risk guard said no)
// is a definite no, like a venue's refusal: the next attempt takes a new
// client order id. The crash test found it treated as an unknown outcome:
// the id was kept and sent again on every tick, refused every time, while
// the position had no stop on the venue.
func TestAnExitRefusedBeforeItLeftTakesANewID(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2"), Update: Update{MinInterval: 1}})
	h.orders.notSent = 1
	h.tick("100")
	h.enter("1")
	if p := h.m.Protection(); !p.Watched {
		t.Fatalf("after the refusal: %+v, want the stop watched", p)
	}
	if got := h.orders.sent; len(got) != 1 {
		t.Fatalf("sent %v after one refusal, want one request and no resend of the refused id", got)
	}
	h.tick("100")
	o := h.resting()
	if o.ClientOrderID == "exit-1" || !o.BaseSize.Equal(d("1")) {
		t.Fatalf("resting %s for %s, want a new id for 1", o.ClientOrderID, o.BaseSize)
	}
	if len(h.orders.sentAs("exit-1")) != 0 {
		t.Fatalf("the refused id reached the venue: %+v", h.orders.sentAs("exit-1"))
	}
}

// A resting exit whose outcome was still unknown when its round trip
// ended (kept in the journaled state across a restart) must not become
// the next trip's exit: resent under its old id, the venue answers with
// the old order (the old size), and resizing that order would put the new
// position's stop under an id chosen for another. It is cancelled, and
// the new position gets its own order under a new id.
func TestALeftoverExitOfAnEarlierTripIsCancelledNotReused(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2")}, withBalance("BTC", "5"))
	h.tick("100")
	// The state a restart restores: flat, and the previous trip's exit,
	// for 1, never answered.
	h.m.Restore(State{Resting: &RestingOrder{ClientOrderID: "old-exit", Type: exchange.StopLimit, Size: d("1"),
		Stop: d("98"), Limit: d("97.51"), TriggerLimit: d("97.51"), Reason: ReasonStopLoss}})
	h.enter("0.5")
	h.tick("100")
	o := h.resting()
	if o.ClientOrderID == "old-exit" || !o.BaseSize.Equal(d("0.5")) {
		t.Fatalf("resting %s for %s, want a new id for 0.5", o.ClientOrderID, o.BaseSize)
	}
	for _, r := range h.orders.sentAs("old-exit") {
		if !r.BaseSize.Equal(d("1")) {
			t.Fatalf("the old id was sent for %s, a size it was never chosen for", r.BaseSize)
		}
	}
	if old, ok := h.venueOrder("old-exit"); ok && (!old.BaseSize.Equal(d("1")) || !old.Status.Terminal()) {
		t.Fatalf("the old exit on the venue: %s for %s, want it cancelled at its own size 1", old.Status, old.BaseSize)
	}
	if st := h.m.State(); len(st.Cancelling) != 0 {
		t.Fatalf("still cancelling %+v", st.Cancelling)
	}
}

// After a restart, a resting exit the state still counts on may be over
// on the venue (cancelled or filled while the daemon was down, or before
// its event was saved). Asking again under its id returns that finished
// order: it must not be taken for protection. A new order, under a new
// id, protects the position as soon as that order's events are booked.
func TestARestoredExitThatIsOverOnTheVenueIsReplacedAtOnce(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2")}, withBalance("BTC", "1"))
	h.tick("100")
	old, err := h.x.PlaceOrder(h.ctx, exchange.OrderRequest{ClientOrderID: "old-exit", ProductID: testProduct.ID,
		Side: exchange.Sell, Type: exchange.StopLimit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d("1"),
		StopPrice: d("98"), LimitPrice: d("97.51"), StopDirection: exchange.StopDown})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.x.CancelOrder(h.ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	h.queue = nil // the events of a run that is gone
	var s State
	s.Position.Size, s.Position.AvgEntry = d("1"), d("100")
	s.Stop, s.StopReason, s.EntrySize = d("98"), ReasonStopLoss, d("1")
	s.Resting = &RestingOrder{ClientOrderID: "old-exit", Type: exchange.StopLimit, Size: d("1"),
		Stop: d("98"), Limit: d("97.51"), TriggerLimit: d("97.51"), Reason: ReasonStopLoss}
	h.m.Restore(s)
	h.m.Rearm(h.ctx)
	if r := h.m.State().Resting; r != nil && r.ClientOrderID == "old-exit" {
		t.Fatalf("resting %+v: a cancelled order taken for the resting stop", r)
	}
	h.drain() // the cancelled order's state, as the engine delivers it
	o := h.resting()
	if o.ClientOrderID == "old-exit" || !o.BaseSize.Equal(d("1")) {
		t.Fatalf("resting %s for %s, want a new id for 1", o.ClientOrderID, o.BaseSize)
	}
	if r := h.m.State().Resting; r == nil || r.ClientOrderID != o.ClientOrderID || !h.m.Protection().Resting {
		t.Fatalf("protection %+v by %+v, want the new order resting", h.m.Protection(), r)
	}
}

// placeStray puts a stop-limit SELL on the venue that the Manager did
// not place, as a killed run leaves one it placed but did not save; its
// events reach the Manager as its instance's exit.
func (h *harness) placeStray(id, size, stop string) exchange.Order {
	h.t.Helper()
	o, err := h.x.PlaceOrder(h.ctx, exchange.OrderRequest{ClientOrderID: id, ProductID: testProduct.ID, Side: exchange.Sell,
		Type: exchange.StopLimit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d(size), StopPrice: d(stop),
		LimitPrice: testProduct.RoundLimit(exchange.Sell, d(stop).Mul(d("0.995"))), StopDirection: exchange.StopDown})
	if err != nil {
		h.t.Fatalf("stray stop: %v", err)
	}
	h.drain()
	return o
}

// While recovery applies the venue's view (HoldOrders), an entry's fill
// places nothing, and a resting exit found on the venue that the state
// does not name becomes the position's protection: Rearm then places
// nothing more. Without the hold the fill placed a second stop, which
// sold another instance's base in the crash test.
func TestAnExitFoundWhileHeldIsAdoptedAndRearmPlacesNothingMore(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2"), Update: Update{MinInterval: 1}}, withBalance("BTC", "5"))
	h.tick("100")
	h.m.HoldOrders()
	h.enter("1")
	if n := len(h.orders.sent); n != 0 {
		t.Fatalf("held, the entry's fill sent %v", h.orders.sent)
	}
	stray := h.placeStray("killed-run-exit", "1", "97.5")
	h.m.Rearm(h.ctx)
	h.drain()
	if o := h.resting(); o.ID != stray.ID {
		t.Fatalf("resting %s, want the found stop %s kept", o.ClientOrderID, stray.ClientOrderID)
	}
	if p := h.m.Protection(); !p.Resting || !p.Stop.Equal(d("97.5")) {
		t.Fatalf("protection %+v, want the found stop resting at 97.5", p)
	}
	if len(h.orders.sent) != 0 {
		t.Fatalf("Rearm sent %v, want nothing: the found stop protects the position", h.orders.sent)
	}
	// The stop moves up to the state's level (98) with the next tick.
	h.tick("100")
	if o := h.resting(); !o.StopPrice.Equal(d("98")) || !o.BaseSize.Equal(d("1")) {
		t.Fatalf("resting %s for %s at %s, want 1 at 98", o.ClientOrderID, o.BaseSize, o.StopPrice)
	}
}

// A resting exit found while held keeps the reason recovery noted from
// its journaled intent: a stop a killed run had moved up for trailing
// (99, above the state's stop-loss at 98) that then triggers ends the
// round trip as trailing_stop, its rule, not stop_loss, the saved stop's
// (before the fix).
func TestAFoundExitKeepsItsJournaledReason(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2"), Update: Update{MinInterval: 1}}, withBalance("BTC", "5"))
	h.tick("100")
	h.m.HoldOrders()
	h.enter("1")
	h.m.NoteExit("killed-run-exit", ReasonTrailingStop)
	h.placeStray("killed-run-exit", "1", "99")
	h.m.Rearm(h.ctx)
	if st := h.m.State(); !st.Stop.Equal(d("99")) || st.StopReason != ReasonTrailingStop {
		t.Fatalf("stop %s by %s after the found exit, want 99 by trailing_stop", st.Stop, st.StopReason)
	}
	h.tick("98.9")
	if tr := h.trip(); tr.Reason != ReasonTrailingStop {
		t.Fatalf("round trip ended with reason %q, want %q", tr.Reason, ReasonTrailingStop)
	}
}

// A resting exit found beside the position's own protection is
// cancelled: two exits would sell twice what the position holds.
func TestAnExitFoundBesideTheProtectionIsCancelled(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2")}, withBalance("BTC", "5"))
	h.tick("100")
	h.enter("1")
	own := h.resting()
	h.placeStray("killed-run-exit", "1", "97.5")
	h.tick("100")
	if o := h.resting(); o.ID != own.ID {
		t.Fatalf("resting %s, want the position's own %s alone", o.ClientOrderID, own.ClientOrderID)
	}
	if st := h.m.State(); len(st.Cancelling) != 0 {
		t.Fatalf("cancelling %+v after the cancel was confirmed", st.Cancelling)
	}
}

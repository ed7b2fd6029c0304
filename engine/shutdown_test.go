package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
)

// An entry that filled while its events were lost (the user channel was
// down) is found at shutdown and protected before the process exits:
// Settle asks the venue about it, its instance books the fill and rests
// its stop, and Unresolved finds nothing left. Issue 15, finding 2: a
// SIGTERM then exited holding the position with no stop anywhere.
func TestShutdownProtectsAnEntryThatFilledUnseen(t *testing.T) {
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(),
		QuoteSize: d("1000"), Exits: exchangeStop("2")})
	r.x.SetHandler(func(exchange.OrderEvent) {}) // the user channel is down
	r.trade("100")
	if n := len(r.x.Fills()); n != 1 {
		t.Fatalf("%d fills on the venue, want the entry's", n)
	}
	if size, _ := r.eng.instances[0].exits.Holding(); !size.IsZero() {
		t.Fatalf("the instance holds %s before shutdown; its fill should be unseen", size)
	}

	stopCtx := r.stopping(t)
	r.eng.Settle(stopCtx)
	r.eng.Park(stopCtx)
	if left := r.eng.Unresolved(stopCtx); len(left) != 0 {
		t.Errorf("unresolved at shutdown: %v", left)
	}
	sells := r.openSells(t)
	if len(sells) != 1 || sells[0].Type != exchange.StopLimit {
		t.Fatalf("open sells after shutdown %+v, want the entry's stop resting", sells)
	}
	if !sells[0].BaseSize.Equal(r.x.Fills()[0].Size) {
		t.Errorf("the stop covers %s, the entry filled %s", sells[0].BaseSize, r.x.Fills()[0].Size)
	}
}

// What shutdown cannot resolve is listed with what to check: here a
// position whose stop is only watched by the bot (not parked), which
// nothing watches once the process exits.
func TestShutdownListsAPositionItCouldNotProtect(t *testing.T) {
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(),
		QuoteSize: d("1000"), Exits: stopLoss("2")})
	r.trade("100")
	if size, _ := r.eng.instances[0].exits.Holding(); !size.IsPositive() {
		t.Fatal("no position")
	}
	stopCtx := r.stopping(t)
	left := r.eng.Unresolved(stopCtx) // not parked: the stop is only watched
	if len(left) != 1 {
		t.Fatalf("unresolved %v, want the watched position", left)
	}
}

// stopping runs the engine's instances until the test ends, stops its
// entries as SIGTERM does, and returns the shutdown's context.
func (r *rig) stopping(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.eng.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	r.eng.StopEntries()
	stopCtx, cancelStop := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancelStop)
	return stopCtx
}

package daemon

import (
	"slices"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// TestUnheardReportsEachSilentOrderOnce: an order tracked and not
// mentioned by the user channel is reported once unheardAfter has passed
// since it was first seen tracked, and not again; one the channel
// mentioned, even before it was tracked (the update can beat the REST
// answer), is never reported; a restart (the channel down or resyncing)
// starts the wait again.
func TestUnheardReportsEachSilentOrderOnce(t *testing.T) {
	u := newUnheard()
	var handled []string
	onOrder := u.note(func(ev exchange.OrderEvent) { handled = append(handled, ev.Order.ID) })
	onOrder(exchange.OrderEvent{Order: exchange.Order{ID: "heard-first"}})
	if !slices.Equal(handled, []string{"heard-first"}) {
		t.Fatalf("note passed on %v", handled)
	}
	t0 := time.Now()
	tracked := []string{"heard-first", "silent"}
	if late := u.check(t0, tracked); len(late) != 0 {
		t.Fatalf("reported %v at first sight", late)
	}
	if late := u.check(t0.Add(unheardAfter-time.Millisecond), tracked); len(late) != 0 {
		t.Fatalf("reported %v before unheardAfter", late)
	}
	u.restart(t0.Add(unheardAfter - time.Millisecond))
	if late := u.check(t0.Add(unheardAfter), tracked); len(late) != 0 {
		t.Fatalf("reported %v although the wait started again", late)
	}
	at := t0.Add(2 * unheardAfter)
	if late := u.check(at, tracked); !slices.Equal(late, []string{"silent"}) {
		t.Fatalf("reported %v, want [silent]", late)
	}
	if late := u.check(at.Add(time.Second), tracked); len(late) != 0 {
		t.Fatalf("reported %v a second time", late)
	}
	// Untracked orders are forgotten: heard ones after heardForget.
	u.check(at.Add(heardForget), nil)
	if len(u.heard) != 0 || len(u.waiting) != 0 || len(u.reported) != 0 {
		t.Errorf("kept %d heard, %d waiting, %d reported orders no longer tracked", len(u.heard), len(u.waiting), len(u.reported))
	}
}

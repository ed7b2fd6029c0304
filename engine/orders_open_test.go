package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
)

// openOrders counts orders submitted and ended as tradebot_orders_open
// does, and remembers its lowest value.
type openOrders struct {
	NopObserver
	mu        sync.Mutex
	open, low int
}

func (o *openOrders) OrderSubmitted(string, string, exchange.Side, exchange.OrderType) {
	o.mu.Lock()
	o.open++
	o.mu.Unlock()
}

func (o *openOrders) OrderEnded(string, string, exchange.Side, exchange.OrderType, string) {
	o.mu.Lock()
	o.open--
	o.low = min(o.low, o.open)
	o.mu.Unlock()
}

// An attached bracket, which the venue creates and tradebot adopts, is
// counted open when adopted, so its end does not take orders_open below
// zero (issue 15, finding 7: it read -3 with attached brackets).
func TestOrdersOpenCountsAdoptedBracketsAndNeverGoesNegative(t *testing.T) {
	obs := &openOrders{}
	r := newRig(t, risk.DefaultConfig())
	var err error
	r.eng, err = New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock, Observer: obs,
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterOnFirstTrade(), QuoteSize: d("1000"),
			Exits: attachedBracket()}}})
	if err != nil {
		t.Fatal(err)
	}
	r.x.SetHandler(r.eng.HandleEvent)
	r.trade("100")
	r.trade("101")
	if obs.open != 1 {
		t.Errorf("orders open %d with the bracket resting, want 1", obs.open)
	}
	r.trade("104") // the bracket's take-profit fills
	if len(r.x.Fills()) != 2 {
		t.Fatalf("%d fills, want the entry and its bracket", len(r.x.Fills()))
	}
	if obs.open != 0 || obs.low < 0 {
		t.Errorf("orders open %d at the end (lowest %d), want 0 and never below", obs.open, obs.low)
	}
}

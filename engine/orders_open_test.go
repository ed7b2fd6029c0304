package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
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
	ex := exchangeStop("2")
	ex.AttachToEntry = true
	ex.TakeProfit = []exits.TakeProfit{{Percent: d("3"), Close: d("1")}}
	entered := false
	enterOnATrade := &scripted{decide: func(tk *exchange.Tick, pos strategy.PositionView) strategy.Decision {
		if entered || tk.Kind != exchange.TradeTick {
			return strategy.Decision{}
		}
		entered = true
		return strategy.Decision{Signal: strategy.Enter, Reason: "test"}
	}}
	obs := &openOrders{}
	r := newRig(t, risk.DefaultConfig())
	var err error
	r.eng, err = New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock, Observer: obs,
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterOnATrade, QuoteSize: d("1000"), Exits: ex}}})
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

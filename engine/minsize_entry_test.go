package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
)

// decisions remembers the guard's decisions and the venue's refusals the
// engine reports.
type decisions struct {
	NopObserver
	mu      sync.Mutex
	guard   []string // rule/verdict
	refused []string // the venue's reasons
}

func (o *decisions) RiskDecision(rule, verdict string) {
	o.mu.Lock()
	o.guard = append(o.guard, rule+"/"+verdict)
	o.mu.Unlock()
}

func (o *decisions) OrderRejected(reason string) {
	o.mu.Lock()
	o.refused = append(o.refused, reason)
	o.mu.Unlock()
}

// A paper entry sized in base and worth less than the product's
// quote_min_size at the ask it takes is refused by the guard, as invalid,
// and never reaches the simulated exchange; one worth the minimum is
// placed and fills. min_order_notional 0 leaves the product's minimums
// alone to decide. Until 2026-12-07 the guard passed it and the venue
// refused it (INVALID_QUOTE_SIZE_TOO_SMALL).
func TestAPaperEntryWorthLessThanTheQuoteMinimumStopsAtTheGuard(t *testing.T) {
	for _, c := range []struct {
		price   string
		placed  bool
		verdict string
	}{
		// The rig quotes a cent either side of the trade: a buy takes
		// the ask.
		{"49999.98", false, risk.RuleInvalidOrder}, // 0.00002 × 49,999.99 = 0.9999998
		{"49999.99", true, risk.RuleOK},            // 0.00002 × 50,000 = 1, the minimum
	} {
		cfg := risk.DefaultConfig()
		cfg.Limits.MinOrderNotional = decimal.Zero
		obs := &decisions{}
		r := newRig(t, cfg)
		var err error
		r.eng, err = New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock, Observer: obs,
			Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterOnFirstTrade(), BaseSize: d("0.00002"),
				Exits: stopLoss("5")}}})
		if err != nil {
			t.Fatal(err)
		}
		r.x.SetHandler(r.eng.HandleEvent)
		r.trade(c.price)
		obs.mu.Lock()
		guard, refused := obs.guard, obs.refused
		obs.mu.Unlock()
		if len(guard) == 0 || guard[0] != c.verdict+"/"+verdictOf(c.placed) {
			t.Errorf("at %s: guard decisions %v, want %s first", c.price, guard, c.verdict)
		}
		if len(refused) != 0 {
			t.Errorf("at %s: the venue refused %v; the guard should have", c.price, refused)
		}
		if got := len(r.x.Orders()) > 0; got != c.placed {
			t.Errorf("at %s: order reached the exchange: %v, want %v", c.price, got, c.placed)
		}
		if c.placed {
			if f := r.x.Fills(); len(f) != 1 || f[0].Side != exchange.Buy {
				t.Errorf("at %s: fills %+v, want the entry", c.price, f)
			}
		}
	}
}

func verdictOf(allowed bool) string {
	if allowed {
		return risk.VerdictAllow
	}
	return risk.VerdictReject
}

package engine

import (
	"errors"
	"testing"

	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
)

// A fixed stop at or above the market refuses the entry before it is
// sent: Coinbase would refuse the stop and the position be sold at once
// (reason fallback), every entry an instant loss (issue 15, finding 4).
// A fixed stop below the market lets it through.
func TestAFixedStopAtOrAboveTheMarketRefusesTheEntry(t *testing.T) {
	for _, tc := range []struct {
		name, stop string
		entered    bool
	}{
		{"above", "105", false},
		{"at", "100", false},
		{"below", "95", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ex exits.Config
			ex.Placement = exits.OnExchange
			ex.StopLoss = &exits.StopLoss{Price: d(tc.stop)}
			r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(),
				QuoteSize: d("1000"), Exits: ex})
			r.trade("100")
			_, n := filledBuys(r.x)
			if entered := n == 1; entered != tc.entered {
				t.Fatalf("entered %v with a fixed stop at %s and the market at 100, want %v (fills %+v)",
					entered, tc.stop, tc.entered, r.x.Fills())
			}
			if !tc.entered {
				err := r.eng.instances[0].checkFixedStop(d("100"))
				var refusal *FixedStopRefusal
				if !errors.As(err, &refusal) {
					t.Errorf("checkFixedStop = %v, want a FixedStopRefusal", err)
				}
			}
		})
	}
}

package coinbase

import (
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// The user channel has no liquidity indicator; the feed infers it so that
// no fill is logged or counted with an empty one.
func TestUserFillLiquidityIsInferredFromTheOrder(t *testing.T) {
	order := func(typ exchange.OrderType, tif exchange.TimeInForce, postOnly, triggered bool) exchange.Order {
		var o exchange.Order
		o.Type, o.TimeInForce, o.PostOnly, o.Triggered = typ, tif, postOnly, triggered
		return o
	}
	cases := []struct {
		name string
		o    exchange.Order
		seen bool
		want exchange.Liquidity
	}{
		{"market order takes", order(exchange.Market, exchange.ImmediateOrCancel, false, false), false, exchange.Taker},
		{"IOC limit takes even when seen before", order(exchange.Limit, exchange.ImmediateOrCancel, false, false), true, exchange.Taker},
		{"FOK limit takes", order(exchange.Limit, exchange.FillOrKill, false, false), false, exchange.Taker},
		{"triggered bracket stop takes", order(exchange.Bracket, exchange.GoodTilCancelled, false, true), true, exchange.Taker},
		{"post-only limit makes", order(exchange.Limit, exchange.GoodTilCancelled, true, false), false, exchange.Maker},
		{"resting limit filled later makes", order(exchange.Limit, exchange.GoodTilCancelled, false, false), true, exchange.Maker},
		{"bracket take-profit filled after resting makes", order(exchange.Bracket, exchange.GoodTilCancelled, false, false), true, exchange.Maker},
		{"limit filled on arrival takes", order(exchange.Limit, exchange.GoodTilCancelled, false, false), false, exchange.Taker},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := userFillLiquidity(tc.o, tc.seen); got != tc.want {
				t.Errorf("userFillLiquidity = %q, want %q", got, tc.want)
			}
		})
	}
}

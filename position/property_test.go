package position

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
)

// Over any sequence of buys and sells, the books agree with the cash:
// realized profit is exactly what the quote balance gained once flat, the
// size is never negative, and the round trips add up to RealizedPnL.
func TestBooksMatchCashOverRandomFills(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := Position{Strategy: "s", ProductID: "BTC-USD"}
		cash, trips := decimal.Zero, decimal.Zero
		n := rapid.IntRange(1, 40).Draw(rt, "fills")
		for i := range n {
			side := exchange.Buy
			if p.Size.IsPositive() && rapid.Bool().Draw(rt, "sell") {
				side = exchange.Sell
			}
			price := decimal.New(int64(rapid.IntRange(1, 10_000_000).Draw(rt, "price_cents")), -2)
			size := decimal.New(int64(rapid.IntRange(1, 100_000).Draw(rt, "size")), -4)
			if side == exchange.Sell && size.GreaterThan(p.Size) {
				size = p.Size
			}
			fee := price.Mul(size).Mul(decimal.New(6, -3))
			f := exchange.Fill{ProductID: "BTC-USD", Side: side, Price: price, Size: size, Fee: fee, Time: time.Unix(int64(i), 0)}
			if side == exchange.Buy {
				cash = cash.Sub(f.Value()).Sub(fee)
			} else {
				cash = cash.Add(f.Value()).Sub(fee)
			}
			if trip := p.ApplyFill(f, "r"); trip != nil {
				trips = trips.Add(trip.PnL)
				if !cash.Equal(p.RealizedPnL) {
					rt.Fatalf("flat after fill %d: realized %s, cash gained %s", i, p.RealizedPnL, cash)
				}
			}
			if p.Size.IsNegative() {
				rt.Fatalf("size %s after fill %d", p.Size, i)
			}
		}
		if !trips.Equal(p.RealizedPnL) && !p.Size.IsPositive() {
			rt.Fatalf("trips sum to %s, realized %s", trips, p.RealizedPnL)
		}
	})
}

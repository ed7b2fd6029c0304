package exits

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

var quarter = decimal.New(25, -2)

// PessimisticTicks appends to dst the four trade ticks of candle c in the
// order that is worst for a long position, open, low, high, close, and
// returns the extended slice. When one candle reaches both a long's stop
// (below) and its take-profit (above), the stop is therefore hit first:
// a backtest run on these ticks never credits a target that the true,
// unknown order inside the candle might not have allowed. The ticks are
// spread evenly over the candle, the last at its final nanosecond; each
// carries a quarter of the volume and Received equals Time.
func PessimisticTicks(c exchange.Candle, dst []exchange.Tick) []exchange.Tick {
	step := (c.Interval - 1) / 3
	if step < 1 {
		step = 1
	}
	prices := [4]decimal.Decimal{c.Open, c.Low, c.High, c.Close}
	sides := [4]exchange.Side{exchange.Sell, exchange.Sell, exchange.Buy, exchange.Sell}
	if c.Close.GreaterThanOrEqual(c.High) {
		sides[3] = exchange.Buy
	}
	size := c.Volume.Mul(quarter)
	for i, p := range prices {
		at := c.Start.Add(step * time.Duration(i))
		if i == 3 && c.Interval >= 4 {
			at = c.Start.Add(c.Interval - 1)
		}
		dst = append(dst, exchange.Tick{ProductID: c.ProductID, Kind: exchange.TradeTick, Time: at, Received: at,
			Price: p, Size: size, TakerSide: sides[i]})
	}
	return dst
}

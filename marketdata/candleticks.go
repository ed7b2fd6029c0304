package marketdata

import (
	"math"
	"math/big"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// quarter splits a candle's volume over its four ticks.
var quarter = decimal.New(25, -2)

// quarterOf is v.Mul(quarter), the same Decimal (coefficient times 25,
// exponent minus 2), made from an int64 product where the coefficient
// allows: Mul's big.Int multiplication was a tenth of the parser's work
// per candle. Its big.Int and word take one allocation (intAndWord), not
// decimal.New's two: a candle's other allocations are shared by the
// decimalCache, so these two were most of what parsing a candle file
// allocated, one pair per candle.
func quarterOf(v decimal.Decimal) decimal.Decimal {
	c, ok := fastdecimal.CoefficientInt64(v)
	if !ok || c > math.MaxInt64/25 || c < math.MinInt64/25 || v.Exponent() < math.MinInt32+2 {
		return v.Mul(quarter)
	}
	if c *= 25; !fitsOneWord(c) {
		return decimal.New(c, v.Exponent()-2)
	}
	x := new(intAndWord)
	return oneWordDecimal(&x.z, x.w[:], c, v.Exponent()-2)
}

// intAndWord is a big.Int and the word of its value, allocated together.
type intAndWord struct {
	z big.Int
	w [1]big.Word
}

// CandleTicks appends to dst the four trade ticks a backtest assumes
// happened inside candle c, and returns the extended slice:
//
//	open, then the extreme nearer the open, then the other extreme, close
//
// that is open, low, high, close when open-low < high-open, and open,
// high, low, close otherwise (ties go high first). This is the usual OHLC
// path assumption; it decides, for example, whether a stop below or a
// target above fills first when a candle reaches both, and it is only an
// assumption: the true order inside a candle is unknown.
//
// The ticks are spread evenly from c.Start to the last nanosecond of the
// candle (Start+Interval-1ns), so they are strictly increasing and stay
// inside the candle. Each carries a quarter of the volume; the taker side
// follows the move (BUY on the way up, SELL on the way down; the open
// takes the direction of the whole candle). Received equals Time. With
// an Interval under 4ns the ticks are 1ns apart.
func CandleTicks(c exchange.Candle, dst []exchange.Tick) []exchange.Tick {
	first, second := c.High, c.Low
	if c.Open.Sub(c.Low).LessThan(c.High.Sub(c.Open)) {
		first, second = c.Low, c.High
	}
	return pathTicks(c, [4]decimal.Decimal{c.Open, first, second, c.Close}, dst)
}

// pathTicks appends the trade ticks of candle c at the four prices, in
// order: evenly spread, a quarter of the volume each, the taker side
// following the move.
func pathTicks(c exchange.Candle, prices [4]decimal.Decimal, dst []exchange.Tick) []exchange.Tick {
	step := (c.Interval - 1) / 3
	if step < 1 {
		step = 1
	}
	size := quarterOf(c.Volume)
	side := exchange.Buy
	if c.Close.LessThan(c.Open) {
		side = exchange.Sell
	}
	for i, p := range prices {
		if i > 0 {
			switch p.Cmp(prices[i-1]) {
			case 1:
				side = exchange.Buy
			case -1:
				side = exchange.Sell
			}
		}
		t := c.Start.Add(time.Duration(i) * step)
		if i == 3 && c.Interval >= 4 {
			t = c.Start.Add(c.Interval - 1)
		}
		dst = append(dst, exchange.Tick{ProductID: c.ProductID, Kind: exchange.TradeTick, Time: t, Received: t,
			Price: p, Size: size, TakerSide: side})
	}
	return dst
}

package marketdata

import (
	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// CandlePath names the order in which a backtest assumes a candle's four
// prices were traded.
type CandlePath int

const (
	// PathNearerFirst is CandleTicks' path: open, the extreme nearer the
	// open, the other extreme, close.
	PathNearerFirst CandlePath = iota
	// PathLowFirst is open, low, high, close on every candle. For a
	// long-only bot it is the pessimistic path: when a candle reaches both
	// a stop below and a target above, the stop is met first.
	PathLowFirst
)

// String returns the path's name as the backtest reports print it.
func (p CandlePath) String() string {
	if p == PathLowFirst {
		return "low-first (O-L-H-C)"
	}
	return "nearer-extreme-first"
}

// CandleTicksPath appends the four trade ticks of candle c along path and
// returns the extended slice. PathNearerFirst is exactly CandleTicks;
// PathLowFirst has the same timing, volume split and taker sides as
// CandleTicks, only the order of the extremes is fixed: low, then high.
func CandleTicksPath(c exchange.Candle, path CandlePath, dst []exchange.Tick) []exchange.Tick {
	if path != PathLowFirst {
		return CandleTicks(c, dst)
	}
	return pathTicks(c, [4]decimal.Decimal{c.Open, c.Low, c.High, c.Close}, dst)
}

package marketdata

import (
	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// nautilusReader reads nautilus_trader's bar CSV:
//
//	timestamp,open,high,low,close,volume
//	2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295
//
// The timestamp is the bar's close, as nautilus stamps bars (its bundled
// one-minute file starts at 23:01 for the bar that opened at 23:00); the
// candle stream subtracts the interval to get Start. Without that shift a
// backtest would see each bar a minute before it had formed.
type nautilusReader struct {
	lines  *lineReader
	nums   decimalCache
	days   dayCache
	header bool
}

func (r *nautilusReader) line() int { return r.lines.line }

func (r *nautilusReader) next() (exchange.Candle, error) {
	var c exchange.Candle
	for {
		line, err := r.lines.next()
		if err != nil {
			return c, err
		}
		if !r.header {
			// detect checked the header; a file read directly by a test
			// still has it as line 1.
			r.header = true
			continue
		}
		if len(line) == 0 {
			continue
		}
		fs := cutFields(line, ',')
		if fs.n != 6 {
			return c, r.lines.errorf("", "%d fields, want 6 (timestamp,open,high,low,close,volume)", fs.n)
		}
		f := &fs.f
		if c.Start, err = r.days.parseTimestamp(f[0]); err != nil {
			return c, r.lines.wrap("timestamp", err)
		}
		c.Open, c.High, c.Low, c.Close, c.Volume, err = parseOHLCV(r.lines, &r.nums, f[1], f[2], f[3], f[4], f[5])
		return c, err
	}
}

// parseOHLCV parses the prices and volume of a candle, naming the field
// at fault. It returns them rather than filling a candle through a
// pointer so that the caller's candle stays on its stack.
func parseOHLCV(l *lineReader, nums *decimalCache, open, high, low, close, volume []byte) (o, h, lo, c, v decimal.Decimal, err error) {
	if o, err = nums.parse(open); err != nil {
		return o, h, lo, c, v, l.wrap("open", err)
	}
	if h, err = nums.parse(high); err != nil {
		return o, h, lo, c, v, l.wrap("high", err)
	}
	if lo, err = nums.parse(low); err != nil {
		return o, h, lo, c, v, l.wrap("low", err)
	}
	if c, err = nums.parse(close); err != nil {
		return o, h, lo, c, v, l.wrap("close", err)
	}
	if v, err = nums.parse(volume); err != nil {
		return o, h, lo, c, v, l.wrap("volume", err)
	}
	return o, h, lo, c, v, nil
}

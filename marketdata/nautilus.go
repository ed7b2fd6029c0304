package marketdata

import (
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
		var f [6][]byte
		if n := cutFields(f[:], line, ','); n != len(f) {
			return c, r.lines.errorf("", "%d fields, want 6 (timestamp,open,high,low,close,volume)", n)
		}
		if c.Start, err = parseTimestamp(f[0]); err != nil {
			return c, r.lines.wrap("timestamp", err)
		}
		if err := parseOHLCV(r.lines, &r.nums, &c, f[1], f[2], f[3], f[4], f[5]); err != nil {
			return c, err
		}
		return c, nil
	}
}

// parseOHLCV fills the prices and volume of c, naming the field at fault.
func parseOHLCV(l *lineReader, nums *decimalCache, c *exchange.Candle, open, high, low, close, volume []byte) error {
	var err error
	if c.Open, err = nums.parse(open); err != nil {
		return l.wrap("open", err)
	}
	if c.High, err = nums.parse(high); err != nil {
		return l.wrap("high", err)
	}
	if c.Low, err = nums.parse(low); err != nil {
		return l.wrap("low", err)
	}
	if c.Close, err = nums.parse(close); err != nil {
		return l.wrap("close", err)
	}
	if c.Volume, err = nums.parse(volume); err != nil {
		return l.wrap("volume", err)
	}
	return nil
}

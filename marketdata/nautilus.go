package marketdata

import (
	"bytes"

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
		if c, ok := r.quickLine(line); ok {
			return c, nil
		}
		return r.parseLine(line)
	}
}

// quickLine reads a well-formed bar line in one pass, each number
// parsed as its end is found (see numberAt). At anything else it
// returns ok false, and parseLine reads the line, naming the fault.
func (r *nautilusReader) quickLine(line []byte) (c exchange.Candle, ok bool) {
	i := bytes.IndexByte(line, ',')
	if i < 0 {
		return c, false
	}
	var err error
	if c.Start, err = r.days.parseTimestamp(line[:i]); err != nil {
		return c, false
	}
	m, e, ok := fiveNumbersAt(line, i) // open, high, low, close, volume
	if !ok {
		return c, false
	}
	c.Open, c.High, c.Low = r.nums.value(m[0], e[0]), r.nums.value(m[1], e[1]), r.nums.value(m[2], e[2])
	c.Close, c.Volume = r.nums.value(m[3], e[3]), r.nums.value(m[4], e[4])
	return c, true
}

// parseLine cuts a bar line into its fields and parses them, naming the
// field at fault.
func (r *nautilusReader) parseLine(line []byte) (c exchange.Candle, err error) {
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

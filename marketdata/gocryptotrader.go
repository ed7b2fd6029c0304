package marketdata

import (
	"bytes"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// gocryptotrader's backtester data files have no header. Candles are
//
//	unix_s,volume,open,high,low,close
//
// (volume second, unlike every other format), and trades are
//
//	unix_s,price,amount,side
//
// where side is BUY, SELL, or ANY when unknown. detect tells them apart
// by the number of columns.

type gctCandleReader struct {
	lines *lineReader
	nums  decimalCache
}

func (r *gctCandleReader) line() int { return r.lines.line }

func (r *gctCandleReader) next() (exchange.Candle, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			return exchange.Candle{}, err
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

// parseLine cuts a candle line into its fields and parses them, naming
// the field at fault.
func (r *gctCandleReader) parseLine(line []byte) (c exchange.Candle, err error) {
	fs := cutFields(line, ',')
	if fs.n != 6 {
		return c, r.lines.errorf("", "%d fields, want 6 (unix_s,volume,open,high,low,close)", fs.n)
	}
	f := &fs.f
	if c.Start, err = unixSeconds(f[0]); err != nil {
		return c, r.lines.wrap("unix_s", err)
	}
	c.Open, c.High, c.Low, c.Close, c.Volume, err = parseOHLCV(r.lines, &r.nums, f[2], f[3], f[4], f[5], f[1])
	return c, err
}

// quickLine reads a well-formed candle line in one pass, each number
// parsed as its end is found (see numberAt). At anything else it
// returns ok false, and next cuts and parses the line, naming the fault.
func (r *gctCandleReader) quickLine(line []byte) (c exchange.Candle, ok bool) {
	var i int
	if c.Start, i, ok = unixSecondsAt(line, ','); !ok {
		return c, false
	}
	m, e, ok := fiveNumbersAt(line, i) // volume, open, high, low, close
	if !ok {
		return c, false
	}
	c.Volume, c.Open, c.High = r.nums.value(m[0], e[0]), r.nums.value(m[1], e[1]), r.nums.value(m[2], e[2])
	c.Low, c.Close = r.nums.value(m[3], e[3]), r.nums.value(m[4], e[4])
	return c, true
}

// unixSecondsAt reads the unix_s field that starts a line, up to sep:
// its time, and the index of sep. ok is false when the field is not
// followed by sep or unixSeconds refuses it.
func unixSecondsAt(line []byte, sep byte) (t time.Time, end int, ok bool) {
	for end < len(line) && line[end]-'0' <= 9 {
		end++
	}
	if end == len(line) || line[end] != sep {
		return t, end, false
	}
	t, err := unixSeconds(line[:end])
	return t, end, err == nil
}

// gctTradeReader is the TickSource of a gocryptotrader trades file.
type gctTradeReader struct {
	lines   *lineReader
	nums    decimalCache
	product string
	// A busy second has many trades: the time of the last distinct
	// unix_s text is kept and reused while the text repeats.
	lastText [20]byte
	lastLen  int
	lastTime time.Time
}

// unixSeconds is the package's unixSeconds through the last-time cache.
func (r *gctTradeReader) unixSeconds(b []byte) (time.Time, error) {
	if r.lastLen > 0 && string(b) == string(r.lastText[:r.lastLen]) {
		return r.lastTime, nil
	}
	t, err := unixSeconds(b)
	if err == nil && len(b) <= len(r.lastText) {
		r.lastLen = copy(r.lastText[:], b)
		r.lastTime = t
	}
	return t, err
}

// Next returns the next trade; a side of ANY leaves TakerSide empty.
func (r *gctTradeReader) Next() (exchange.Tick, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			return exchange.Tick{ProductID: r.product, Kind: exchange.TradeTick}, err
		}
		if len(line) == 0 {
			continue
		}
		if t, ok := r.quickLine(line); ok {
			return t, nil
		}
		return r.parseLine(line)
	}
}

// quickLine reads a well-formed trade line in one pass, as the candle
// reader's quickLine does; ok false sends the line to parseLine.
func (r *gctTradeReader) quickLine(line []byte) (t exchange.Tick, ok bool) {
	t = exchange.Tick{ProductID: r.product, Kind: exchange.TradeTick}
	end := 0
	for end < len(line) && line[end]-'0' <= 9 {
		end++
	}
	if end == len(line) || line[end] != ',' {
		return t, false
	}
	var err error
	if t.Time, err = r.unixSeconds(line[:end]); err != nil {
		return t, false
	}
	pm, pe, i, ok := numberAt(line, end+1)
	if !ok || i == len(line) || line[i] != ',' {
		return t, false
	}
	am, ae, i, ok := numberAt(line, i+1)
	if !ok || i == len(line) || line[i] != ',' {
		return t, false
	}
	switch string(line[i+1:]) {
	case "BUY":
		t.TakerSide = exchange.Buy
	case "SELL":
		t.TakerSide = exchange.Sell
	case "ANY", "":
	default:
		return t, false
	}
	t.Received = t.Time
	t.Price, t.Size = r.nums.value(pm, pe), r.nums.value(am, ae)
	return t, true
}

// parseLine cuts a trade line into its fields and parses them, naming
// the field at fault.
func (r *gctTradeReader) parseLine(line []byte) (exchange.Tick, error) {
	t := exchange.Tick{ProductID: r.product, Kind: exchange.TradeTick}
	fs := cutFields(line, ',')
	if fs.n != 4 {
		return t, r.lines.errorf("", "%d fields, want 4 (unix_s,price,amount,side)", fs.n)
	}
	f := &fs.f
	var err error
	if t.Time, err = r.unixSeconds(f[0]); err != nil {
		return t, r.lines.wrap("unix_s", err)
	}
	t.Received = t.Time
	if t.Price, err = r.nums.parse(f[1]); err != nil {
		return t, r.lines.wrap("price", err)
	}
	if t.Size, err = r.nums.parse(f[2]); err != nil {
		return t, r.lines.wrap("amount", err)
	}
	switch {
	case bytes.EqualFold(f[3], []byte("BUY")):
		t.TakerSide = exchange.Buy
	case bytes.EqualFold(f[3], []byte("SELL")):
		t.TakerSide = exchange.Sell
	case bytes.EqualFold(f[3], []byte("ANY")), len(f[3]) == 0:
		// Unknown aggressor: TakerSide stays empty.
	default:
		return t, r.lines.errorf("side", "%s is not BUY, SELL or ANY", quote(f[3]))
	}
	return t, nil
}

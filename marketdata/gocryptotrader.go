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
	var c exchange.Candle
	for {
		line, err := r.lines.next()
		if err != nil {
			return c, err
		}
		if len(line) == 0 {
			continue
		}
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
	t := exchange.Tick{ProductID: r.product, Kind: exchange.TradeTick}
	for {
		line, err := r.lines.next()
		if err != nil {
			return t, err
		}
		if len(line) == 0 {
			continue
		}
		fs := cutFields(line, ',')
		if fs.n != 4 {
			return t, r.lines.errorf("", "%d fields, want 4 (unix_s,price,amount,side)", fs.n)
		}
		f := &fs.f
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
		// The exact spellings first: EqualFold is slower, and the
		// files are written in capitals.
		case string(f[3]) == "BUY":
			t.TakerSide = exchange.Buy
		case string(f[3]) == "SELL":
			t.TakerSide = exchange.Sell
		case string(f[3]) == "ANY":
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
}

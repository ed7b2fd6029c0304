package backtest

import (
	"errors"
	"io"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

// A sweep holds its data in memory and every worker reads all of it for
// every combination. Held as ticks, a one-minute candle is four ticks of
// 184 bytes with a dozen pointers: some 740 bytes that each worker drags
// through its caches and the collector marks at every cycle. packedCandles
// hold a candle file as it was read, one packedCandle of 96 bytes per
// candle with its four prices, and each run makes the ticks again, a
// batch at a time, into a buffer of its own that stays in its core's
// cache.

// packedChunk is how many candles one piece of packedCandles holds
// (384 KB): growing one slice would copy it at every doubling and hold
// both copies at once.
const packedChunk = 1 << 12

// packedCandle is the four ticks marketdata.CandleTicksPath makes of one
// candle, less what they share.
type packedCandle struct {
	// sec and nsec are the first tick's time (Unix); the others follow
	// it by their shape's offsets.
	sec int64
	// prices are the ticks' prices along the candle path.
	prices [4]decimal.Decimal
	// size is every tick's size.
	size decimal.Decimal
	nsec int32
	// shape indexes packedCandles.shapes.
	shape uint8
	// sells has bit k set when tick k's taker is the seller.
	sells uint8
}

// candleShape is what the ticks of many candles have in common.
type candleShape struct {
	product string
	loc     *time.Location
	// offsets are the ticks' times after the first tick's.
	offsets [4]time.Duration
}

// maxShapes is how many shapes a packedCandle can index.
const maxShapes = 1 << 8

// packedCandles is one candle file held in packedCandle form.
type packedCandles struct {
	chunks [][]packedCandle
	n      int
	shapes []candleShape
	last   int // index of the shape the last candle took
}

// add packs the four ticks CandleTicksPath made of a candle, or reports
// false when they are not of the form a packedCandle holds exactly (the
// caller then holds the file as ticks).
func (p *packedCandles) add(ticks []exchange.Tick) bool {
	if len(ticks) != 4 {
		return false
	}
	t0 := &ticks[0]
	sh := candleShape{product: t0.ProductID, loc: t0.Time.Location()}
	c := packedCandle{sec: t0.Time.Unix(), nsec: int32(t0.Time.Nanosecond()), size: t0.Size}
	if time.Unix(c.sec, int64(c.nsec)).In(sh.loc) != t0.Time {
		return false
	}
	for k := range ticks {
		t := &ticks[k]
		sh.offsets[k] = t.Time.Sub(t0.Time)
		switch {
		case t.Kind != exchange.TradeTick, t.ProductID != sh.product, t.Received != t.Time,
			t0.Time.Add(sh.offsets[k]) != t.Time, t.Size != c.size,
			t.Bid != (decimal.Decimal{}), t.BidSize != (decimal.Decimal{}),
			t.Ask != (decimal.Decimal{}), t.AskSize != (decimal.Decimal{}):
			return false
		case t.TakerSide == exchange.Sell:
			c.sells |= 1 << k
		case t.TakerSide != exchange.Buy:
			return false
		}
		c.prices[k] = t.Price
	}
	if p.last >= len(p.shapes) || p.shapes[p.last] != sh {
		p.last = slices.Index(p.shapes, sh)
		if p.last < 0 {
			if len(p.shapes) == maxShapes {
				return false
			}
			p.last = len(p.shapes)
			p.shapes = append(p.shapes, sh)
		}
	}
	c.shape = uint8(p.last)
	if p.n%packedChunk == 0 {
		p.chunks = append(p.chunks, make([]packedCandle, 0, packedChunk))
	}
	last := &p.chunks[len(p.chunks)-1]
	*last = append(*last, c)
	p.n++
	return true
}

func (p *packedCandles) candle(i int) *packedCandle {
	return &p.chunks[i/packedChunk][i%packedChunk]
}

// products returns the product ids of the candles, sorted.
func (p *packedCandles) products() []string {
	var out []string
	for _, sh := range p.shapes {
		if !slices.Contains(out, sh.product) {
			out = append(out, sh.product)
		}
	}
	slices.Sort(out)
	return out
}

// tickTime returns the time of tick v, counting four ticks a candle.
func (p *packedCandles) tickTime(v int) time.Time {
	c := p.candle(v / 4)
	sh := &p.shapes[c.shape]
	return time.Unix(c.sec, int64(c.nsec)).In(sh.loc).Add(sh.offsets[v%4])
}

// appendTicks appends ticks [from, to) to dst, exactly as
// CandleTicksPath made them but for the product id's string: ids[k] is
// the one shape k's ticks carry (packedFeed's ids).
func (p *packedCandles) appendTicks(dst []exchange.Tick, from, to int, ids []string) []exchange.Tick {
	// The ticks are written in place: appended, each was built on the
	// stack and then copied, 184 bytes twice.
	n := len(dst)
	dst = slices.Grow(dst, to-from)[:n+to-from]
	for v := from; v < to; {
		c := p.candle(v / 4)
		sh := &p.shapes[c.shape]
		t0 := time.Unix(c.sec, int64(c.nsec)).In(sh.loc)
		for k := v % 4; k < 4 && v < to; k, v = k+1, v+1 {
			t := t0.Add(sh.offsets[k])
			side := exchange.Buy
			if c.sells&(1<<k) != 0 {
				side = exchange.Sell
			}
			dst[n] = exchange.Tick{ProductID: ids[c.shape], Kind: exchange.TradeTick, Time: t, Received: t,
				Price: c.prices[k], Size: c.size, TakerSide: side}
			n++
		}
	}
	return dst
}

// loadPacked reads the candle file path into packedCandles, keeping the
// ticks inside the options' period: its Data, or nil when the file is
// not a candle file or does not pack (Load then holds it as ticks).
func loadPacked(path string, o LoadOptions) (*Data, error) {
	src, err := openData(path, o, nil)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if src.Candles == nil {
		return nil, nil
	}
	f := newFileTicks(path, src, o)
	p := &packedCandles{}
	// The ticks kept are [lo, hi) of the candles packed, four a candle:
	// the period cuts only into the first and the last candle.
	lo, hi := -1, 0
	after := false // a tick was left out after the first kept
	var scratch [4]exchange.Tick
	for {
		c, err := f.src.Candles.Next()
		if err != nil {
			if err = f.wrap(err); errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		f.info.Candles++
		ticks := marketdata.CandleTicksPath(c, o.Path, scratch[:0])
		kept := 0
		for k := range ticks {
			if !f.keep(&ticks[k]) {
				after = after || lo >= 0
				continue
			}
			v := 4*p.n + k
			if after || (lo >= 0 && v != hi) {
				return nil, nil // not one run of ticks: out of time order
			}
			if lo < 0 {
				lo = v
			}
			hi = v + 1
			kept++
		}
		if kept == 0 {
			continue
		}
		if !p.add(ticks) {
			return nil, nil
		}
		f.info.Ticks += kept
	}
	if lo < 0 {
		return nil, noTicks([]string{path}, o)
	}
	return &Data{Files: []FileInfo{f.info}, Path: o.Path, Products: p.products(), warmUntil: o.warmUntil(),
		packed: p, lo: lo, hi: hi, ticks: hi - lo}, nil
}

package marketdata

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// CandleSource yields candles in time order, then io.EOF. Every candle
// has its Interval and ProductID set.
type CandleSource interface {
	Next() (exchange.Candle, error)
}

// Gap is a run of missing candles: the file has a candle that ends at
// From and the next one starts at To. Readers report gaps and never fill
// them, because any invented price would be a lie a backtest trades on.
type Gap struct {
	From    time.Time // start of the first missing candle
	To      time.Time // start of the next candle present
	Missing int       // candles missing, rounded up if misaligned
}

// inferWindow is how many candles are read ahead to infer the interval
// of a file that does not state it: the smallest step among them.
const inferWindow = 16

// candleParser is one file format's candle decoder. It leaves Interval
// zero unless the format states it, and ProductID empty unless the file
// names it.
type candleParser interface {
	next() (exchange.Candle, error)
	line() int
}

// candleStream turns a format's parser into a CandleSource: it fixes the
// interval, fills the default product, checks that candles move forward
// in time and records gaps.
type candleStream struct {
	name       string
	parser     candleParser
	interval   time.Duration
	closeTimes bool // the format stamps a candle with its end, not start
	product    string
	onGap      func(Gap)
	unordered  bool // no order check and no gaps (Unordered)

	pending    []pendingCandle // read ahead while inferring the interval
	pendingBuf [inferWindow]pendingCandle
	started    bool
	hasPrev    bool
	prev       time.Time
	gaps       []Gap
	widened    int
	err        error // the first error, returned ever after
}

type pendingCandle struct {
	c    exchange.Candle
	line int
	err  error
}

// Next returns the next candle or io.EOF. An error is final: every later
// call returns it, since gap and order tracking cannot resume across a
// line that could not be read.
func (s *candleStream) Next() (exchange.Candle, error) {
	if s.err != nil {
		return exchange.Candle{}, s.err
	}
	if s.started && len(s.pending) == 0 {
		// The common case, once the interval is known: straight from
		// the parser, the candle copied once less than through next.
		c, err := s.parser.next()
		if err != nil {
			s.err = err
			return exchange.Candle{}, err
		}
		if err := s.accept(&c, s.parser.line()); err != nil {
			s.err = err
			return c, err
		}
		return c, nil
	}
	c, err := s.next()
	if err != nil {
		s.err = err
	}
	return c, err
}

func (s *candleStream) next() (exchange.Candle, error) {
	if !s.started {
		s.started = true
		if err := s.inferInterval(); err != nil {
			return exchange.Candle{}, err
		}
	}
	var p pendingCandle
	if len(s.pending) > 0 {
		p = s.pending[0]
		s.pending = s.pending[1:]
	} else {
		p.c, p.err = s.parser.next()
		p.line = s.parser.line()
	}
	if p.err != nil {
		return exchange.Candle{}, p.err
	}
	// In place: a candle is 128 bytes, and each copy of it between
	// parser and caller showed in the profile.
	if err := s.accept(&p.c, p.line); err != nil {
		return p.c, err
	}
	return p.c, nil
}

// inferInterval settles the interval before the first candle is
// returned: as configured, as the file states, or as the smallest step
// among the first candles; a lone candle is taken as one minute.
func (s *candleStream) inferInterval() error {
	if s.interval > 0 {
		return nil
	}
	var minStep time.Duration
	var last time.Time
	// In place, so that opening a small file does not grow a slice.
	s.pending = s.pendingBuf[:0]
	for len(s.pending) < inferWindow {
		var p pendingCandle
		p.c, p.err = s.parser.next()
		p.line = s.parser.line()
		s.pending = append(s.pending, p)
		if p.err != nil {
			break
		}
		if p.c.Interval > 0 {
			s.interval = p.c.Interval
			return nil
		}
		if len(s.pending) > 1 {
			if step := p.c.Start.Sub(last); step > 0 && (minStep == 0 || step < minStep) {
				minStep = step
			}
		}
		last = p.c.Start
	}
	s.interval = minStep
	if s.interval == 0 {
		s.interval = time.Minute
	}
	return nil
}

// accept completes candle c, read from the given line, and checks it
// against the previous one.
func (s *candleStream) accept(c *exchange.Candle, line int) error {
	if c.Interval == 0 {
		c.Interval = s.interval
	}
	if s.closeTimes {
		c.Start = c.Start.Add(-c.Interval)
	}
	if c.ProductID == "" {
		c.ProductID = s.product
	}
	if c.ProductID == "" {
		return &ParseError{File: s.name, Line: line, Err: errNoProduct}
	}
	widened, err := checkOHLC(c)
	if err != nil {
		return &ParseError{File: s.name, Line: line, Err: err}
	}
	if widened {
		s.widened++
	}
	if s.hasPrev && !s.unordered {
		step := c.Start.Sub(s.prev)
		switch {
		case step < c.Interval:
			return &ParseError{File: s.name, Line: line, Field: "time", Err: fmt.Errorf("%w: candle at %s starts %v after the previous one at %s, less than the interval %v (out of order or overlapping)", ErrOutOfOrder, c.Start.Format(time.RFC3339), step, s.prev.Format(time.RFC3339), c.Interval)}
		case step > c.Interval:
			// Written so as not to overflow when Sub saturates on absurd
			// dates: whole intervals, plus one for a misaligned remainder.
			missing := step / c.Interval
			if step%c.Interval != 0 {
				missing++
			}
			g := Gap{From: s.prev.Add(c.Interval), To: c.Start, Missing: int(missing) - 1}
			s.gaps = append(s.gaps, g)
			if s.onGap != nil {
				s.onGap(g)
			}
		}
	}
	s.prev, s.hasPrev = c.Start, true
	return nil
}

// checkOHLC makes a candle's prices consistent. The OHLC path of
// CandleTicks, and every stop or target decision made on it, assumes
// low <= open, close <= high. Real files break this (gocryptotrader's
// 2019 daily file repeats the close in the high column), so rather than
// refuse a file others backtest on, the high and low are widened to
// cover open and close, and the caller counts it. Negative volume or a
// low above the high after widening cannot be explained and is refused.
func checkOHLC(c *exchange.Candle) (widened bool, err error) {
	if c.Volume.IsNegative() {
		return false, fmt.Errorf("negative volume %s", c.Volume)
	}
	if widened, ok := checkOHLCInt64(c); ok {
		return widened, nil
	}
	return checkOHLCCmp(c), nil
}

// checkOHLCCmp is checkOHLC's widening for any coefficients.
func checkOHLCCmp(c *exchange.Candle) (widened bool) {
	// As decimal.Max and Min, which keep the first of equal values, but
	// through fastdecimal.Compare: this runs on every candle of every file.
	hi, lo := c.Open, c.Open
	switch fastdecimal.Compare(c.Close, c.Open) {
	case 1:
		hi = c.Close
	case -1:
		lo = c.Close
	}
	if fastdecimal.Compare(c.High, hi) < 0 {
		c.High, widened = hi, true
	}
	if fastdecimal.Compare(c.Low, lo) > 0 {
		c.Low, widened = lo, true
	}
	return widened
}

// checkOHLCInt64 is checkOHLC's widening done on the four prices'
// coefficients aligned to one scale in int64 arithmetic, reading each
// coefficient once rather than twice per comparison. ok is false,
// having changed nothing, when a coefficient or an alignment does not
// fit an int64; checkOHLC then compares with fastdecimal.Compare.
func checkOHLCInt64(c *exchange.Candle) (widened, ok bool) {
	var m [4]int64
	var e [4]int32
	for i, d := range [4]*decimal.Decimal{&c.Open, &c.High, &c.Low, &c.Close} {
		if m[i], ok = fastdecimal.CoefficientInt64(*d); !ok {
			return false, false
		}
		e[i] = d.Exponent()
	}
	scale := min(e[0], e[1], e[2], e[3])
	for i := range m {
		shift := int64(e[i]) - int64(scale)
		if shift == 0 {
			continue
		}
		if m[i], ok = fastdecimal.ScaleInt64(m[i], shift); !ok {
			return false, false
		}
	}
	open, high, low, close := m[0], m[1], m[2], m[3]
	// As decimal.Max and Min, which keep the first of equal values.
	hi, lo := c.Open, c.Open
	hiM, loM := open, open
	if close > open {
		hi, hiM = c.Close, close
	} else if close < open {
		lo, loM = c.Close, close
	}
	if high < hiM {
		c.High, widened = hi, true
	}
	if low > loM {
		c.Low, widened = lo, true
	}
	return widened, true
}

// Gaps returns the gaps met so far; after io.EOF, all of them.
func (s *candleStream) Gaps() []Gap { return s.gaps }

// Widened returns how many candles so far had their high or low widened
// to cover their open and close (see checkOHLC).
func (s *candleStream) Widened() int { return s.widened }

// Interval returns the candle interval, once the first candle was read.
func (s *candleStream) Interval() time.Duration { return s.interval }

// candleTicks is the TickSource of a CandleSource, along CandleTicks.
type candleTicks struct {
	src  CandleSource
	buf  []exchange.Tick
	next int
}

// TicksFromCandles returns the ticks of every candle of src along the
// path of CandleTicks, for backtests that drive tick-level strategies
// and the simulated exchange from bars.
func TicksFromCandles(src CandleSource) TickSource {
	return &candleTicks{src: src, buf: make([]exchange.Tick, 0, 4)}
}

func (c *candleTicks) Next() (exchange.Tick, error) {
	for c.next >= len(c.buf) {
		candle, err := c.src.Next()
		if err != nil {
			return exchange.Tick{}, err
		}
		c.buf = CandleTicks(candle, c.buf[:0])
		c.next = 0
	}
	t := c.buf[c.next]
	c.next++
	return t, nil
}

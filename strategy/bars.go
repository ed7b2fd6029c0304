package strategy

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Bar is an OHLC bar built from trade ticks. Indicator math uses the
// float64 copies: they drive signals only, never an order's price or size.
type Bar struct {
	Start           time.Time
	Open, High, Low decimal.Decimal
	Close           decimal.Decimal
	HighF, LowF     float64
	CloseF          float64
	Trades          int
}

// BarBuilder aggregates trade ticks into bars of a fixed interval aligned
// to the Unix epoch (so one-minute bars start on the minute, as candles
// do). A bar is complete when the first trade of a later bar arrives; a
// stretch with no trade yields no bar, as on an exchange's candle feed.
type BarBuilder struct {
	interval time.Duration
	// dayAligned is set when the interval divides a day: a bar's start is
	// then the tick's Unix time less its remainder, since the zero time
	// Truncate counts from is a whole number of days before the epoch.
	dayAligned bool
	// cur is the bar being built and done the one the last call to add
	// completed: the two slots of bars, swapped when a bar completes
	// instead of copying one into the other.
	bars      [2]Bar
	cur, done *Bar
	// end is cur.Start + interval: a trade in [cur.Start, end) belongs to
	// cur, which is known without rounding its time down.
	end time.Time
	// startN and endN are cur.Start and end in Unix nanoseconds, valid
	// when inRange: a trade's time is then placed by two integer
	// comparisons instead of two time.Time ones.
	startN, endN int64
	inRange      bool
	started      bool
	// closesOnly is set for a strategy that reads only its bars' closes
	// (sma_cross): the high and low, two decimal comparisons per trade
	// and two conversions per bar, are then not kept: a completed bar's
	// High and Low are its open, HighF and LowF zero.
	closesOnly bool
}

// NewBarBuilder returns a builder of bars of the given interval.
func NewBarBuilder(interval time.Duration) *BarBuilder {
	b := &BarBuilder{interval: interval, dayAligned: interval > 0 && (24*time.Hour)%interval == 0}
	b.cur, b.done = &b.bars[0], &b.bars[1]
	return b
}

// newCloseBuilder returns a builder of bars of the given interval for a
// strategy that reads only Start, Open, Close, CloseF and Trades of the
// bars it completes.
func newCloseBuilder(interval time.Duration) *BarBuilder {
	b := NewBarBuilder(interval)
	b.closesOnly = true
	return b
}

// maxNanosSec bounds the Unix seconds whose nanoseconds, plus a day,
// still fit an int64 (year 2242): times outside [0, maxNanosSec) take
// time.Time's comparisons and Truncate.
const maxNanosSec = 1 << 33

// unixNanos returns t in Unix nanoseconds and whether t is in the range
// where that is exact and ordered like t.
func unixNanos(t time.Time) (int64, bool) {
	sec := t.Unix()
	if sec < 0 || sec >= maxNanosSec {
		return 0, false
	}
	return sec*int64(time.Second) + int64(t.Nanosecond()), true
}

// Add folds a tick into the current bar. When the tick starts a new bar it
// returns the completed previous bar and true. Quote ticks are ignored.
func (b *BarBuilder) Add(t exchange.Tick) (Bar, bool) {
	if !b.add(&t) {
		return Bar{}, false
	}
	return *b.done, true
}

// add is Add for the strategies' hot path: it takes the tick by pointer
// and leaves a completed bar in b.done rather than copying both, once per
// tick, through the arguments and results.
func (b *BarBuilder) add(t *exchange.Tick) bool {
	if t.Kind != exchange.TradeTick {
		return false
	}
	n, nanos := unixNanos(t.Time)
	if b.started {
		var inBar bool
		if nanos && b.inRange {
			inBar = n < b.endN && n >= b.startN
		} else {
			inBar = t.Time.Before(b.end) && !t.Time.Before(b.cur.Start)
		}
		if inBar {
			if !b.closesOnly {
				// A price above the high cannot be below the low, nor
				// can one equal to it: the low is compared only below
				// the high.
				if c := t.Price.Cmp(b.cur.High); c > 0 {
					b.cur.High = t.Price
				} else if c < 0 && t.Price.Cmp(b.cur.Low) < 0 {
					b.cur.Low = t.Price
				}
			}
			b.cur.Close = t.Price
			b.cur.Trades++
			return false
		}
	}
	var start time.Time
	switch {
	case b.started && nanos && b.inRange && n >= b.endN && n-b.endN < int64(b.interval) && t.Time.Location() == b.end.Location():
		// The bar after the current one, as trades usually open it: its
		// start is the current end (Truncate's answer, to the zone),
		// without a division.
		start, n = b.end, b.endN
	case nanos && b.dayAligned:
		// Truncate, without its division of a 96-bit count of
		// nanoseconds since the zero time: it drops the monotonic
		// reading (Round(0)) and subtracts the remainder.
		rem := n % int64(b.interval)
		start, n = t.Time.Round(0).Add(-time.Duration(rem)), n-rem
	default:
		start = t.Time.Truncate(b.interval)
		n, nanos = unixNanos(start)
	}
	if b.started && start.Before(b.cur.Start) {
		// A late trade from an earlier bar: the bar is already out.
		return false
	}
	had := b.started
	if had {
		b.cur, b.done = b.done, b.cur
	} else if b.cur == nil {
		b.cur, b.done = &b.bars[0], &b.bars[1] // a builder not made by NewBarBuilder
	}
	*b.cur = Bar{Start: start, Open: t.Price, High: t.Price, Low: t.Price, Close: t.Price, Trades: 1}
	b.end = start.Add(b.interval)
	b.startN, b.endN, b.inRange = n, n+int64(b.interval), nanos && b.interval > 0 && b.interval <= 24*time.Hour
	b.started = true
	if !had {
		return false
	}
	b.done.CloseF = b.done.Close.InexactFloat64()
	if b.closesOnly {
		return true
	}
	b.done.HighF = b.done.High.InexactFloat64()
	b.done.LowF = b.done.Low.InexactFloat64()
	return true
}

// window is a fixed-size ring of the latest float values with a running sum.
type window struct {
	vals []float64
	next int
	n    int
	sum  float64
}

func newWindow(size int) *window { return &window{vals: make([]float64, size)} }

func (w *window) push(v float64) {
	if w.n == len(w.vals) {
		w.sum -= w.vals[w.next]
	} else {
		w.n++
	}
	w.vals[w.next] = v
	w.sum += v
	w.next = (w.next + 1) % len(w.vals)
}

func (w *window) full() bool { return w.n == len(w.vals) }

func (w *window) mean() float64 { return w.sum / float64(w.n) }

func (w *window) max() float64 {
	m := w.vals[0]
	for _, v := range w.vals[:w.n] {
		if v > m {
			m = v
		}
	}
	return m
}

func (w *window) min() float64 {
	m := w.vals[0]
	for _, v := range w.vals[:w.n] {
		if v < m {
			m = v
		}
	}
	return m
}

// values returns the window's values, oldest first, for state snapshots.
func (w *window) values() []float64 {
	out := make([]float64, 0, w.n)
	start := w.next - w.n
	if start < 0 {
		start += len(w.vals)
	}
	for i := 0; i < w.n; i++ {
		out = append(out, w.vals[(start+i)%len(w.vals)])
	}
	return out
}

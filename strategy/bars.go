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
	cur      Bar
	// end is cur.Start + interval: a trade in [cur.Start, end) belongs to
	// cur, which is known without rounding its time down.
	end     time.Time
	started bool
	// done is the bar the last call to add completed.
	done Bar
}

// NewBarBuilder returns a builder of bars of the given interval.
func NewBarBuilder(interval time.Duration) *BarBuilder {
	return &BarBuilder{interval: interval}
}

// Add folds a tick into the current bar. When the tick starts a new bar it
// returns the completed previous bar and true. Quote ticks are ignored.
func (b *BarBuilder) Add(t exchange.Tick) (Bar, bool) {
	if !b.add(&t) {
		return Bar{}, false
	}
	return b.done, true
}

// add is Add for the strategies' hot path: it takes the tick by pointer
// and leaves a completed bar in b.done rather than copying both, once per
// tick, through the arguments and results.
func (b *BarBuilder) add(t *exchange.Tick) bool {
	if t.Kind != exchange.TradeTick {
		return false
	}
	if b.started && t.Time.Before(b.end) && !t.Time.Before(b.cur.Start) {
		if t.Price.Cmp(b.cur.High) > 0 {
			b.cur.High = t.Price
		}
		if t.Price.Cmp(b.cur.Low) < 0 {
			b.cur.Low = t.Price
		}
		b.cur.Close = t.Price
		b.cur.Trades++
		return false
	}
	start := t.Time.Truncate(b.interval)
	if b.started && start.Before(b.cur.Start) {
		// A late trade from an earlier bar: the bar is already out.
		return false
	}
	had := b.started
	if had {
		b.done = b.cur
	}
	b.cur = Bar{Start: start, Open: t.Price, High: t.Price, Low: t.Price, Close: t.Price, Trades: 1}
	b.end = start.Add(b.interval)
	b.started = true
	if !had {
		return false
	}
	b.done.HighF = b.done.High.InexactFloat64()
	b.done.LowF = b.done.Low.InexactFloat64()
	b.done.CloseF = b.done.Close.InexactFloat64()
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

// Package bars is tradebot's one bar aggregator: it turns trades (and
// candles from history) into OHLCV bars of a fixed interval. Strategies
// read its bars, the exits' ATR stop reads its bars, and so do reports.
//
// A bar covers [Start, Start+Interval), aligned to the Unix epoch, so a
// one-minute bar starts on the minute as an exchange's candle does.
//
// When a bar closes: at its end time. A trade at or after the end closes
// it, and so does Advance with a clock reading at or after the end, so a
// bar closes on time even when no trade follows it (the engine advances
// every aggregator of an instance on each tick and once a second).
//
// The first and last bars of a run: the first bar starts at the first
// trade's interval, so it is usually partial (it holds only the trades
// from the start of the run); a strategy that cares warms up from history
// (the engine then starts the live bar after the last history bar). The
// last bar is closed only when the clock passes its end: a backtest whose
// data stops inside a bar never delivers that bar. An interval without
// any trade makes no bar, as on an exchange's candle feed: indicators see
// gaps as missing bars, never as flat invented ones.
package bars

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/indicator"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// Bar is one OHLCV bar. The float64 copies are for indicators, which
// drive signals only, never an order's price or size.
type Bar struct {
	Product  string
	Start    time.Time
	Interval time.Duration
	Open     decimal.Decimal
	High     decimal.Decimal
	Low      decimal.Decimal
	Close    decimal.Decimal
	// Trades is the number of trades in the bar; a bar from a candle
	// (warm-up history) has none to count and says 0.
	Trades             int
	OpenF, HighF, LowF float64
	CloseF             float64
	// VolumeF is the base traded, in float64 only: it is a signal (the
	// volume indicators, a rule's volume), never money, and no order is
	// sized from it. A bar built from trades sums it in float64 because a
	// decimal sum per trade would cost more than the rest of the bar; a
	// decimal made from that sum would look exact without being so, and
	// so the bar offers none. A strategy that sizes orders from traded
	// volume sums the trades' decimal sizes itself (OnTrade).
	VolumeF float64
}

// Candle returns the bar as the indicators read it: its float64 copies
// and its start (which a session VWAP reads to start again each session).
func (b *Bar) Candle() indicator.Candle {
	return indicator.Candle{Open: b.OpenF, High: b.HighF, Low: b.LowF, Close: b.CloseF, Volume: b.VolumeF, Start: b.Start}
}

// End returns the instant the bar closes.
func (b *Bar) End() time.Time { return b.Start.Add(b.Interval) }

// FromCandle returns the bar of a candle.
func FromCandle(c exchange.Candle) Bar {
	b := Bar{Product: c.ProductID, Start: c.Start, Interval: c.Interval, Open: c.Open, High: c.High, Low: c.Low,
		Close: c.Close}
	b.OpenF, b.HighF, b.LowF = fastdecimal.Float64(b.Open), fastdecimal.Float64(b.High), fastdecimal.Float64(b.Low)
	b.CloseF, b.VolumeF = fastdecimal.Float64(b.Close), fastdecimal.Float64(c.Volume)
	return b
}

// Options tune an Aggregator.
type Options struct {
	// ClosesOnly keeps only each bar's open, close and trade count: the
	// high, low and volume (three decimal operations per trade) are not
	// kept, and a closed bar's High and Low are its Open, HighF, LowF and
	// VolumeF zero. For a strategy that reads closes only.
	ClosesOnly bool
}

// Aggregator builds bars of one interval of one product. It is owned by
// one goroutine.
type Aggregator struct {
	product  string
	interval time.Duration
	opts     Options
	// dayAligned is set when the interval divides a day: a bar's start is
	// then the trade's Unix time less its remainder, since the zero time
	// Truncate counts from is a whole number of days before the epoch.
	dayAligned bool
	// cur is the bar being built and done the one last closed: two slots
	// swapped when a bar closes instead of copying one into the other.
	slots     [2]Bar
	cur, done *Bar
	// end is cur.Start + interval: a trade in [cur.Start, end) belongs to
	// cur, known without rounding its time down.
	end time.Time
	// startN and endN are cur.Start and end in Unix nanoseconds, valid
	// when inRange: a trade's time is then placed by two integer
	// comparisons instead of two time.Time ones.
	startN, endN int64
	inRange      bool
	// open is set while cur holds a bar not yet closed.
	open bool
	// after is the end of the last bar closed or fed from history: a
	// trade before it belongs to a bar already out and is dropped.
	after time.Time
}

// New returns an aggregator of bars of interval for product.
func New(product string, interval time.Duration, opts Options) *Aggregator {
	a := &Aggregator{product: product, interval: interval, opts: opts,
		dayAligned: interval > 0 && (24*time.Hour)%interval == 0}
	a.cur, a.done = &a.slots[0], &a.slots[1]
	return a
}

// Interval returns the bars' length.
func (a *Aggregator) Interval() time.Duration { return a.interval }

// Product returns the bars' product.
func (a *Aggregator) Product() string { return a.product }

// Last returns the bar closed by the last call that reported one. It is
// valid until the next call to Add, Advance or AddCandle.
func (a *Aggregator) Last() *Bar { return a.done }

// Current returns the bar being built and whether there is one.
func (a *Aggregator) Current() (Bar, bool) { return *a.cur, a.open }

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

// Advance closes the open bar when now is at or after its end. It reports
// whether it did; the bar is then Last.
func (a *Aggregator) Advance(now time.Time) bool {
	if !a.open {
		return false
	}
	if n, ok := unixNanos(now); ok && a.inRange {
		if n < a.endN {
			return false
		}
	} else if now.Before(a.end) {
		return false
	}
	a.close()
	return true
}

// close moves the open bar to done.
func (a *Aggregator) close() {
	a.cur, a.done = a.done, a.cur
	a.open = false
	a.after = a.end
	d := a.done
	d.CloseF = fastdecimal.Float64(d.Close)
	if a.opts.ClosesOnly {
		return
	}
	d.OpenF = fastdecimal.Float64(d.Open)
	d.HighF = fastdecimal.Float64(d.High)
	d.LowF = fastdecimal.Float64(d.Low)
}

// Add folds a trade tick into the bars; other ticks are ignored. It
// reports whether the trade closed the open bar (it belongs to a later
// one); the closed bar is then Last. A trade of a bar already closed is
// dropped.
func (a *Aggregator) Add(t *exchange.Tick) bool {
	if t.Kind != exchange.TradeTick {
		return false
	}
	n, nanos := unixNanos(t.Time)
	if a.open {
		var inBar bool
		if nanos && a.inRange {
			inBar = n < a.endN && n >= a.startN
		} else {
			inBar = t.Time.Before(a.end) && !t.Time.Before(a.cur.Start)
		}
		if inBar {
			if !a.opts.ClosesOnly {
				// A price above the high cannot be below the low, nor
				// can one equal to it: the low is compared only below
				// the high.
				if c := fastdecimal.Compare(t.Price, a.cur.High); c > 0 {
					a.cur.High = t.Price
				} else if c < 0 && fastdecimal.Compare(t.Price, a.cur.Low) < 0 {
					a.cur.Low = t.Price
				}
				a.cur.VolumeF += fastdecimal.Float64(t.Size)
			}
			a.cur.Close = t.Price
			a.cur.Trades++
			return false
		}
	}
	var start time.Time
	switch {
	case a.open && nanos && a.inRange && n >= a.endN && n-a.endN < int64(a.interval) && t.Time.Location() == a.end.Location():
		// The bar after the current one, as trades usually open it: its
		// start is the current end (Truncate's answer, to the zone),
		// without a division.
		start, n = a.end, a.endN
	case nanos && a.dayAligned:
		// Truncate, without its division of a 96-bit count of
		// nanoseconds since the zero time: it drops the monotonic
		// reading (Round(0)) and subtracts the remainder.
		rem := n % int64(a.interval)
		start, n = t.Time.Round(0).Add(-time.Duration(rem)), n-rem
	default:
		start = t.Time.Truncate(a.interval)
		n, nanos = unixNanos(start)
	}
	if (a.open && start.Before(a.cur.Start)) || start.Before(a.after) {
		// A late trade from a bar already out.
		return false
	}
	closed := a.open
	if closed {
		a.close()
	}
	*a.cur = Bar{Product: a.product, Interval: a.interval, Start: start, Open: t.Price, High: t.Price, Low: t.Price,
		Close: t.Price, Trades: 1}
	if !a.opts.ClosesOnly {
		a.cur.VolumeF = fastdecimal.Float64(t.Size)
	}
	a.end = start.Add(a.interval)
	a.startN, a.endN, a.inRange = n, n+int64(a.interval), nanos && a.interval > 0 && a.interval <= 24*time.Hour
	a.open = true
	return closed
}

// AddCandle takes a whole bar from history (warm-up), which comes before
// any trade: the candle becomes Last. A candle older than the last bar
// out, or one that comes once trades have opened a bar, is dropped and
// AddCandle returns false. The candle's interval must be the
// aggregator's.
func (a *Aggregator) AddCandle(c exchange.Candle) bool {
	if a.open || c.Start.Before(a.after) {
		return false
	}
	b := FromCandle(c)
	b.Product, b.Interval = a.product, a.interval
	*a.done = b
	a.after = b.End()
	return true
}

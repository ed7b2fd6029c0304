package bars

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// TestAggregatorAssignsEachTradeToTheBarOfItsTime checks the builder's
// bar boundaries against Truncate, which it avoids on the hot path: a
// trade belongs to the bar that starts at its time truncated to the
// interval, the last nanosecond of a bar included; a later bar, even
// after a gap, closes the current one; a late trade is dropped.
func TestAggregatorAssignsEachTradeToTheBarOfItsTime(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	trade := func(when time.Time, price int64) exchange.Tick {
		return exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: when, Price: decimal.NewFromInt(price)}
	}
	tests := []struct {
		name  string
		ticks []exchange.Tick
		// closed are the start, high, low and close of each bar closed, in order
		closed []Bar
	}{
		{
			name:  "last nanosecond stays in the bar",
			ticks: []exchange.Tick{trade(at(0), 10), trade(at(time.Minute-1), 12), trade(at(time.Minute), 11)},
			closed: []Bar{{Start: at(0), High: decimal.NewFromInt(12), Low: decimal.NewFromInt(10),
				Close: decimal.NewFromInt(12), Trades: 2}},
		},
		{
			name:  "a gap of several bars closes only the current one",
			ticks: []exchange.Tick{trade(at(30*time.Second), 10), trade(at(5*time.Minute+time.Second), 9), trade(at(5*time.Minute+2*time.Second), 8), trade(at(7*time.Minute), 7)},
			closed: []Bar{
				{Start: at(0), High: decimal.NewFromInt(10), Low: decimal.NewFromInt(10), Close: decimal.NewFromInt(10), Trades: 1},
				{Start: at(5 * time.Minute), High: decimal.NewFromInt(9), Low: decimal.NewFromInt(8), Close: decimal.NewFromInt(8), Trades: 2},
			},
		},
		{
			name:  "a late trade of a closed bar is dropped",
			ticks: []exchange.Tick{trade(at(0), 10), trade(at(time.Minute), 11), trade(at(59*time.Second), 99), trade(at(2*time.Minute), 12)},
			closed: []Bar{
				{Start: at(0), High: decimal.NewFromInt(10), Low: decimal.NewFromInt(10), Close: decimal.NewFromInt(10), Trades: 1},
				{Start: at(time.Minute), High: decimal.NewFromInt(11), Low: decimal.NewFromInt(11), Close: decimal.NewFromInt(11), Trades: 1},
			},
		},
		{
			name:  "a trade just before the bar start opens the previous bar",
			ticks: []exchange.Tick{trade(at(time.Minute-1), 10), trade(at(time.Minute), 11), trade(at(2*time.Minute), 12)},
			closed: []Bar{
				{Start: at(0), High: decimal.NewFromInt(10), Low: decimal.NewFromInt(10), Close: decimal.NewFromInt(10), Trades: 1},
				{Start: at(time.Minute), High: decimal.NewFromInt(11), Low: decimal.NewFromInt(11), Close: decimal.NewFromInt(11), Trades: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New("BTC-USD", time.Minute, Options{})
			var closed []Bar
			for _, tk := range tt.ticks {
				if bar, done := add(b, tk); done {
					if want := tk.Time.Truncate(time.Minute); bar.Start.Equal(want) {
						t.Errorf("bar %s closed by a trade of its own bar", bar.Start)
					}
					closed = append(closed, bar)
				}
			}
			if len(closed) != len(tt.closed) {
				t.Fatalf("%d bars closed, want %d: %+v", len(closed), len(tt.closed), closed)
			}
			for i, w := range tt.closed {
				g := closed[i]
				if !g.Start.Equal(w.Start) || !g.High.Equal(w.High) || !g.Low.Equal(w.Low) || !g.Close.Equal(w.Close) || g.Trades != w.Trades {
					t.Errorf("bar %d = %s H %s L %s C %s (%d trades), want %s H %s L %s C %s (%d trades)", i,
						g.Start, g.High, g.Low, g.Close, g.Trades, w.Start, w.High, w.Low, w.Close, w.Trades)
				}
			}
		})
	}
}

var t0 = time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)

// add is Add returning a copy of the bar it closed.
func add(a *Aggregator, t exchange.Tick) (Bar, bool) {
	if !a.Add(&t) {
		return Bar{}, false
	}
	return *a.Last(), true
}

// referenceBars is the bar rule written plainly, with Truncate and
// time.Time comparisons on every trade: what BarBuilder's integer fast
// paths must reproduce exactly.
type referenceBars struct {
	interval time.Duration
	cur      Bar
	started  bool
}

func (r *referenceBars) add(t exchange.Tick) (Bar, bool) {
	if t.Kind != exchange.TradeTick {
		return Bar{}, false
	}
	start := t.Time.Truncate(r.interval)
	if r.started && start.Equal(r.cur.Start) {
		if t.Price.GreaterThan(r.cur.High) {
			r.cur.High = t.Price
		}
		if t.Price.LessThan(r.cur.Low) {
			r.cur.Low = t.Price
		}
		r.cur.Close = t.Price
		r.cur.Trades++
		return Bar{}, false
	}
	if r.started && start.Before(r.cur.Start) {
		return Bar{}, false
	}
	done, had := r.cur, r.started
	r.cur = Bar{Start: start, Open: t.Price, High: t.Price, Low: t.Price, Close: t.Price, Trades: 1}
	r.started = true
	if !had {
		return Bar{}, false
	}
	done.HighF, done.LowF, done.CloseF = done.High.InexactFloat64(), done.Low.InexactFloat64(), done.Close.InexactFloat64()
	return done, true
}

// TestAggregatorMatchesTruncateEverywhere feeds the builder and the plain
// rule the same random trades (late ones, gaps, equal prices in other
// exponents, times before 1970 and after 2242, monotonic readings, a zone
// other than UTC) for intervals that divide a day and some that do not,
// and requires identical bars: the same Start value (zone and all), OHLC
// and trade count.
func TestAggregatorMatchesTruncateEverywhere(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	bases := []time.Time{
		time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2022, 3, 13, 6, 59, 0, 0, time.UTC).In(ny),
		time.Date(1969, 12, 31, 23, 58, 0, 0, time.UTC),
		time.Date(2242, 3, 16, 12, 0, 0, 0, time.UTC),
		time.Now(), // carries a monotonic reading
	}
	intervals := []time.Duration{time.Second, 7 * time.Second, time.Minute, 5 * time.Minute, 7 * time.Minute,
		time.Hour, 24 * time.Hour, 25 * time.Hour}
	for _, base := range bases {
		for _, iv := range intervals {
			b, ref, closes := New("", iv, Options{}), &referenceBars{interval: iv}, New("", iv, Options{ClosesOnly: true})
			at := base
			for i := 0; i < 3000; i++ {
				step := time.Duration(rng.Int64N(int64(iv)/2 + 1))
				if rng.IntN(10) == 0 {
					step = -step // a late trade
				}
				if rng.IntN(50) == 0 {
					step = 3 * iv // a gap
				}
				at = at.Add(step)
				if rng.IntN(8) == 0 {
					// The first or last nanosecond of a bar.
					at = at.Truncate(iv).Add(iv - time.Duration(rng.IntN(2)))
				}
				price := decimal.New(rng.Int64N(50)+100, 0)
				if rng.IntN(3) == 0 {
					price = decimal.New(price.IntPart()*100, -2) // the same value in another exponent
				}
				tk := exchange.Tick{Kind: exchange.TradeTick, Time: at, Price: price}
				if rng.IntN(7) == 0 {
					tk.Time = at.In(ny) // the same instant in another zone
				}
				if rng.IntN(20) == 0 {
					tk.Kind = exchange.QuoteTick
				}
				got, gotDone := add(b, tk)
				want, wantDone := ref.add(tk)
				if gotDone != wantDone || got.Start != want.Start || !got.Open.Equal(want.Open) ||
					got.High.String() != want.High.String() || got.Low.String() != want.Low.String() ||
					got.Close.String() != want.Close.String() || got.Trades != want.Trades ||
					got.HighF != want.HighF || got.LowF != want.LowF || got.CloseF != want.CloseF {
					t.Fatalf("base %s interval %s trade %d at %s: got %v %+v, want %v %+v", base, iv, i, at, gotDone, got, wantDone, want)
				}
				// What sma_cross reads of a bar, from the builder that
				// keeps closes only.
				c, cDone := add(closes, tk)
				if cDone != wantDone || c.Start != want.Start || c.Open.String() != want.Open.String() ||
					c.Close.String() != want.Close.String() || c.CloseF != want.CloseF || c.Trades != want.Trades {
					t.Fatalf("closes only, base %s interval %s trade %d at %s: got %v %+v, want %v %+v", base, iv, i, at, cDone, c, wantDone, want)
				}
			}
		}
	}
}

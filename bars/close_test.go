package bars

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

func trade(sec int, price, size int64) *exchange.Tick {
	at := t0.Add(time.Duration(sec) * time.Second)
	return &exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: at, Price: decimal.NewFromInt(price),
		Size: decimal.NewFromInt(size)}
}

func TestABarClosesOnTheFirstTradeOfTheNextWithItsVolume(t *testing.T) {
	a := New("BTC-USD", time.Minute, Options{})
	for _, tk := range []*exchange.Tick{trade(0, 100, 1), trade(10, 105, 2), trade(20, 95, 3), trade(59, 101, 4)} {
		if a.Add(tk) {
			t.Fatal("a bar closed inside its minute")
		}
	}
	if !a.Add(trade(60, 102, 1)) {
		t.Fatal("the first trade of the next minute did not close the bar")
	}
	b := a.Last()
	if b.CloseF != 101 || b.HighF != 105 || b.LowF != 95 || b.OpenF != 100 || b.VolumeF != 10 ||
		b.Trades != 4 || b.Product != "BTC-USD" || b.Interval != time.Minute || !b.End().Equal(t0.Add(time.Minute)) {
		t.Errorf("bar = %+v, want open 100 high 105 low 95 close 101 volume 10 from 4 trades", b)
	}
	if a.Add(&exchange.Tick{Kind: exchange.QuoteTick, Time: t0.Add(2 * time.Minute)}) {
		t.Error("a quote closed a bar")
	}
}

// TestABarClosesAtItsEndByTheClock: with no trade after it, a bar closes
// when the clock reaches its end (not a nanosecond before), once; a late
// trade of the closed bar is then dropped and the next trade opens a new
// bar.
func TestABarClosesAtItsEndByTheClock(t *testing.T) {
	a := New("BTC-USD", time.Minute, Options{})
	if a.Advance(t0.Add(time.Hour)) {
		t.Fatal("an aggregator without a trade closed a bar")
	}
	a.Add(trade(5, 100, 1))
	if a.Advance(t0.Add(time.Minute - 1)) {
		t.Fatal("the bar closed before its end")
	}
	if !a.Advance(t0.Add(time.Minute)) {
		t.Fatal("the bar did not close at its end")
	}
	if got := a.Last(); !got.Start.Equal(t0) || got.CloseF != 100 {
		t.Fatalf("closed bar %+v", got)
	}
	if a.Advance(t0.Add(2 * time.Minute)) {
		t.Fatal("an interval without a trade made a bar")
	}
	if a.Add(trade(59, 99, 1)) {
		t.Fatal("a late trade reopened a closed bar")
	}
	if _, open := a.Current(); open {
		t.Fatal("a late trade opened a bar")
	}
	a.Add(trade(150, 101, 1))
	if cur, open := a.Current(); !open || !cur.Start.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("current bar %+v, open %v", cur, open)
	}
}

// TestCandlesWarmTheAggregatorBeforeTrades: history candles come out as
// bars in order; a candle older than the last is dropped; the first trade
// opens the bar after them, and a trade inside the last candle's time is
// dropped as late.
func TestCandlesWarmTheAggregatorBeforeTrades(t *testing.T) {
	a := New("BTC-USD", time.Minute, Options{})
	c := func(min int, close int64) exchange.Candle {
		p := decimal.NewFromInt(close)
		return exchange.Candle{Start: t0.Add(time.Duration(min) * time.Minute), Interval: time.Minute, Open: p, High: p, Low: p, Close: p,
			Volume: decimal.NewFromInt(7)}
	}
	if !a.AddCandle(c(0, 10)) || !a.AddCandle(c(1, 11)) || a.Last().CloseF != 11 || a.Last().Product != "BTC-USD" || a.Last().VolumeF != 7 {
		t.Fatalf("candles not taken: %+v", a.Last())
	}
	if a.AddCandle(c(0, 12)) {
		t.Fatal("an older candle was taken")
	}
	if a.Add(trade(100, 50, 1)) {
		t.Fatal("a trade inside the last candle closed a bar")
	}
	if _, open := a.Current(); open {
		t.Fatal("a trade inside the last candle opened a bar")
	}
	a.Add(trade(125, 13, 1))
	if a.AddCandle(c(3, 12)) {
		t.Fatal("a candle was taken once trades had opened a bar")
	}
}

// TestBarsCostNoAllocation: building bars from trades, closing them by a
// trade or by the clock, allocates nothing (a rule strategy reads a bar
// per interval; one allocation per bar was a fifth of its time).
func TestBarsCostNoAllocation(t *testing.T) {
	a := New("BTC-USD", time.Minute, Options{})
	ticks := []*exchange.Tick{trade(0, 100, 1), trade(10, 105, 2), trade(20, 95, 3), trade(59, 101, 4)}
	bar := 0
	allocs := testing.AllocsPerRun(200, func() {
		shift := time.Duration(bar) * time.Minute
		for _, tk := range ticks {
			tk.Time = tk.Time.Add(time.Minute)
			a.Add(tk)
		}
		if !a.Advance(t0.Add(shift + 2*time.Minute)) {
			t.Fatal("the bar did not close by the clock")
		}
		bar++
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per bar, want none", allocs)
	}
	if b := a.Last(); b.VolumeF != 10 || b.HighF != 105 || b.LowF != 95 {
		t.Errorf("last bar %+v, want volume 10, high 105, low 95", b)
	}
}

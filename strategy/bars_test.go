package strategy

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// TestBarBuilderAssignsEachTradeToTheBarOfItsTime checks the builder's
// bar boundaries against Truncate, which it avoids on the hot path: a
// trade belongs to the bar that starts at its time truncated to the
// interval, the last nanosecond of a bar included; a later bar, even
// after a gap, closes the current one; a late trade is dropped.
func TestBarBuilderAssignsEachTradeToTheBarOfItsTime(t *testing.T) {
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
			b := NewBarBuilder(time.Minute)
			var closed []Bar
			for _, tk := range tt.ticks {
				if bar, done := b.Add(tk); done {
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

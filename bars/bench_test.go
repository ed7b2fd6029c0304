package bars

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// BenchmarkBarsFromTrades builds one-minute OHLCV bars from four trades
// each (a backtest's open, low, high and close of a candle), with prices
// and sizes as a data file's: the cost per bar on a strategy's path.
func BenchmarkBarsFromTrades(b *testing.B) {
	a := New("BTC-USD", time.Minute, Options{})
	var ticks [4]exchange.Tick
	for i, p := range []string{"46319.0", "46301.5", "46385.0", "46377.0"} {
		ticks[i] = exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: decimal.RequireFromString(p),
			Size: decimal.RequireFromString("575103.4324")}
	}
	at := t0
	for b.Loop() {
		for i := range ticks {
			ticks[i].Time = at.Add(time.Duration(i) * 15 * time.Second)
			a.Add(&ticks[i])
		}
		at = at.Add(time.Minute)
	}
}

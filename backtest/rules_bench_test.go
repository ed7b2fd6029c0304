package backtest

import (
	"context"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

// BenchmarkRuleStrategyMonth runs issue 14's rule strategy on one-minute
// bars (RSI(14), EMA(200), an entry and an exit expression evaluated on
// every bar, a stop-loss) over the month of one-minute BTC candles,
// parsed into ticks (four per candle), through the whole backtest loop
// on one goroutine. It reports bars per second: one bar per candle.
func BenchmarkRuleStrategyMonth(b *testing.B) {
	path := testenv.SharedFile(b, monthFile)
	src := strings.Replace(strings.Replace(rsiDip, "ENTRY", "rsi < 40 && close > trend", 1), "interval: 15m", "interval: 1m", 1)
	cfg, err := config.Load("rules.yaml", []byte(src), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USDT", Path: marketdata.PathLowFirst})
	if err != nil {
		b.Fatal(err)
	}
	bars := d.Files[0].Candles
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Run(ctx, cfg, d, RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.RoundTrips) == 0 {
			b.Fatal("the rule strategy made no trade")
		}
	}
	b.ReportMetric(float64(bars)*float64(b.N)/b.Elapsed().Seconds(), "bars/s")
}

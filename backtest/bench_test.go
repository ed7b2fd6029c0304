package backtest

import (
	"context"
	"testing"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

// BenchmarkMonthOfCandles runs sma_cross with stop, target and trailing
// exits over the month of one-minute BTC candles, already parsed into
// ticks (four per candle), on one goroutine: the backtest loop, engine,
// exits, guard and simulated exchange. It reports candles per second.
func BenchmarkMonthOfCandles(b *testing.B) {
	path := testenv.SharedFile(b, monthFile)
	cfg, err := config.LoadFile("testdata/sma-exits.yaml")
	if err != nil {
		b.Fatal(err)
	}
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
	if err != nil {
		b.Fatal(err)
	}
	candles := d.Files[0].Candles
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(ctx, cfg, d, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(candles)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
}

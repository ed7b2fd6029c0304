package backtest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

// BenchmarkMonthOfCandles runs sma_cross with stop, target and trailing
// exits over the month of one-minute BTC candles, already parsed into
// ticks (four per candle), on one goroutine: the backtest loop, engine,
// exits, guard and simulated exchange. It reports candles per second.
func BenchmarkMonthOfCandles(b *testing.B) {
	path := testenv.SharedFile(b, monthFile)
	cfg := smaExits(b)
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
	if err != nil {
		b.Fatal(err)
	}
	candles := d.Files[0].Candles
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(ctx, cfg, d, RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(candles)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
}

// BenchmarkMonthStreamed is what the backtest command does for the month
// of candles, in the process: open and stream the file (parsed on a
// second goroutine), run, and write the reports: all of them, or none
// (--report none, which also records no chart).
// It reports candles per second of the whole, against the loop's alone
// in BenchmarkMonthOfCandles.
func BenchmarkMonthStreamed(b *testing.B) {
	path := testenv.SharedFile(b, monthFile)
	cfg := smaExits(b)
	for _, level := range []Reports{ReportsNone, ReportsFull} {
		name := "reports=none"
		if level == ReportsFull {
			name = "reports=all"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			ctx := context.Background()
			candles := 0
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				d, err := Stream([]string{path}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
				if err != nil {
					b.Fatal(err)
				}
				res, err := Run(ctx, cfg, d, RunOptions{Reports: level})
				if err != nil {
					b.Fatal(err)
				}
				candles = res.Data.Files[0].Candles
				if _, err := level.Write(dir, res); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(candles)*float64(b.N)/b.Elapsed().Seconds(), "candles/s")
		})
	}
}

// BenchmarkSweepWorkers runs the same 16-combination sweep over the
// month of candles (the size issue 17 measured), parsed once and shared,
// on one worker and on two: on an idle two-core machine the second
// should take about half the time.
// cpu-ms/op is the process's CPU time per sweep (user + system), and
// gc-cpu-ms/op the collector's part of it as the runtime estimates it:
// one worker leaves the collector a core of its own, two share theirs
// with it. held-B/candle is the heap the loaded data holds per candle.
func BenchmarkSweepWorkers(b *testing.B) {
	path := testenv.SharedFile(b, monthFile)
	raw, err := os.ReadFile("testdata/sma-exits.yaml")
	if err != nil {
		b.Fatal(err)
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
	if err != nil {
		b.Fatal(err)
	}
	held := float64(heap()-before) / float64(d.Files[0].Candles)
	axes, err := ParseSweep("btc-sma.params.fast=3,4,5,6;btc-sma.params.slow=20,25,30,35")
	if err != nil {
		b.Fatal(err)
	}
	env := func(string) (string, bool) { return "", false }
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			start, startGC := testenv.ProcessCPU(), gcCPU()
			for i := 0; i < b.N; i++ {
				res, err := Sweep(context.Background(), "sma-exits.yaml", raw, env, axes, d, SweepOptions{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := res.Best(); !ok {
					b.Fatal("every combination failed")
				}
			}
			b.ReportMetric(float64((testenv.ProcessCPU()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric((gcCPU()-startGC)*1000/float64(b.N), "gc-cpu-ms/op")
			b.ReportMetric(16*float64(b.N)/b.Elapsed().Seconds(), "combinations/s")
			b.ReportMetric(held, "held-B/candle")
		})
	}
}

// gcCPU returns the CPU time the collector has spent, in seconds, as the
// runtime estimates it.
func gcCPU() float64 {
	m := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(m)
	return m[0].Value.Float64()
}

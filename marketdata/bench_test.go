package marketdata

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

// Parse throughput, in MB/s of uncompressed text, for each format.
// Backtests need at least 100 MB/s for the recording and candle CSVs.

func benchInput(b *testing.B, path string) []byte {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	br, closer, err := decompress(path, f)
	if err != nil {
		b.Fatal(err)
	}
	if closer != nil {
		defer closer.Close()
	}
	data, err := io.ReadAll(br)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// cpuClock reports, beside the wall-clock figures, the process's CPU
// time per op and the throughput it implies. On a machine shared with
// other work the wall clock counts the time the benchmark waited for a
// core; CPU time does not, so A/B comparisons made while others run
// should read cpu-MB/s.
type cpuClock struct {
	start time.Duration
}

func startCPUClock() cpuClock { return cpuClock{start: testenv.ProcessCPU()} }

func (c cpuClock) report(b *testing.B, bytesPerOp int) {
	used := testenv.ProcessCPU() - c.start
	if used <= 0 || c.start == 0 {
		return
	}
	perOp := float64(used.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	if bytesPerOp > 0 {
		b.ReportMetric(float64(bytesPerOp)*1e3/perOp, "cpu-MB/s")
	}
}

// benchParse opens data and reads every tick or candle, b.N times.
func benchParse(b *testing.B, data []byte, opts ...Option) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	clock := startCPUClock()
	var n int
	for i := 0; i < b.N; i++ {
		src, err := OpenReader("bench", bytes.NewReader(data), opts...)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		if src.Ticks != nil {
			for {
				if _, err := src.Ticks.Next(); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					break
				}
				n++
			}
		} else {
			for {
				if _, err := src.Candles.Next(); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					break
				}
				n++
			}
		}
		src.Close()
	}
	clock.report(b, len(data))
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkParseRecording(b *testing.B) {
	benchParse(b, benchInput(b, bundledPath()))
}

// BenchmarkParseRecordingGzip includes gunzip; bytes are the text's.
func BenchmarkParseRecordingGzip(b *testing.B) {
	gz, err := os.ReadFile(bundledPath())
	if err != nil {
		b.Fatal(err)
	}
	text := benchInput(b, bundledPath())
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	clock := startCPUClock()
	for i := 0; i < b.N; i++ {
		src, err := OpenReader("bench", bytes.NewReader(gz))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := src.Ticks.Next(); err != nil {
				break
			}
		}
		src.Close()
	}
	clock.report(b, len(text))
}

// BenchmarkGunzipRecording is the decompressor alone on the bundled
// recording, as ParseRecordingGzip uses it (through decompress, to
// io.Discard): the bound on that benchmark. Bytes are the text's.
func BenchmarkGunzipRecording(b *testing.B) {
	gz, err := os.ReadFile(bundledPath())
	if err != nil {
		b.Fatal(err)
	}
	text := benchInput(b, bundledPath())
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	clock := startCPUClock()
	for i := 0; i < b.N; i++ {
		br, closer, err := decompress("bench", bytes.NewReader(gz))
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, br); err != nil || n != int64(len(text)) {
			b.Fatalf("gunzipped %d bytes, %v; want %d", n, err, len(text))
		}
		closer.Close()
	}
	clock.report(b, len(text))
}

func BenchmarkParseBinanceCapture(b *testing.B) {
	benchParse(b, benchInput(b, testenv.SharedFile(b, "data/market/hftbacktest--spot-btcusdt_20240809.gz")))
}

// BenchmarkParseCryptofeedCoinbase is dominated by skipping level2
// messages, as a Coinbase feed recording would be.
func BenchmarkParseCryptofeedCoinbase(b *testing.B) {
	benchParse(b, benchInput(b, testenv.SharedFile(b, "data/market/cryptofeed--COINBASE.ws.28.0")))
}

func BenchmarkParseNautilusCSV(b *testing.B) {
	benchParse(b, benchInput(b, testenv.SharedFile(b, "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv")), DefaultProduct("BTC-USD"))
}

func BenchmarkParseFreqtradeJSON(b *testing.B) {
	benchParse(b, benchInput(b, testenv.SharedFile(b, "data/market/freqtrade--UNITTEST_BTC-1m.json")), DefaultProduct("UNITTEST-BTC"))
}

func BenchmarkParseGocryptotraderCandles(b *testing.B) {
	benchParse(b, benchInput(b, filepath.Join(testenv.RepoRoot(), "testdata", "gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv")), DefaultProduct("BTC-USDT"))
}

func BenchmarkParseGocryptotraderTrades(b *testing.B) {
	benchParse(b, benchInput(b, filepath.Join(testenv.RepoRoot(), "testdata", "gocryptotrader--binance_BTCUSDT_24h-trades_2020_11_16.csv")), DefaultProduct("BTC-USDT"))
}

// BenchmarkParseCoinbaseCandleLines reads 100,000 JSON-line candles as
// CandleWriter writes them.
func BenchmarkParseCoinbaseCandleLines(b *testing.B) {
	var buf bytes.Buffer
	w := NewCandleWriter(&buf)
	start := time.Unix(1700000000, 0)
	p := decimal.New(3700001, -2)
	for i := 0; i < 100000; i++ {
		c := exchange.Candle{ProductID: "BTC-USD", Start: start.Add(time.Duration(i) * time.Minute), Interval: time.Minute,
			Open: p, High: p.Add(decimal.New(1, 0)), Low: p.Sub(decimal.New(1, 0)), Close: p, Volume: decimal.New(12345678, -8)}
		if err := w.Write(c); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	benchParse(b, buf.Bytes())
}

// BenchmarkReplayAsFastAsPossible measures the replayer alone over ticks
// already in memory.
func BenchmarkReplayAsFastAsPossible(b *testing.B) {
	const n = 100000
	ticks := make([]exchange.Tick, n)
	base := time.Unix(1723161254, 0)
	for i := range ticks {
		ticks[i] = exchange.Tick{ProductID: "BTC-USDT", Kind: exchange.TradeTick, Time: base.Add(time.Duration(i) * time.Millisecond)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var delivered int64
	for i := 0; i < b.N; i++ {
		r := &Replayer{}
		if err := r.Run(context.Background(), &sliceSource{ticks: ticks}, func(exchange.Tick) {}); err != nil {
			b.Fatal(err)
		}
		delivered += r.Delivered()
	}
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "ticks/s")
}

// BenchmarkReplayRecording is the backtest feed end to end: read the
// bundled recording (gzip) and replay it as fast as possible.
func BenchmarkReplayRecording(b *testing.B) {
	gz, err := os.ReadFile(bundledPath())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var delivered int64
	for i := 0; i < b.N; i++ {
		src, err := OpenReader("bench", bytes.NewReader(gz))
		if err != nil {
			b.Fatal(err)
		}
		r := &Replayer{}
		if err := r.Run(context.Background(), src.Ticks, func(exchange.Tick) {}); err != nil {
			b.Fatal(err)
		}
		delivered += r.Delivered()
		src.Close()
	}
	b.ReportMetric(float64(delivered)/b.Elapsed().Seconds(), "ticks/s")
}

// BenchmarkCandleTicks measures the path of one candle into a reused
// slice, as a backtest over candles runs it.
func BenchmarkCandleTicks(b *testing.B) {
	c := exchange.Candle{ProductID: "BTC-USD", Start: time.Unix(1700000000, 0), Interval: time.Minute,
		Open: decimal.New(4631900, -2), High: decimal.New(4638500, -2), Low: decimal.New(4631000, -2), Close: decimal.New(4637700, -2), Volume: decimal.New(23004137295, -4)}
	dst := make([]exchange.Tick, 0, 4)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dst = CandleTicks(c, dst[:0])
	}
}

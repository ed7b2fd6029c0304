package daemon

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testkeys"
)

// BenchmarkLog measures what the daemon's logger costs per record against
// slog's own JSON handler, both writing to io.Discard so that only the
// handlers' work is timed:
//
//   - record=entry: the engine's INFO line for an entry, written before
//     the order is sent (engine/strategy.go), nothing to redact.
//   - record=fill: the engine's INFO line for a fill, nothing to redact.
//   - record=key: an ERROR line whose message and error quote a PEM
//     private key (a key pasted into paper.recording), which the daemon's
//     logger must hide.
func BenchmarkLog(b *testing.B) {
	keys := testkeys.Generate(b)
	pemKey := keys[0].Forms[0]
	records := []struct {
		name  string
		level slog.Level
		msg   string
		attrs []any
	}{
		{"entry", slog.LevelInfo, "entry", []any{"strategy", "sma-btc", "product", "BTC-USD",
			"client_order_id", "sma-btc-00000042", "type", exchange.Market, "quote_size", decimal.RequireFromString("100"),
			"reason", "fast sma crossed above slow"}},
		{"fill", slog.LevelInfo, "fill", []any{"strategy", "sma-btc", "purpose", exchange.Entry.String(), "side", exchange.Buy,
			"price", decimal.RequireFromString("60000.01"), "size", decimal.RequireFromString("0.00166666"),
			"fee", decimal.RequireFromString("0.6"), "liquidity", exchange.Taker, "client_order_id", "sma-btc-00000042"}},
		{"key", slog.LevelError, "market data feed stopped", []any{"error", errors.New("open " + pemKey + ": no such file or directory"),
			"path", pemKey}},
	}
	handlers := []struct {
		name string
		log  *slog.Logger
	}{
		{"slog-json", slog.New(slog.NewJSONHandler(io.Discard, nil))},
		{"daemon-json", NewLogger(io.Discard, "json", "info")},
	}
	for _, r := range records {
		for _, h := range handlers {
			b.Run("record="+r.name+"/handler="+h.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					h.log.Log(b.Context(), r.level, r.msg, r.attrs...)
				}
			})
		}
	}
}

// BenchmarkPaperTickToOrderLogged is BenchmarkPaperTickToOrder's
// journal=none case with the engine logging as a daemon does: its INFO
// line for an entry is written before the order is sent, inside the
// tick-to-order latency, and its fill and position-closed lines on the
// way back. BenchmarkPaperTickToOrder logs nowhere.
//
//   - log=none: no logger (journal=none).
//   - log=slog-json: slog's JSON handler, to io.Discard.
//   - log=daemon-json: the daemon's logger (NewLogger), to io.Discard.
//   - log=daemon-json-file: the daemon's logger to a file, a write per
//     line as to journald's pipe.
func BenchmarkPaperTickToOrderLogged(b *testing.B) {
	for _, c := range []struct {
		name string
		log  func(b *testing.B) *slog.Logger
	}{
		{"none", func(*testing.B) *slog.Logger { return nil }},
		{"slog-json", func(*testing.B) *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }},
		{"daemon-json", func(*testing.B) *slog.Logger { return NewLogger(io.Discard, "json", "info") }},
		{"daemon-json-file", func(b *testing.B) *slog.Logger {
			f, err := os.Create(filepath.Join(b.TempDir(), "log"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			return NewLogger(f, "json", "info")
		}},
	} {
		b.Run("log="+c.name, func(b *testing.B) {
			runPaperBench(b, benchPaperLogged(b, nil, nil, c.log(b)), func() {})
		})
	}
}

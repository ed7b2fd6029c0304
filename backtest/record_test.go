package backtest

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

func TestRecordWritesTheLiveFeedAsARecording(t *testing.T) {
	for _, name := range []string{"feed.tbrec", "feed.tbrec.gz"} {
		t.Run(name, func(t *testing.T) {
			emu, _ := startEmulator(t, nil)
			out := filepath.Join(t.TempDir(), name)
			rec, err := NewRecorder(RecordOptions{MarketURL: emu.MarketDataURL(), Products: []string{"BTC-USD"}, Out: out})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- rec.Run(ctx) }()
			// The subscription is asynchronous: trade until the recorder
			// has seen some, then a last known trade.
			price := decimal.RequireFromString("61837.63")
			deadline := time.Now().Add(10 * time.Second)
			for rec.Ticks() < 3 && time.Now().Before(deadline) {
				emu.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: price,
					Size: decimal.RequireFromString("0.015"), TakerSide: exchange.Buy})
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			if rec.Ticks() < 3 {
				t.Fatalf("recorded %d ticks in 10 s", rec.Ticks())
			}
			src, err := marketdata.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.Format != marketdata.Recording {
				t.Fatalf("format %s", src.Format)
			}
			var trades, n int64
			for {
				tk, err := src.Ticks.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
				if tk.ProductID != "BTC-USD" {
					t.Errorf("tick of %s", tk.ProductID)
				}
				if tk.Kind == exchange.TradeTick {
					trades++
					if !tk.Price.Equal(price) {
						t.Errorf("trade at %s, want %s", tk.Price, price)
					}
				}
			}
			if n != rec.Ticks() || trades == 0 {
				t.Errorf("read back %d ticks (%d trades), recorder wrote %d", n, trades, rec.Ticks())
			}
		})
	}
}

// The ticker and market_trades channels arrive a few milliseconds out of
// order; the recorder writes them sorted, so the recording replays.
func TestRecorderWritesInterleavedChannelsInTimeOrder(t *testing.T) {
	at := time.Date(2024, 8, 8, 0, 0, 0, 0, time.UTC)
	var b reorderBuffer
	var got []time.Duration
	write := func(tk exchange.Tick) { got = append(got, tk.Time.Sub(at)) }
	for _, ms := range []int{0, 5, 3, 4, 10, 9, 3000, 2990} {
		tk := exchange.Tick{Time: at.Add(time.Duration(ms) * time.Millisecond)}
		if !b.add(tk) {
			t.Fatalf("tick at +%dms refused", ms)
		}
		b.flushBefore(tk.Time.Add(-recordReorderWindow), write)
	}
	if b.add(exchange.Tick{Time: at.Add(time.Millisecond)}) {
		t.Error("a tick older than one already written was accepted")
	}
	b.flushBefore(time.Time{}, write)
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Fatalf("written out of order: %v", got)
		}
	}
	if len(got) != 8 {
		t.Fatalf("wrote %d ticks, want 8: %v", len(got), got)
	}
}

package backtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/internal/emutest"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

// nautilusCandles reads the first n one-minute candles of the month of
// BTC candles in ../shared (read in place: LGPL, never copied), as
// product.
func nautilusCandles(t testing.TB, product string, n int) []exchange.Candle {
	t.Helper()
	path := testenv.SharedFile(t, "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv")
	src, err := marketdata.Open(path, marketdata.DefaultProduct(product))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []exchange.Candle
	for n <= 0 || len(out) < n {
		c, err := src.Candles.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// startEmulator serves candles on loopback and returns a client of it.
func startEmulator(t *testing.T, candles []exchange.Candle) (*emulator.Emulator, *coinbase.Client) {
	t.Helper()
	emu := emutest.Start(t, emulator.Options{Candles: candles, RateLimits: emulator.RateLimits{Disabled: true}})
	cl, err := coinbase.NewClient(coinbase.Config{BaseURL: emu.RESTURL(), PublicRate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return emu, cl
}

func TestDownloadPagesResumesAndKeepsGaps(t *testing.T) {
	all := nautilusCandles(t, "BTC-USD", 1000)
	// Coinbase omits minutes without trades: take one out.
	missing := all[600].Start
	served := append(append([]exchange.Candle{}, all[:600]...), all[601:]...)
	_, cl := startEmulator(t, served)
	ctx := context.Background()
	from, to := all[0].Start, all[len(all)-1].Start.Add(time.Minute)
	dir := t.TempDir()

	oneShot := filepath.Join(dir, "one.jsonl")
	rep, err := Download(ctx, cl, DownloadOptions{Product: "BTC-USD", Interval: time.Minute, From: from, To: to, Out: oneShot})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Written != 999 || rep.Pages != 3 {
		t.Fatalf("one shot: %+v, want 999 candles in 3 pages of up to 350", rep)
	}

	resumed := filepath.Join(dir, "resumed.jsonl")
	steps := []struct {
		name        string
		to          time.Time
		cutLastLine bool
		wantWritten int
		wantResumed time.Time
	}{
		{"first half", from.Add(500 * time.Minute), false, 500, time.Time{}},
		{"interrupted mid-line, then the rest", to, true, 500, from.Add(499 * time.Minute)},
		{"nothing left", to, false, 0, to},
	}
	for _, st := range steps {
		if st.cutLastLine {
			// A crash while writing leaves half a line: it is dropped
			// and its candle fetched again.
			b, _ := os.ReadFile(resumed)
			if err := os.WriteFile(resumed, b[:len(b)-20], 0o644); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := Download(ctx, cl, DownloadOptions{Product: "BTC-USD", Interval: time.Minute, From: from, To: st.to, Out: resumed})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if rep.Written != st.wantWritten || !rep.Resumed.Equal(st.wantResumed) {
			t.Errorf("%s: wrote %d resumed at %v, want %d at %v", st.name, rep.Written, rep.Resumed, st.wantWritten, st.wantResumed)
		}
	}
	a, _ := os.ReadFile(oneShot)
	b, _ := os.ReadFile(resumed)
	if !bytes.Equal(a, b) {
		t.Errorf("a resumed download differs from a one-shot one")
	}

	d, err := Load([]string{resumed}, LoadOptions{Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	f := d.Files[0]
	if f.Format != string(marketdata.CoinbaseCandles) || f.Candles != 999 {
		t.Errorf("read back as %s with %d candles", f.Format, f.Candles)
	}
	if len(f.Gaps) != 1 || !f.Gaps[0].From.Equal(missing) || f.Gaps[0].Missing != 1 {
		t.Errorf("gaps %+v, want the one minute at %v", f.Gaps, missing)
	}
}

package backtest

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestPrintSummaryListsGapsAndExitReasons(t *testing.T) {
	from := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	s := Summary{Start: from, End: from.Add(time.Hour), Trades: 3, Wins: 1, Losses: 2, PnL: decimal.RequireFromString("-1.5"),
		Files:       []FileInfo{{Name: "btc.jsonl", Gaps: []Gap{{From: from.Add(5 * time.Minute), To: from.Add(8 * time.Minute), Missing: 3}}, Widened: 2}},
		ExitReasons: map[string]int{"trailing_stop": 1, "stop_loss": 2}}
	var b bytes.Buffer
	PrintSummary(&b, s)
	for _, want := range []string{
		"gap in btc.jsonl: 3 candle(s) missing from 2024-01-01T10:05:00Z to 2024-01-01T10:08:00Z",
		"btc.jsonl: 2 candle(s) had a high or low inside their open/close and were widened",
		"-1.50 (net of fees)", "exits: stop_loss      2", "exits: trailing_stop  1",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Index(b.String(), "stop_loss") > strings.Index(b.String(), "trailing_stop") {
		t.Errorf("exit reasons are not in name order:\n%s", b.String())
	}
}

func TestSharpeSortino(t *testing.T) {
	// sqrt(365) = 19.10497.
	tests := []struct {
		name                    string
		rets                    []float64
		wantSharpe, wantSortino float64
	}{
		{"one return is not enough", []float64{0.01}, 0, 0},
		{"no variation", []float64{0.01, 0.01, 0.01}, 0, 0},
		// mean 0.005, sample sd 0.0070711: Sharpe 13.5093; no negative
		// return, so no downside deviation: Sortino 0.
		{"never down", []float64{0.01, 0}, 13.5093, 0},
		// mean 0.005, sample sd sqrt(2 x 0.015^2) = 0.0212132: Sharpe
		// 4.5031; downside rms sqrt(0.01^2 / 2) = 0.0070711: Sortino 13.5093.
		{"up and down", []float64{0.02, -0.01}, 4.5031, 13.5093},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sh, so := sharpeSortino(tc.rets, 365)
			if math.Abs(sh-tc.wantSharpe) > 1e-3 || math.Abs(so-tc.wantSortino) > 1e-3 {
				t.Errorf("sharpe %.4f sortino %.4f, want %.4f and %.4f", sh, so, tc.wantSharpe, tc.wantSortino)
			}
		})
	}
}

func TestMaxDrawdown(t *testing.T) {
	var c curve
	for _, e := range []float64{100, 110, 99, 120, 108} {
		c.add(Point{Equity: e})
	}
	abs, pct := c.maxDrawdown()
	if abs != 12 || pct != 0.1 {
		t.Errorf("drawdown %v (%v), want 12 (0.1) from the 120 peak", abs, pct)
	}
}

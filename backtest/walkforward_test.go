package backtest

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

func monthData(t testing.TB) *Data {
	t.Helper()
	d, err := Load([]string{testenv.SharedFile(t, monthFile)}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAWindowRunsAsTheSameDataLoadedWithFromAndTo(t *testing.T) {
	path := testenv.SharedFile(t, monthFile)
	from, to := time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 9, 12, 0, 0, 0, time.UTC)
	cut, err := Load([]string{path}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	w := monthData(t).Window(from, to)
	if w.Len() != cut.Len() {
		t.Fatalf("window of %d ticks, loaded with from and to %d", w.Len(), cut.Len())
	}
	cfg := smaExits(t)
	a, err := Run(context.Background(), cfg, cut, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), cfg, w, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sa, sb := Summarize(a), Summarize(b)
	if !sa.PnL.Equal(sb.PnL) || sa.Trades != sb.Trades || sa.Trades == 0 || !a.Start.Equal(b.Start) || !a.End.Equal(b.End) {
		t.Errorf("window: %d trades %s %v..%v; loaded: %d trades %s %v..%v", sb.Trades, sb.PnL, b.Start, b.End, sa.Trades, sa.PnL, a.Start, a.End)
	}
	if n := w.Window(from.Add(24*time.Hour), to).Len(); n >= w.Len() || n == 0 {
		t.Errorf("a window of a window has %d ticks of %d", n, w.Len())
	}
}

func TestWalkForwardPicksInSampleAndRunsOutOfSample(t *testing.T) {
	raw, err := os.ReadFile("testdata/sma-exits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	axes, err := ParseSweep("btc-sma.params.fast=3,8;btc-sma.params.slow=20,40")
	if err != nil {
		t.Fatal(err)
	}
	wf, err := ParseWalkForward("10d/5d")
	if err != nil {
		t.Fatal(err)
	}
	windows, err := WalkForward(context.Background(), "sma-exits.yaml", raw, noEnv, axes, monthData(t), SweepOptions{RankBy: "pnl"}, wf)
	if err != nil {
		t.Fatal(err)
	}
	if len(windows) != 5 {
		t.Fatalf("%d windows, want 5 (out of sample from day 10, 15, 20, 25 and 30)", len(windows))
	}
	for i, w := range windows {
		if w.Err != nil {
			t.Fatalf("window %d: %v", i+1, w.Err)
		}
		if w.InTo.Sub(w.InFrom) != 10*24*time.Hour || !w.OutFrom.Equal(w.InTo) || len(w.Best.Values) != 2 {
			t.Errorf("window %d: %+v", i+1, w)
		}
		// The out-of-sample run is the in-sample winner's config on
		// later data: its own row of a one-combination sweep there.
		if w.Out.Start.Before(w.OutFrom) || w.Out.Trades == 0 {
			t.Errorf("window %d: out of sample from %v with %d trades", i+1, w.Out.Start, w.Out.Trades)
		}
	}
	var table, csv bytes.Buffer
	PrintWalkForward(&table, axes, "pnl", windows)
	if err := WriteWalkForwardCSV(&csv, axes, "pnl", windows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "out of sample") || strings.Count(csv.String(), "\n") != 6 {
		t.Errorf("table:\n%s\ncsv:\n%s", table.String(), csv.String())
	}
	// Ten days in sample: fewer daily returns than a Sharpe ratio needs.
	table.Reset()
	PrintWalkForward(&table, axes, "sharpe", windows)
	if !strings.Contains(table.String(), "-: not shown for fewer than 30 daily returns") ||
		!strings.Contains(table.String(), "the ranking by sharpe means little") {
		t.Errorf("ranked by a Sharpe ratio the windows are too short for:\n%s", table.String())
	}
	for _, bad := range []string{"10d", "0d/5d", "x/y", "10d/-1h"} {
		if _, err := ParseWalkForward(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestEntriesNotPlacedForLackOfFundsAreCountedOncePerCause(t *testing.T) {
	raw, err := os.ReadFile("testdata/sma-exits.yaml")
	if err != nil {
		t.Fatal(err)
	}
	poor := strings.Replace(string(raw), "{USD: 100000}", "{USD: 500}", 1)
	cfg, err := config.Load("poor.yaml", []byte(poor), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Stream([]string{testenv.SharedFile(t, monthFile)}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst,
		To: time.Date(2022, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NotPlaced) != 1 || len(res.RoundTrips) > 0 {
		t.Fatalf("not placed %+v, %d round trips; want one cause and no trade", res.NotPlaced, len(res.RoundTrips))
	}
	n := res.NotPlaced[0]
	if n.Strategy != "btc-sma" || n.Cause != "venue refused: INSUFFICIENT_FUND" || n.Count < 2 || res.NotPlacedTotal() != n.Count ||
		!strings.Contains(n.Example, "available 500") || n.First.Before(res.Start) {
		t.Errorf("%+v", n)
	}
	if s := n.String(); !strings.Contains(s, "btc-sma") || !strings.Contains(s, "entries not placed") {
		t.Errorf("line %q", s)
	}
}

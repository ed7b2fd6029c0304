package backtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/marketdata"
)

func exampleConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load("config.example.yaml", tradebot.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// configFile loads the config file at path, its ${NAME}s from the
// environment.
func configFile(t testing.TB, path string) *config.Config {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, raw, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func runBundled(t *testing.T, dir string) Summary {
	t.Helper()
	d, err := Load([]string{Bundled}, LoadOptions{Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), exampleConfig(t), d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := WriteReports(dir, res)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSameRunTwiceGivesByteIdenticalReports(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	s := runBundled(t, a)
	runBundled(t, b)
	if s.Trades == 0 {
		t.Fatalf("the example config made no trades on the bundled recording")
	}
	files, _ := os.ReadDir(a)
	if len(files) != 3 {
		t.Fatalf("%d report files, want 3", len(files))
	}
	for _, f := range files {
		x, _ := os.ReadFile(filepath.Join(a, f.Name()))
		y, err := os.ReadFile(filepath.Join(b, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two equal runs", f.Name())
		}
	}
}

func TestRunRefusesDataWithoutTheStrategiesProduct(t *testing.T) {
	d, err := Load([]string{Bundled}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := exampleConfig(t)
	cfg.Strategies[0].Product = "BTC-USD"
	_, err = Run(context.Background(), cfg, d, RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "trades BTC-USD, but the data holds only BTC-USDT (") {
		t.Fatalf("err = %v", err)
	}
}

// edgeTimes are times on either side of the range (1970 to maxUTCSec)
// where periodStart and elapsed take their Unix-nanosecond shortcut, and
// one in another zone.
func edgeTimes() []time.Time {
	ny := time.FixedZone("EST", -5*3600)
	return []time.Time{
		time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2022, 1, 1, 0, 0, 59, 999999999, time.UTC),
		time.Date(2022, 1, 1, 23, 59, 0, 1, time.UTC).In(ny),
		time.Date(1969, 12, 31, 23, 59, 30, 5, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2242, 3, 16, 12, 56, 31, 999999999, time.UTC),
		time.Date(2300, 6, 1, 12, 34, 56, 7, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(maxUTCSec-1, 999999999),
		time.Unix(maxUTCSec, 0),
	}
}

// TestPeriodStartIsTruncate: the equity curve's periods must start where
// Truncate(SamplePeriod) puts them, to the nanosecond, zone and all, on
// either side of the range where periodStart takes its shortcut.
func TestPeriodStartIsTruncate(t *testing.T) {
	for _, at := range append(edgeTimes(), time.Now()) {
		if got, want := periodStart(at), at.Truncate(SamplePeriod); got != want {
			t.Errorf("periodStart(%s) = %#v, Truncate gives %#v", at, got, want)
		}
	}
}

// elapsed is Sub for the times ticks have (no monotonic reading), on
// both sides of its Unix-nanosecond range and across zones.
func TestElapsedIsSub(t *testing.T) {
	times := edgeTimes()
	for _, a := range times {
		for _, b := range times {
			if got, want := elapsed(a, b), a.Sub(b); got != want {
				t.Errorf("elapsed(%s, %s) = %d, Sub gives %d", a, b, got, want)
			}
		}
	}
}

// A run for summary.json alone (or no file) records no price bars and no
// equity curve for the chart, and its summary (markets, per-product rows,
// drawdown and ratios included) is the full run's.
func TestRunWithoutReportHTMLRecordsNoBarsAndSummarizesTheSame(t *testing.T) {
	d, err := Load([]string{Bundled}, LoadOptions{Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Run(context.Background(), exampleConfig(t), d, RunOptions{Reports: ReportsFull})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Bars) == 0 || len(full.Bars[0].Bars) == 0 || len(full.Equity) < 2 {
		t.Fatalf("the full run recorded %d products' bars and %d equity points", len(full.Bars), len(full.Equity))
	}
	want, err := json.Marshal(Summarize(full))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Reports{ReportsSummary, ReportsNone} {
		res, err := Run(context.Background(), exampleConfig(t), d, RunOptions{Reports: l})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Bars) != 0 || len(res.Equity) != 0 {
			t.Errorf("--report %s: %d products' bars and %d equity points recorded, want none", l, len(res.Bars), len(res.Equity))
		}
		s := Summarize(res)
		if len(s.Markets) == 0 || len(s.ByProduct) == 0 {
			t.Errorf("--report %s: summary without markets (%d) or products (%d)", l, len(s.Markets), len(s.ByProduct))
		}
		got, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("--report %s: summary differs from the full run's:\n%s\nwant\n%s", l, got, want)
		}
	}
}

package backtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

// reportsOf runs cfg over d and returns summary.json and trades.csv.
func reportsOf(t *testing.T, cfg *config.Config, d *Data) (summary, trades []byte) {
	t.Helper()
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := WriteReports(dir, res); err != nil {
		t.Fatal(err)
	}
	summary, err = os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	trades, err = os.ReadFile(filepath.Join(dir, "trades.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return summary, trades
}

func TestStreamedRunWritesTheReportsOfALoadedRun(t *testing.T) {
	cases := []struct {
		name string
		cfg  func(testing.TB) *config.Config
		path func(testing.TB) string
		o    LoadOptions
	}{
		{"bundled recording", exampleConfig, func(testing.TB) string { return Bundled }, LoadOptions{Path: marketdata.PathLowFirst}},
		{"month of candles", smaExits, func(t testing.TB) string { return testenv.SharedFile(t, monthFile) },
			LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t)
			loaded, err := Load([]string{path}, c.o)
			if err != nil {
				t.Fatal(err)
			}
			streamed, err := Stream([]string{path}, c.o)
			if err != nil {
				t.Fatal(err)
			}
			ls, lt := reportsOf(t, c.cfg(t), loaded)
			ss, st := reportsOf(t, c.cfg(t), streamed)
			if !bytes.Equal(ls, ss) || !bytes.Equal(lt, st) {
				t.Errorf("streamed reports differ from loaded ones:\nloaded %s\nstreamed %s", ls, ss)
			}
			if strings.Count(string(lt), "\n") < 2 {
				t.Errorf("no trade to compare:\n%s", lt)
			}
		})
	}
}

func smaExits(t testing.TB) *config.Config {
	t.Helper()
	return configFile(t, "testdata/sma-exits.yaml")
}

// bundledTicks returns the ticks of the bundled recording.
func bundledTicks(t testing.TB) []exchange.Tick {
	t.Helper()
	src, err := bundled.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var ticks []exchange.Tick
	for {
		tk, err := src.Ticks.Next()
		if errors.Is(err, io.EOF) {
			return ticks
		}
		if err != nil {
			t.Fatal(err)
		}
		ticks = append(ticks, tk)
	}
}

// writeRecording writes ticks as a tradebot recording.
func writeRecording(t testing.TB, path string, ticks []exchange.Tick) {
	t.Helper()
	var b bytes.Buffer
	w := marketdata.NewWriter(&b)
	for _, tk := range ticks {
		if err := w.WriteTick(tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTwoFilesAreMergedByTimeAsTheyStream(t *testing.T) {
	ticks := bundledTicks(t)
	dir := t.TempDir()
	// Every third tick in one file, the rest in the other: each file in
	// time order, the two interleaved.
	var a, b []exchange.Tick
	for i, tk := range ticks {
		if i%3 == 0 {
			a = append(a, tk)
		} else {
			b = append(b, tk)
		}
	}
	whole, pa, pb := filepath.Join(dir, "whole.tbrec"), filepath.Join(dir, "a.tbrec"), filepath.Join(dir, "b.tbrec")
	writeRecording(t, whole, ticks)
	writeRecording(t, pa, a)
	writeRecording(t, pb, b)
	o := LoadOptions{Path: marketdata.PathLowFirst}
	one, err := Stream([]string{whole}, o)
	if err != nil {
		t.Fatal(err)
	}
	two, err := Stream([]string{pa, pb}, o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := exampleConfig(t)
	_, wantTrades := reportsOf(t, cfg, one)
	_, gotTrades := reportsOf(t, cfg, two)
	if !bytes.Equal(wantTrades, gotTrades) {
		t.Errorf("two files merged by time trade differently from one:\none:\n%s\ntwo:\n%s", wantTrades, gotTrades)
	}
}

func TestATickFileOutOfOrderIsRefusedWithItsLineOrSorted(t *testing.T) {
	ticks := bundledTicks(t)[:2000]
	ticks[1000], ticks[1001] = ticks[1001], ticks[1000]
	if !ticks[1001].Time.Before(ticks[1000].Time) {
		// Equal times would not be out of order; move one back.
		ticks[1001].Time = ticks[1000].Time.Add(-1)
	}
	path := filepath.Join(t.TempDir(), "shuffled.tbrec")
	writeRecording(t, path, ticks)
	cfg := exampleConfig(t)
	for _, load := range []func([]string, LoadOptions) (*Data, error){Load, Stream} {
		d, err := load([]string{path}, LoadOptions{})
		if err == nil {
			_, err = Run(context.Background(), cfg, d, RunOptions{})
		}
		// Line 1 is the header: tick i is on line i+2.
		if err == nil || !errors.Is(err, marketdata.ErrOutOfOrder) || !strings.Contains(err.Error(), path+" line 1003") ||
			!strings.Contains(err.Error(), "--reorder") {
			t.Errorf("err = %v, want the file, line 1003 and --reorder", err)
		}
	}
	d, err := Stream([]string{path}, LoadOptions{Reorder: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Data.Files[0]; !f.Reordered || f.Ticks != len(ticks) {
		t.Errorf("file %+v, want reordered with %d ticks", f, len(ticks))
	}
}

func TestACandleFileOutOfOrderIsRefusedWithItsLine(t *testing.T) {
	csv := "timestamp,open,high,low,close,volume\n" +
		"2022-01-01 00:01:00.000000,1,2,1,2,5\n" +
		"2022-01-01 00:03:00.000000,2,3,2,3,5\n" +
		"2022-01-01 00:02:00.000000,3,3,2,2,5\n"
	path := filepath.Join(t.TempDir(), "bars.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Stream([]string{path}, LoadOptions{Product: "BTC-USD"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), smaExits(t), d, RunOptions{})
	if err == nil || !errors.Is(err, marketdata.ErrOutOfOrder) || !strings.Contains(err.Error(), path+" line 4") {
		t.Errorf("err = %v, want the file and line 4", err)
	}
	d, err = Stream([]string{path}, LoadOptions{Product: "BTC-USD", Reorder: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), smaExits(t), d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Data.Files[0]; !f.Reordered || f.Candles != 3 || f.Ticks != 12 || !res.End.After(res.Start) {
		t.Errorf("file %+v, want 3 candles reordered", f)
	}
}

func TestManyGapsPrintAsOneLineWithTheLargest(t *testing.T) {
	path := testenv.SharedFile(t, "data/market/freqtrade--UNITTEST_BTC-1m.json")
	d, err := Stream([]string{path}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), smaExits(t), d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(res)
	if len(s.Files[0].Gaps) != 538 {
		t.Fatalf("%d gaps, want the file's 538", len(s.Files[0].Gaps))
	}
	var out bytes.Buffer
	PrintSummary(&out, s)
	lines := strings.Split(out.String(), "\n")
	gapLines := 0
	for _, l := range lines {
		if strings.Contains(l, "gap") {
			gapLines++
		}
	}
	if gapLines != 1 || !strings.HasPrefix(lines[0], "538 gaps in "+path) || !strings.Contains(lines[0], "the largest: ") {
		t.Errorf("%d lines about gaps, first line %q", gapLines, lines[0])
	}
}

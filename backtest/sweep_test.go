package backtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/marketdata"
)

func TestParseSweep(t *testing.T) {
	tests := []struct {
		name, spec string
		axes       int
		wantErr    bool
	}{
		{"two axes", "btc-sma.params.fast=3,5,8;btc-sma.params.slow=10,20", 2, false},
		{"trailing semicolon", "btc-sma.params.fast=3;", 1, false},
		{"no value", "btc-sma.params.fast=", 0, true},
		{"no path", "fast=3", 0, true},
		{"empty value in list", "btc-sma.params.fast=3,,5", 0, true},
		{"nothing", " ; ", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			axes, err := ParseSweep(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if len(axes) != tc.axes {
				t.Fatalf("%d axes, want %d", len(axes), tc.axes)
			}
		})
	}
}

func TestSweepRunsEveryCombinationRanked(t *testing.T) {
	d, err := Load([]string{Bundled}, LoadOptions{Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	axes, err := ParseSweep("btc-sma.params.fast=2,3;btc-sma.params.slow=8,12;btc-breakout.exits.stop_loss.percent=0.2")
	if err != nil {
		t.Fatal(err)
	}
	env := func(string) (string, bool) { return "", false }
	res, err := Sweep(context.Background(), "config.example.yaml", tradebot.ExampleConfig, env, axes, d, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows := res.Rows
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	seen := map[string]bool{}
	for i, r := range rows {
		if r.Err != nil {
			t.Fatalf("row %v: %v", r.Values, r.Err)
		}
		seen[strings.Join(r.Values, " ")] = true
		if i > 0 && rows[i-1].Summary.PnL.LessThan(r.Summary.PnL) {
			t.Errorf("row %d PnL %s above row %d PnL %s", i+1, r.Summary.PnL, i, rows[i-1].Summary.PnL)
		}
	}
	if len(seen) != 4 {
		t.Errorf("combinations %v, want 4 distinct", seen)
	}
	// The swept value reaches the strategy: one combination alone gives
	// the same numbers as its row.
	single := make([]Axis, len(axes))
	for i, a := range axes {
		single[i] = Axis{Strategy: a.Strategy, Path: a.Path, Values: []string{rows[0].Values[i]}}
	}
	oneRes, err := Sweep(context.Background(), "config.example.yaml", tradebot.ExampleConfig, env, single, d, SweepOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	one := oneRes.Rows
	if !one[0].Summary.PnL.Equal(rows[0].Summary.PnL) || one[0].Summary.Trades != rows[0].Summary.Trades {
		t.Errorf("alone: %s in %d trades; in the sweep: %s in %d", one[0].Summary.PnL, one[0].Summary.Trades,
			rows[0].Summary.PnL, rows[0].Summary.Trades)
	}
	var csv, table bytes.Buffer
	if err := WriteSweepCSV(&csv, axes, rows); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), "\n"); n != 5 {
		t.Errorf("sweep.csv has %d lines, want 5:\n%s", n, csv.String())
	}
	PrintSweep(&table, res)
	if !strings.Contains(table.String(), "btc-sma.params.fast") {
		t.Errorf("table lacks the axis:\n%s", table.String())
	}
	// Hours of data: the Sharpe ratio is a dash, as report.html leaves
	// it out, and the line under the table says why.
	if rows[0].Summary.RatiosShown || !strings.Contains(table.String(), "-: not shown for fewer than 30 daily returns") ||
		strings.Contains(table.String(), fmt.Sprintf("%.3f", rows[0].Summary.Sharpe)) {
		t.Errorf("a Sharpe ratio the data is too short for is in the table:\n%s", table.String())
	}
}

func TestSweepRefusesAnUnknownStrategy(t *testing.T) {
	d := &Data{}
	_, err := Sweep(context.Background(), "x.yaml", tradebot.ExampleConfig, func(string) (string, bool) { return "", false },
		[]Axis{{Strategy: "nope", Path: []string{"params", "fast"}, Values: []string{"3"}}}, d, SweepOptions{Workers: 1})
	if err == nil || !strings.Contains(err.Error(), `no strategy named "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

var noEnv = func(string) (string, bool) { return "", false }

// bundledData returns the first hours of the bundled recording: enough
// for trades, short enough for sweeps of many runs under -race.
func bundledData(t testing.TB) *Data {
	t.Helper()
	d, err := Load([]string{Bundled}, LoadOptions{Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := d.Span()
	return d.Window(first, first.Add(4*time.Hour))
}

func TestAnInvalidCombinationIsARowWithItsErrorAndTheSweepGoesOn(t *testing.T) {
	axes, err := ParseSweep("btc-sma.params.fast=2,0,x;btc-sma.params.slow=8")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Sweep(context.Background(), "config.example.yaml", tradebot.ExampleConfig, noEnv, axes, bundledData(t), SweepOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(res.Rows))
	}
	if r := res.Rows[0]; r.Err != nil || r.Values[0] != "2" || r.Summary.Trades == 0 {
		t.Errorf("first row %v: %v, %d trades; want fast=2 run", r.Values, r.Err, r.Summary.Trades)
	}
	for _, r := range res.Rows[1:] {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "fast") {
			t.Errorf("row %v: error %v, want one naming fast", r.Values, r.Err)
		}
	}
	var csv bytes.Buffer
	if err := WriteSweepCSV(&csv, axes, res.Rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "fast") || strings.Count(csv.String(), "\n") < 4 {
		t.Errorf("sweep.csv:\n%s", csv.String())
	}
}

func TestRankByOrdersRowsByTheChosenMetric(t *testing.T) {
	axes, err := ParseSweep("btc-sma.params.fast=2..4;btc-sma.params.slow=8,12")
	if err != nil {
		t.Fatal(err)
	}
	d := bundledData(t)
	res, err := Sweep(context.Background(), "x.yaml", tradebot.ExampleConfig, noEnv, axes, d, SweepOptions{RankBy: "trades"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 6 || res.RankBy != "trades" {
		t.Fatalf("%d rows ranked by %q", len(res.Rows), res.RankBy)
	}
	for _, m := range Metrics {
		// Ranking is the sort of the rows Sweep ends with.
		rankRows(res.Rows, m)
		for i := 1; i < len(res.Rows); i++ {
			a, b := m.Value(res.Rows[i-1].Summary), m.Value(res.Rows[i].Summary)
			if m.Higher && a < b || !m.Higher && a > b {
				t.Errorf("%s: row %d has %v, row %d %v", m.Name, i, a, i+1, b)
			}
		}
	}
	if _, err := Sweep(context.Background(), "x.yaml", tradebot.ExampleConfig, noEnv, axes, d, SweepOptions{RankBy: "luck"}); err == nil ||
		!strings.Contains(err.Error(), "--rank-by") {
		t.Errorf("rank by luck: %v", err)
	}
}

func TestRandomSearchRunsItsBudgetAndTheSameSeedDrawsTheSame(t *testing.T) {
	axes, err := ParseSweep("btc-sma.params.fast=2..6;btc-sma.params.slow=8..12")
	if err != nil {
		t.Fatal(err)
	}
	d := bundledData(t)
	draw := func(seed uint64) []int {
		res, err := Sweep(context.Background(), "x.yaml", tradebot.ExampleConfig, noEnv, axes, d, SweepOptions{Random: 4, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 4 || res.Grid != 25 || len(res.Rows) != 4 {
			t.Fatalf("%d rows of %d drawn from %d, want 4 of 4 from 25", len(res.Rows), res.Total, res.Grid)
		}
		var got []int
		for _, r := range res.Rows {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if want := combination(axes, r.Combination-1); !slices.Equal(want, r.Values) {
				t.Errorf("combination %d has values %v, want %v", r.Combination, r.Values, want)
			}
			got = append(got, r.Combination)
		}
		slices.Sort(got)
		return got
	}
	a, b, c := draw(7), draw(7), draw(8)
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 drew %v, then %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 drew the same %v", a)
	}
}

func TestShardsMergeIntoTheWholeSweep(t *testing.T) {
	axes, err := ParseSweep("btc-sma.params.fast=2..4;btc-sma.params.slow=8,12,x")
	if err != nil {
		t.Fatal(err)
	}
	d := bundledData(t)
	ctx := context.Background()
	whole, err := Sweep(ctx, "x.yaml", tradebot.ExampleConfig, noEnv, axes, d, SweepOptions{RankBy: "sharpe"})
	if err != nil {
		t.Fatal(err)
	}
	wholeDir := t.TempDir()
	if err := WriteSweep(wholeDir, whole); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for k := 1; k <= 4; k++ {
		part, err := Sweep(ctx, "x.yaml", tradebot.ExampleConfig, noEnv, axes, d, SweepOptions{RankBy: "sharpe", Shard: Shard{K: k, N: 4}})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := WriteSweep(dir, part); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	if _, err := MergeSweeps(dirs[:3]); err == nil || !strings.Contains(err.Error(), "merge all 4") {
		t.Errorf("three slices of four merged: %v", err)
	}
	if _, err := MergeSweeps([]string{dirs[0], dirs[0], dirs[1], dirs[2]}); err == nil {
		t.Error("a slice given twice was merged")
	}
	merged, err := MergeSweeps(dirs)
	if err != nil {
		t.Fatal(err)
	}
	mergedDir := t.TempDir()
	if err := WriteSweep(mergedDir, merged); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SweepCSV, SweepJSON} {
		a, _ := os.ReadFile(filepath.Join(wholeDir, f))
		b, _ := os.ReadFile(filepath.Join(mergedDir, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s merged differs from the whole sweep's:\nwhole:\n%s\nmerged:\n%s", f, a, b)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, s := range []string{"0/3", "4/3", "1", "a/b", "1/0", ""} {
		if _, err := ParseShard(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
	if sh, err := ParseShard("2/8"); err != nil || sh != (Shard{K: 2, N: 8}) {
		t.Errorf("2/8: %v %v", sh, err)
	}
}

func TestARangeExpandsToItsValues(t *testing.T) {
	for spec, want := range map[string][]string{
		"a.b=3..5":          {"3", "4", "5"},
		"a.b=0.5..1:0.25":   {"0.5", "0.75", "1"},
		"a.b=1,7..8":        {"1", "7", "8"},
		"a.b=0.1..0.35:0.1": {"0.1", "0.2", "0.3"},
	} {
		axes, err := ParseSweep(spec)
		if err != nil || !slices.Equal(axes[0].Values, want) {
			t.Errorf("%s: %v %v, want %v", spec, axes, err, want)
		}
	}
	for _, spec := range []string{"a.b=5..3", "a.b=0.5..1", "a.b=1..2:0", "a.b=1..x", "a.b=0..1000000"} {
		if _, err := ParseSweep(spec); err == nil {
			t.Errorf("%s parsed", spec)
		}
	}
}

// sameFiles reports the files of dir a missing from dir b or different
// there, and b's files that a lacks.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	as, _ := os.ReadDir(a)
	bs, _ := os.ReadDir(b)
	if len(as) == 0 || len(as) != len(bs) {
		t.Errorf("%d files in %s, %d in %s", len(as), a, len(bs), b)
	}
	for _, e := range as {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs from the whole sweep's (%v)", e.Name(), err)
		}
	}
}

func TestMergeTakesTheBestReportsFromTheSliceThatRanIt(t *testing.T) {
	axes, err := ParseSweep("btc-sma.params.fast=2..4;btc-sma.params.slow=8,12,x")
	if err != nil {
		t.Fatal(err)
	}
	d := bundledData(t)
	ctx := context.Background()
	sweep := func(dir string, sh Shard, reports bool) *SweepResult {
		r, err := Sweep(ctx, "x.yaml", tradebot.ExampleConfig, noEnv, axes, d, SweepOptions{RankBy: "pnl", Shard: sh})
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteSweep(dir, r); err != nil {
			t.Fatal(err)
		}
		if reports {
			// A slice whose combinations all failed (slow=x) has none.
			if ok, err := WriteBestReports(ctx, dir, r, d); err != nil || ok == (sh.K == 3) {
				t.Fatalf("best reports of slice %s: %v %v", sh, ok, err)
			}
		}
		return r
	}
	wholeDir := t.TempDir()
	whole := sweep(wholeDir, Shard{}, true)
	best, _ := whole.Best()
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	holder := ""
	for k, dir := range dirs {
		part := sweep(dir, Shard{K: k + 1, N: 3}, true)
		if b, _ := part.Best(); b.Combination == best.Combination {
			holder = dir
		}
	}
	merged, err := MergeSweeps(dirs)
	if err != nil {
		t.Fatal(err)
	}
	mergedDir := t.TempDir()
	if err := WriteSweep(mergedDir, merged); err != nil {
		t.Fatal(err)
	}
	from, err := CopyBestReports(mergedDir, merged)
	if err != nil || from != filepath.Join(holder, SweepBest) {
		t.Fatalf("reports copied from %q (%v), want the slice that ran combination %d: %s", from, err, best.Combination, holder)
	}
	sameFiles(t, filepath.Join(wholeDir, SweepBest), filepath.Join(mergedDir, SweepBest))
	a, _ := os.ReadFile(filepath.Join(wholeDir, SweepJSON))
	b, _ := os.ReadFile(filepath.Join(mergedDir, SweepJSON))
	if !bytes.Contains(a, []byte(`"best_reports"`)) || !bytes.Equal(a, b) {
		t.Errorf("merged sweep.json differs from the whole sweep's:\nwhole:\n%s\nmerged:\n%s", a, b)
	}
	// A merge again over the first keeps nothing of it.
	if _, err := CopyBestReports(mergedDir, merged); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, filepath.Join(wholeDir, SweepBest), filepath.Join(mergedDir, SweepBest))

	// The slice that ran the best without its reports (--report none):
	// the merge has none to copy.
	sweep(holder, Shard{K: slices.Index(dirs, holder) + 1, N: 3}, false)
	if err := os.RemoveAll(filepath.Join(holder, SweepBest)); err != nil {
		t.Fatal(err)
	}
	merged, err = MergeSweeps(dirs)
	if err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	if err := WriteSweep(again, merged); err != nil {
		t.Fatal(err)
	}
	if from, err := CopyBestReports(again, merged); from != "" || err != nil {
		t.Errorf("reports copied from %q (%v) of a slice run without them", from, err)
	}
	if _, err := os.Stat(filepath.Join(again, SweepBest)); !os.IsNotExist(err) {
		t.Errorf("a best/ without reports to copy: %v", err)
	}
}

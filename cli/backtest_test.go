package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/internal/testenv"
)

func TestBacktestCommandWritesReportsAndNoBarOffATerminal(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--data", "bundled", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// 11 minutes of data: the ratios are withheld with a warning.
	for _, want := range []string{"trades", "win rate", "max drawdown", "exposure", "exits: ", "warning: Sharpe and Sortino not shown"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout.String())
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr is not a terminal, yet got %q", stderr.String())
	}
	var s map[string]any
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s["trades"].(float64) < 1 {
		t.Errorf("summary: %v", s)
	}
	for _, f := range []string{"trades.csv", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestBacktestCommandSweep(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--data", "bundled", "--out", out, "--sweep", "btc-sma.params.fast=2,3;btc-sma.params.slow=10"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 3 {
		t.Errorf("sweep.csv has %d lines, want a header and 2 rows:\n%s", lines, b)
	}
	for _, f := range []string{"summary.json", "trades.csv", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, "best", f)); err != nil {
			t.Errorf("the best combination's report: %v", err)
		}
	}
}

// TestShardedSweepAsProcessesMergesIntoTheWholeSweep runs a sweep whole,
// then as three shards in three tradebot processes at once, as the
// Kubernetes Indexed Job of deploy/k8s does, and merges the slices with
// 'tradebot sweep merge': the merged sweep.csv, sweep.json and the best
// combination's reports in best/ are the whole sweep's, byte for byte.
func TestShardedSweepAsProcessesMergesIntoTheWholeSweep(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	sweep := []string{"backtest", "--data", "bundled", "--workers", "1", "--rank-by", "sharpe",
		"--sweep", "btc-sma.params.fast=2..4;btc-sma.params.slow=8,x,12"}
	whole := filepath.Join(dir, "whole")
	if out, err := exec.Command(bin, append(sweep, "--out", whole)...).CombinedOutput(); err != nil {
		t.Fatalf("whole sweep: %v\n%s", err, out)
	}
	const n = 3
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	// As in deploy/k8s: the same arguments in every pod, the slice from
	// the pod's JOB_COMPLETION_INDEX.
	shards := filepath.Join(dir, "shards")
	for k := 1; k <= n; k++ {
		slice := filepath.Join(shards, fmt.Sprintf("shard-%d", k-1))
		cmds[k-1] = exec.Command(bin, append(sweep, "--out", slice, "--shard", fmt.Sprintf("job/%d", n))...)
		cmds[k-1].Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", k-1))
		cmds[k-1].Stdout, cmds[k-1].Stderr = &outs[k-1], &outs[k-1]
		if err := cmds[k-1].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for k, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("shard %d/%d: %v\n%s", k+1, n, err, outs[k].String())
		}
	}
	merged := filepath.Join(dir, "merged")
	if out, err := exec.Command(bin, "sweep", "merge", "--out", merged, shards).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	for _, f := range []string{"sweep.csv", "sweep.json"} {
		a, err := os.ReadFile(filepath.Join(whole, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(merged, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("merged %s differs from the whole sweep's:\nwhole:\n%s\nmerged:\n%s", f, a, b)
		}
	}
	// The merge takes the best combination's reports from the slice that
	// ran it: they are the whole sweep's.
	reports, _ := os.ReadDir(filepath.Join(whole, "best"))
	if len(reports) == 0 {
		t.Error("the whole sweep wrote no best combination's reports")
	}
	for _, e := range reports {
		a, _ := os.ReadFile(filepath.Join(whole, "best", e.Name()))
		b, err := os.ReadFile(filepath.Join(merged, "best", e.Name()))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("the merge's best/%s differs from the whole sweep's (%v)", e.Name(), err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(whole, "sweep.csv"))
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("whole sweep.csv: %v", err)
	}
	failed := 0
	for _, r := range recs[1:] {
		if r[len(r)-1] != "" {
			failed++
		}
	}
	if err != nil || len(recs) != 10 || failed != 3 {
		t.Errorf("whole sweep.csv, want a header and 9 rows, 3 of them errors (%v):\n%s", err, b)
	}
}

func TestBacktestCommandRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
		code int // exitUsage when zero
	}{
		{"no data", []string{"backtest", "--out", "x"}, "needs --data and --out", 0},
		{"a second data file after --data is read", []string{"backtest", "--data", "bundled", "missing.csv", "--out", "x"}, "missing.csv", 1},
		{"bad time", []string{"backtest", "--data", "bundled", "--out", "x", "--from", "yesterday"}, `--from "yesterday"`, 0},
		{"bad path", []string{"backtest", "--data", "bundled", "--out", "x", "--candle-path", "random"}, "--candle-path", 0},
		{"bad sweep", []string{"backtest", "--data", "bundled", "--out", "x", "--sweep", "fast=1"}, "--sweep", 0},
		{"bad shard", []string{"backtest", "--data", "bundled", "--out", "x", "--sweep", "btc-sma.params.fast=2", "--shard", "3/2"}, "--shard", 0},
		{"shard without sweep", []string{"backtest", "--data", "bundled", "--out", "x", "--shard", "1/2"}, "go with --sweep", 0},
		{"bad walk-forward", []string{"backtest", "--data", "bundled", "--out", "x", "--sweep", "btc-sma.params.fast=2", "--walk-forward", "7d"}, "--walk-forward", 0},
		{"merge without slices", []string{"sweep", "merge", "--out", "x"}, "sweep merge needs", 0},
		{"job shard outside a job", []string{"backtest", "--data", "bundled", "--out", "x", "--sweep", "btc-sma.params.fast=2", "--shard", "job/4"}, "JOB_COMPLETION_INDEX", 0},
		{"download bad granularity", []string{"download", "--granularity", "TWO_MINUTE", "--from", "2024-01-01", "--out", "x"}, "TWO_MINUTE", 0},
		{"record without out", []string{"record"}, "needs --out", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			tc.args = append([]string(nil), tc.args...)
			for i, a := range tc.args {
				if a == "x" {
					tc.args[i] = filepath.Join(t.TempDir(), "out")
				}
			}
			want := tc.code
			if want == 0 {
				want = exitUsage
			}
			if code := run(tc.args, &stdout, &stderr); code != want {
				t.Errorf("exit %d, want %d; stderr %s", code, want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
}

func TestBacktestReportNoneWritesNothing(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"backtest", "--data", "bundled", "--report", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "win rate") || strings.Contains(stdout.String(), "reports in") {
		t.Errorf("--report none printed:\n%s", stdout.String())
	}
	if code := run([]string{"backtest", "--data", "bundled", "--report", "pretty", "--out", t.TempDir()}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), `--report "pretty": want none, summary or full`) {
		t.Errorf("--report pretty: exit %d, stderr %q", code, stderr.String())
	}
}

func TestBacktestCommandWalksForwardWithARandomDraw(t *testing.T) {
	month := testenv.SharedFile(t, "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--config", "../backtest/testdata/sma-exits.yaml", "--data", month, "--product", "BTC-USD",
		"--out", out, "--sweep", "btc-sma.params.fast=3..8;btc-sma.params.slow=20,40", "--random", "3", "--seed", "5",
		"--walk-forward", "14d/7d", "--rank-by", "sortino"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "walkforward.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	// Windows start on day 0, 7 and 14: out of sample from day 14, 21, 28.
	if err != nil || len(recs) != 4 || recs[0][len(recs[0])-7] != "in_sortino" {
		t.Fatalf("walkforward.csv (%v):\n%s", err, b)
	}
	if !strings.Contains(stdout.String(), "out of sample") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

// A combination whose config is invalid is a row of the table with its
// error on that one line, after the columns: the config's problems span
// lines, and as a cell of the table they widened every column past the
// screen and wrote the table's rows into each other.
func TestASweepRowInErrorKeepsTheTableReadable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--data", "bundled", "--out", t.TempDir(), "--report", "none", "--workers", "1",
		"--sweep", "btc-sma.params.fast=3,x"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	// Then the line that says why the bundled hours show no Sharpe ratio.
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "-: not shown") {
		t.Fatalf("want a title, a header, 2 rows and the ratios' note, got:\n%s", stdout.String())
	}
	header, good, bad := lines[1], lines[2], lines[3]
	if len(header) > 120 || len(good) != len(header) {
		t.Errorf("the columns are not the values' width:\n%s", stdout.String())
	}
	if !strings.HasPrefix(bad, "     2                    x  error: ") || !strings.Contains(bad, `strategies[0].params.fast: "x" is not a whole number`) {
		t.Errorf("the row in error is not the combination, then its error:\n%s", bad)
	}
}

// --out may be left out with --report none, but not from a sweep, whose
// table goes to sweep.csv: the message says which.
func TestASweepWithoutOutSaysItNeedsOut(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--data", "bundled", "--report", "none", "--sweep", "btc-sma.params.fast=3,5"}, &stdout, &stderr)
	if want := "tradebot: a sweep needs --out, the directory of its sweep.csv and sweep.json\n"; code != exitUsage || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, want)
	}
}

// Data files are named in words, not as a Go list ("[a.csv b.csv]").
func TestABacktestWithoutTicksNamesItsFiles(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--data", "bundled", "--data", "bundled", "--report", "none", "--from", "2030-01-01"}, &stdout, &stderr)
	if want := "tradebot: no ticks in bundled, bundled from 2030-01-01T00:00:00Z\n"; code != 1 || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
}

// A walk-forward ranked by PnL prints the PnL in and out of sample once:
// the metric's columns were the PnL's again, under the same titles.
func TestAWalkForwardByPnLPrintsThePnLOnce(t *testing.T) {
	month := testenv.SharedFile(t, "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv")
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--config", "../backtest/testdata/sma-exits.yaml", "--data", month, "--product", "BTC-USD",
		"--out", t.TempDir(), "--sweep", "btc-sma.params.fast=3,5", "--walk-forward", "14d/7d"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	header, _, _ := strings.Cut(stdout.String(), "\n")
	if strings.Count(header, "in pnl") != 1 || strings.Count(header, "out pnl") != 1 {
		t.Errorf("header %q: want in pnl and out pnl once each", header)
	}
}

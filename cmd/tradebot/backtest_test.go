package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBacktestCommandWritesReportsAndNoBarOffATerminal(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"backtest", "--data", "bundled", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"trades", "win rate", "max drawdown", "sharpe", "sortino", "exposure", "exits: "} {
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

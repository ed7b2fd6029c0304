package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/cli"
)

// TestMomentumTradesTheBundledRecording backtests momentum.yaml in this
// process, as `mystrategy backtest` would, and reads the summary.
func TestMomentumTradesTheBundledRecording(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"mystrategy", "backtest", "--config", "momentum.yaml", "--data", "bundled", "--out", out}
	if code := cli.Run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var summary struct {
		Trades int `json:"trades"`
	}
	if err := json.Unmarshal(b, &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Trades == 0 {
		t.Errorf("no trade:\n%s", stdout.String())
	}
}

// TestMomentumRefusesBadParams checks that Validate lists every mistake
// at once, as `mystrategy check` prints them, and that Build refuses
// what Validate refuses, as the catalog's types do.
func TestMomentumRefusesBadParams(t *testing.T) {
	p := &MomentumParams{Period: 0, Trend: 5, Threshold: -1}
	if errs := p.Validate(); len(errs) != 3 {
		t.Errorf("Validate of period 0, threshold -1, interval 0: %v, want three errors", errs)
	}
	if st, err := p.Build(); err == nil || !strings.HasPrefix(err.Error(), "period: ") {
		t.Errorf("Build of period 0 = %v, %v; want the error of period", st, err)
	}
}

// TestMomentumCheckNamesTheBadParam runs `mystrategy check` on
// momentum.yaml with one param wrong at a time: the config is refused,
// with the field as the config writes it, its line and the allowed range.
// A NaN threshold too: every comparison with NaN is false.
func TestMomentumCheckNamesTheBadParam(t *testing.T) {
	cfg, err := os.ReadFile("momentum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ from, to, want string }{
		{"threshold: 0.05", "threshold: .nan", "line 13: strategies[0].params.threshold: must be above 0, got NaN"},
		{"threshold: 0.05", "threshold: -0.5", "line 13: strategies[0].params.threshold: must be above 0, got -0.5"},
		{"trend: 12", "trend: 0", "line 13: strategies[0].params.trend: must be at least 1, got 0"},
		{"interval: 10s", "interval: 10ms", "line 13: strategies[0].params.interval: must be at least 1s, got 10ms"},
	}
	for _, tc := range tests {
		t.Run(tc.to, func(t *testing.T) {
			bad := strings.Replace(string(cfg), tc.from, tc.to, 1)
			if bad == string(cfg) {
				t.Fatalf("momentum.yaml no longer says %s", tc.from)
			}
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := cli.Run([]string{"mystrategy", "check", "--config", path}, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("mystrategy check with %s: exit %d, want an error saying %q:\n%s", tc.to, code, tc.want, out)
			}
		})
	}
}

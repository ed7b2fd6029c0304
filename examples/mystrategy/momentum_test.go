package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
// at once, as `mystrategy check` prints them.
func TestMomentumRefusesBadParams(t *testing.T) {
	p := &MomentumParams{Period: 0, Trend: 5, Threshold: -1}
	if errs := p.Validate(); len(errs) != 3 {
		t.Errorf("Validate of period 0, threshold -1, interval 0: %v, want three errors", errs)
	}
}

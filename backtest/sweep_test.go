package backtest

import (
	"bytes"
	"context"
	"strings"
	"testing"

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
	rows, err := Sweep(context.Background(), "config.example.yaml", tradebot.ExampleConfig, env, axes, d, 0)
	if err != nil {
		t.Fatal(err)
	}
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
	one, err := Sweep(context.Background(), "config.example.yaml", tradebot.ExampleConfig, env, single, d, 1)
	if err != nil {
		t.Fatal(err)
	}
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
	PrintSweep(&table, axes, rows)
	if !strings.Contains(table.String(), "btc-sma.params.fast") {
		t.Errorf("table lacks the axis:\n%s", table.String())
	}
}

func TestSweepRefusesAnUnknownStrategy(t *testing.T) {
	d := &Data{}
	_, err := Sweep(context.Background(), "x.yaml", tradebot.ExampleConfig, func(string) (string, bool) { return "", false },
		[]Axis{{Strategy: "nope", Path: []string{"params", "fast"}, Values: []string{"3"}}}, d, 1)
	if err == nil || !strings.Contains(err.Error(), `no strategy named "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

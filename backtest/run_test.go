package backtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

func runBundled(t *testing.T, dir string) Summary {
	t.Helper()
	d, err := Load([]string{Bundled}, LoadOptions{Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), exampleConfig(t), d, nil)
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
	_, err = Run(context.Background(), cfg, d, nil)
	if err == nil || !strings.Contains(err.Error(), "trades BTC-USD, but the data holds only [BTC-USDT]") {
		t.Fatalf("err = %v", err)
	}
}

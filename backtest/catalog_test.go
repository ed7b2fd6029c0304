package backtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/strategy"
)

// TestCatalogExamplesTrade backtests the example config of every
// catalog strategy (examples/strategies, the commands of
// docs/STRATEGIES.md) on the month of one-minute candles: each trades.
func TestCatalogExamplesTrade(t *testing.T) {
	path := testenv.SharedFile(t, monthFile)
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USDT", Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../examples/strategies/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, f := range files {
		cfg, err := config.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		covered[cfg.Strategies[0].Type] = true
		res, err := Run(context.Background(), cfg, d, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(res.RoundTrips) == 0 {
			t.Errorf("%s made no trade", f)
		}
	}
	for _, n := range strategy.Names() {
		if !covered[n] {
			t.Errorf("strategy type %s has no example in examples/strategies", n)
		}
	}
}

package backtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

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
		cfg := configFile(t, f)
		covered[cfg.Strategies[0].Type] = true
		res, err := Run(context.Background(), cfg, d, RunOptions{})
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

// TestDCABuysOnScheduleAddsSafetyBuysAndTakesProfit backtests
// examples/strategies/dca.yaml on the month: scheduled buys every 12
// hours, safety buys that fill on dips (a round trip holding more than
// one scheduled buy's size at several prices), and sales at the
// take-profit over the average entry.
func TestDCABuysOnScheduleAddsSafetyBuysAndTakesProfit(t *testing.T) {
	path := testenv.SharedFile(t, monthFile)
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USDT", Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	cfg := configFile(t, "../examples/strategies/dca.yaml")
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var tps, averaged int
	for _, rt := range res.RoundTrips {
		if rt.ExitReason == "take_profit" {
			tps++
			if !rt.ExitPrice.GreaterThan(rt.EntryPrice.Mul(decimal.RequireFromString("1.0149"))) {
				t.Errorf("take-profit at %s, not 1.5 %% over the average entry %s", rt.ExitPrice, rt.EntryPrice)
			}
		}
		// One scheduled buy is 100 USDT, under 0.003 BTC at these prices.
		if rt.Size.GreaterThan(decimal.RequireFromString("0.003")) {
			averaged++
		}
		if rt.EntryTime.Minute() != 0 || rt.EntryTime.Hour()%12 != 11 {
			t.Errorf("a cycle began at %s, not on the 12-hour schedule", rt.EntryTime)
		}
	}
	if tps < 10 || averaged == 0 {
		t.Fatalf("%d take-profits and %d round trips averaged down by safety buys, want 10 or more and some", tps, averaged)
	}
}

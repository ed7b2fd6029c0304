package backtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

// TestGridRoundTripsOnTheBundledYear backtests testdata/grid-2019.yaml on
// the daily candles of 2019 bundled in the repository (no ../shared: it
// runs everywhere CI does). The price enters the range in May and ranges
// through it until December: the grid buys lots at its levels and sells
// each one level (500) up, several times at the same level, always at a
// profit net of the maker fees; the stop at 6,000 is never reached.
func TestGridRoundTripsOnTheBundledYear(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(), "testdata", "gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv")
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USDT", Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	cfg := configFile(t, "testdata/grid-2019.yaml")
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lotAt9500 := 0
	for _, rt := range res.RoundTrips {
		if rt.ExitReason != "grid_sell" || rt.EntryReason != "grid_buy" || !rt.PnL.IsPositive() {
			t.Errorf("round trip %+v: want a grid_buy sold by a grid_sell at a profit", rt)
		}
		if rt.EntryPrice.Equal(decimal.NewFromInt(9500)) {
			lotAt9500++
			if !rt.ExitPrice.Equal(decimal.NewFromInt(10000)) {
				t.Errorf("the 9,500 lot sold at %s, want one level up, 10,000", rt.ExitPrice)
			}
		}
	}
	if len(res.RoundTrips) < 5 || lotAt9500 < 3 {
		t.Fatalf("%d round trips, %d of them the 9,500 lot; want 5 or more, the 9,500 level bought again after each sale",
			len(res.RoundTrips), lotAt9500)
	}
}

// TestGridStopSellsTheInventoryOnTheMonth backtests
// examples/strategies/grid.yaml (docs/STRATEGIES.md) on the month of
// one-minute candles: lots sold one level up while the price ranges
// between 40,000 and 44,000, then the fall of 21 January reaches the
// stop at 38,500, the inventory is sold and the grid trades no more.
func TestGridStopSellsTheInventoryOnTheMonth(t *testing.T) {
	path := testenv.SharedFile(t, monthFile)
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USDT", Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	cfg := configFile(t, "../examples/strategies/grid.yaml")
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	trips := res.RoundTrips
	if len(trips) < 3 {
		t.Fatalf("%d round trips, want grid sales and the stop", len(trips))
	}
	last := trips[len(trips)-1]
	if last.ExitReason != exits.ReasonStopLoss || last.ExitTime.Day() != 21 {
		t.Fatalf("last round trip %+v, want the inventory sold at the stop on 21 January", last)
	}
	for _, rt := range trips[:len(trips)-1] {
		if rt.ExitReason != "grid_sell" {
			t.Errorf("round trip %+v before the stop, want a grid_sell", rt)
		}
	}
	// Thousands of buys are refused by the price collar before the price
	// comes down to the range: their noted reasons must not crowd out
	// those of the buys that rest.
	for _, rt := range trips {
		if rt.EntryReason != "grid_buy" {
			t.Errorf("round trip %+v, want it opened by a grid_buy", rt)
		}
	}
	if len(res.OpenPositions) != 0 {
		t.Fatalf("open at the end: %v; the stopped grid should hold nothing", res.OpenPositions)
	}
}

package backtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/marketdata"
)

var updateSignalTrades = flag.Bool("update-signal-trades", false, "rewrite testdata/signal-strategies.trades")

// TestSignalStrategiesKeepTheirTrades replays the bundled recording
// through sma_cross and breakout and compares every round trip with the
// ones recorded before the strategies moved to the strategy API (on the
// Enter/Exit/Hold adapter and the bars package): the move changes no trade.
func TestSignalStrategiesKeepTheirTrades(t *testing.T) {
	raw, err := os.ReadFile("testdata/signal-strategies.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("signal-strategies.yaml", raw, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load([]string{Bundled}, LoadOptions{Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, rt := range res.RoundTrips {
		fmt.Fprintf(&b, "%s %s %s %s %s %s %s %s %q %q\n", rt.Strategy, rt.EntryTime.Format("15:04:05.000000000"),
			rt.ExitTime.Format("15:04:05.000000000"), rt.EntryPrice, rt.ExitPrice, rt.Size, rt.Fees, rt.PnL, rt.EntryReason, rt.ExitReason)
	}
	const golden = "testdata/signal-strategies.trades"
	if *updateSignalTrades {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Fatalf("round trips changed:\n got:\n%s\nwant:\n%s", b.String(), want)
	}
	for _, s := range []string{"sma ", "brk "} {
		if strings.Count("\n"+string(want), "\n"+s) < 2 {
			t.Fatalf("strategy %q made fewer than 2 trades: the comparison proves little", s)
		}
	}
}

package daemon

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// A base balance below the journal's positions (a manual sale, a fill the
// journal missed) is a phantom: seen by two checks in a row, it halts
// entries (rule reconciliation) and shows in reconcile_phantoms; a
// balance that covers the positions does neither. Issue 15, finding 6:
// the daemon kept such a position with a WARN.
func TestABalanceBelowTheJournalsPositionsHaltsEntries(t *testing.T) {
	for _, tc := range []struct {
		name, btc string
		phantom   bool
	}{
		{"short", "0.4", true},
		{"covered", "0.5", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := sim.New(sim.Config{Products: emulator.DefaultProducts(),
				Balances: map[string]decimal.Decimal{"USD": decimal.NewFromInt(1000), "BTC": decimal.RequireFromString(tc.btc)}},
				clock.Wall{})
			if err != nil {
				t.Fatal(err)
			}
			g, err := risk.NewGuard(risk.DefaultConfig(), clock.Wall{})
			if err != nil {
				t.Fatal(err)
			}
			g.SetPosition("a", "BTC-USD", decimal.RequireFromString("0.3"), decimal.NewFromInt(30))
			g.SetPosition("b", "BTC-USDT", decimal.RequireFromString("0.2"), decimal.NewFromInt(20))
			reg := prometheus.NewRegistry()
			m, err := metrics.New(reg, metrics.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cfg := config.Default()
			cfg.Strategies = []config.Strategy{{Name: "a", Product: "BTC-USD"}, {Name: "b", Product: "BTC-USDT"}}
			p := phantoms{guard: g, m: m, log: slog.New(slog.DiscardHandler)}
			for check := 1; check <= 2; check++ {
				n, err := p.balances(context.Background(), x, cfg)
				if err != nil {
					t.Fatal(err)
				}
				want := 0
				if tc.phantom && check == 2 {
					want = 1
				}
				if n != want {
					t.Errorf("check %d: %d phantoms with %s BTC for positions of 0.5, want %d", check, n, tc.btc, want)
				}
			}
			info := g.StateInfo()
			if halted := info.State == risk.Halted && info.Rule == risk.RuleReconciliation; halted != tc.phantom {
				t.Errorf("state %s by %q (%s), want halted by reconciliation %v", info.State, info.Rule, info.Reason, tc.phantom)
			}
			if tc.phantom && !strings.Contains(info.Reason, "BTC balance 0.4 is below the journal's positions 0.5") {
				t.Errorf("halt reason %q does not name the shortfall", info.Reason)
			}
		})
	}
}

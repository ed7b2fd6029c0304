package daemon

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// AccountInterval is how often balances, equity and the daily loss are
// published as metrics.
const AccountInterval = 2 * time.Second

// reportAccount publishes balances, equity (quote balances plus base
// balances at the last trade price) and the daily loss until ctx ends.
func reportAccount(ctx context.Context, venue exchange.Venue, g *risk.Guard, m *metrics.Metrics, cfg *config.Config, log *slog.Logger) {
	t := time.NewTicker(AccountInterval)
	defer t.Stop()
	var peak decimal.Decimal
	warned := false
	for {
		bals, err := venue.Balances(ctx)
		if err != nil && ctx.Err() == nil && !warned {
			log.Warn("balances unavailable for metrics", "error", err)
			warned = true
		}
		equity := decimal.Zero
		for _, b := range bals {
			m.SetBalance(b)
			equity = equity.Add(valueOf(b, g, cfg))
		}
		if equity.GreaterThan(peak) {
			peak = equity
		}
		if len(bals) > 0 {
			m.SetEquity(equity, peak)
		}
		loss := g.DailyPnL().Neg()
		if loss.IsNegative() {
			loss = decimal.Zero
		}
		m.SetDailyLoss(loss, cfg.Risk.Loss.DailyLoss.Limit)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dollars are the currencies counted at face value besides the products'
// quote currencies: the US dollar and the dollar stablecoins Coinbase
// trades against it one for one.
var dollars = []string{"USD", "USDC", "USDT"}

// valueOf values a balance for tradebot_equity, every balance at mark:
// the configured products' quote currencies and the dollars at face
// value, a base currency at the last trade price the guard has seen for
// a configured product of it. A currency with no such price (no product
// of it configured, or no trade seen yet) counts 0.
func valueOf(b exchange.Balance, g *risk.Guard, cfg *config.Config) decimal.Decimal {
	if slices.Contains(dollars, b.Currency) {
		return b.Total()
	}
	for _, s := range cfg.Strategies {
		base, quote, _ := strings.Cut(s.Product, "-")
		switch b.Currency {
		case quote:
			return b.Total()
		case base:
			if p := g.LastPrice(s.Product); p.IsPositive() {
				return b.Total().Mul(p)
			}
		}
	}
	return decimal.Zero
}

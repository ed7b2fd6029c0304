// Package metricstest helps tests that check what tradebot exposes (the
// metric names the dashboard and alerts use, promtool's lint) get a
// registry in which every metric has at least one series.
package metricstest

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/metrics"
)

// Start is the simulated time Populate's metrics clock starts at.
var Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Populate makes a Metrics on reg with one declared instance
// (sma_cross, BTC-USD) and records a value in every metric, the way a
// daemon that has traded a little would. It returns the Metrics and the
// simulated clock its tick ages read.
func Populate(reg prometheus.Registerer) (*metrics.Metrics, *clock.Sim, error) {
	clk := clock.NewSim(Start)
	m, err := metrics.New(reg, metrics.Options{
		Clock:      clk,
		Version:    "test",
		Revision:   "0000000",
		Instances:  []metrics.InstanceID{{Strategy: "sma_cross", Product: "BTC-USD"}},
		Currencies: []string{"USD", "BTC"},
		Feeds:      []string{"ticker", "user"},
		RiskRules:  []string{"max_position"},
	})
	if err != nil {
		return nil, nil, err
	}
	d := decimal.RequireFromString
	m.TickReceived(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: Start.Add(-20 * time.Millisecond), Received: Start, Price: d("50000")})
	clk.Set(Start.Add(3 * time.Second))
	m.TickToOrder(42 * time.Microsecond)
	m.RiskDecision("max_position", "allow")
	m.OrderSubmitted("sma_cross", "BTC-USD", exchange.Buy, exchange.Market)
	m.OrderEnded("sma_cross", "BTC-USD", exchange.Buy, exchange.Market, "FILLED")
	m.Fill("sma_cross", exchange.Fill{ProductID: "BTC-USD", Side: exchange.Buy, Price: d("50000"), Size: d("0.01"), Fee: d("3"), Liquidity: exchange.Taker})
	m.OrderRejected(exchange.ReasonInsufficientFund)
	m.SetPosition(metrics.Position{
		Strategy: "sma_cross", Product: "BTC-USD",
		Size: d("0.01"), AvgEntry: d("50000"), Mark: d("50500"), Unrealized: d("5"),
		Realized: d("-3"), Fees: d("3"), Stop: d("49000"), Protected: true,
	})
	m.Exit("sma_cross", "BTC-USD", metrics.ExitTakeProfit)
	m.Conflated("sma_cross", 2)
	m.TradingState(metrics.StateActive)
	m.SetKillSwitch(false)
	m.SetDailyLoss(d("12.5"), d("100"))
	m.SetEquity(d("10005"), d("10010"))
	m.SetBalance(exchange.Balance{Currency: "USD", Available: d("9500"), Hold: d("0")})
	m.FeedReconnected("ticker")
	m.FeedSequenceGap("ticker")
	m.FeedMalformed("ticker")
	m.ObserveREST("create_order", 200, 35*time.Millisecond, nil)
	m.ObserveREST("create_order", 0, 10*time.Second, errors.New("connection reset"))
	m.RESTRetry("create_order", "transport")
	m.RateLimitWait(15 * time.Millisecond)
	return m, clk, nil
}

package metrics

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// The methods below take the strategy and product by name and look the
// Instance up (a map load); their names and arguments follow the engine's
// Observer interface. Hot loops may keep the Instance instead.

// SetPosition records p on its instance (see Instance.SetPosition).
func (m *Metrics) SetPosition(p Position) {
	m.Instance(p.Strategy, p.Product).SetPosition(p)
}

// OrderSubmitted counts an order handed to the venue (see
// Instance.OrderSubmitted).
func (m *Metrics) OrderSubmitted(strategy, product string, side exchange.Side, typ exchange.OrderType) {
	m.Instance(strategy, product).OrderSubmitted(side, typ)
}

// OrderEnded counts a submitted order reaching a terminal status (see
// Instance.OrderEnded).
func (m *Metrics) OrderEnded(strategy, product string, side exchange.Side, typ exchange.OrderType, status string) {
	m.Instance(strategy, product).OrderEnded(side, typ, status)
}

// OrderRejected counts an order refused with reason, a Coinbase failure
// reason such as INSUFFICIENT_FUND. Malformed reasons, and new ones past
// the 64th distinct, are counted as Other.
func (m *Metrics) OrderRejected(reason string) {
	m.rejections.WithLabelValues(m.reasons.admit(reason)).Inc()
}

// Fill counts f for strategy (see Instance.RecordFill). Its fee is taken to
// be in quote currency, as on Coinbase spot.
func (m *Metrics) Fill(strategy string, f exchange.Fill) {
	m.Instance(strategy, f.ProductID).RecordFill(f.Side, f.Liquidity, f.Fee)
}

// Exit counts a position of strategy in product closed for reason (see
// Instance.Exit).
func (m *Metrics) Exit(strategy, product, reason string) {
	m.Instance(strategy, product).Exit(reason)
}

// RiskDecision counts a risk guard decision by rule and verdict.
func (m *Metrics) RiskDecision(rule, verdict string) {
	m.riskDecisions.WithLabelValues(m.rules.admit(rule), m.verdicts.admit(verdict)).Inc()
}

// TradingState sets the current trading state: ACTIVE, REDUCING or HALTED
// (any case). Another value sets all three to 0, which the
// TradingStateNotActive alert reports.
func (m *Metrics) TradingState(state string) {
	state = strings.ToUpper(state)
	for _, s := range states {
		v := 0.0
		if s == state {
			v = 1
		}
		m.tradingState.WithLabelValues(s).Set(v)
	}
}

// SetKillSwitch records whether the kill switch is engaged.
func (m *Metrics) SetKillSwitch(engaged bool) {
	if engaged {
		m.killSwitch.Set(1)
	} else {
		m.killSwitch.Set(0)
	}
}

// SetDailyLoss records today's loss (positive is a loss) and the limit at
// which the guard halts, both in quote currency.
func (m *Metrics) SetDailyLoss(loss, limit decimal.Decimal) {
	m.dailyLoss.Set(loss.InexactFloat64())
	m.dailyLossLimit.Set(limit.InexactFloat64())
}

// SetEquity records the account's equity and its peak in quote currency.
func (m *Metrics) SetEquity(equity, peak decimal.Decimal) {
	m.equity.Set(equity.InexactFloat64())
	m.equityPeak.Set(peak.InexactFloat64())
}

// SetBalance records one currency's funds: tradebot_balance is available
// plus held, tradebot_balance_hold the held part.
func (m *Metrics) SetBalance(b exchange.Balance) {
	c := m.currencies.admit(b.Currency)
	m.balance.WithLabelValues(c).Set(b.Total().InexactFloat64())
	m.balanceHold.WithLabelValues(c).Set(b.Hold.InexactFloat64())
}

// ObserveREST records a REST request to endpoint (a name such as
// create_order, never a path with an id) that took d and ended with HTTP
// status, or with err and no status. Statuses of 400 and above and
// failures without a status also count in tradebot_rest_errors_total.
func (m *Metrics) ObserveREST(endpoint string, status int, d time.Duration, err error) {
	code := m.codes.admit(RESTCode(status, err))
	ep := m.endpoints.admit(endpoint)
	m.restDuration.WithLabelValues(ep, code).Observe(d.Seconds())
	if status >= 400 || status <= 0 {
		m.restErrors.WithLabelValues(ep, code).Inc()
	}
}

// RESTRetry counts a request to endpoint that the client retries, and
// why (429, 5xx, transport).
func (m *Metrics) RESTRetry(endpoint, reason string) {
	m.restRetries.WithLabelValues(m.endpoints.admit(endpoint), m.reasons.admit(reason)).Inc()
}

// RESTCode returns the code label for a request's outcome: the HTTP status
// as a number, or timeout, canceled or network when there was none.
func RESTCode(status int, err error) string {
	if status > 0 {
		return strconv.Itoa(status)
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "network"
}

// RateLimitWait adds time a request waited for the client-side rate
// limiter.
func (m *Metrics) RateLimitWait(d time.Duration) {
	if d > 0 {
		m.rateLimitWait.Add(d.Seconds())
	}
}

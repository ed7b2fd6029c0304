package engine

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/position"
)

// Observer receives what the engine does, for metrics and notifications.
// The daemon passes the Prometheus implementation; backtests pass
// NopObserver so that the hot path costs nothing it does not need.
// Implementations must be safe for concurrent use and must not block.
type Observer interface {
	TickReceived(t exchange.Tick)
	TickToOrder(d time.Duration)
	RiskDecision(rule, verdict string)
	OrderSubmitted(strategy, product string, side exchange.Side, typ exchange.OrderType)
	OrderEnded(strategy, product string, side exchange.Side, typ exchange.OrderType, status string)
	OrderRejected(reason string)
	Fill(strategy string, f exchange.Fill)
	// Exit reports a closed round trip: its exit rule, prices, size and
	// PnL.
	Exit(rt position.RoundTrip)
	Position(p PositionReport)
	TradingState(state string)
	Conflated(strategy string, n uint64)
	// LoopTurned reports that the instance's goroutine took an event at
	// at (wall clock): at its start, then about once a second while it
	// turns (Instance.LastTurn).
	LoopTurned(strategy, product string, at time.Time)
}

// PositionReport is an instance's position and protection after a change
// or a tick, as the metrics show it.
type PositionReport struct {
	Strategy, Product string
	Size              decimal.Decimal
	AvgEntry          decimal.Decimal
	Mark              decimal.Decimal
	Unrealized        decimal.Decimal
	Realized          decimal.Decimal
	Fees              decimal.Decimal
	Stop              decimal.Decimal
	// Protected is true when a flat position or a position with a resting
	// or watched stop; false means naked, which must never last.
	Protected bool
}

// NopObserver ignores everything.
type NopObserver struct{}

func (NopObserver) TickReceived(exchange.Tick)                                           {}
func (NopObserver) TickToOrder(time.Duration)                                            {}
func (NopObserver) RiskDecision(string, string)                                          {}
func (NopObserver) OrderSubmitted(string, string, exchange.Side, exchange.OrderType)     {}
func (NopObserver) OrderEnded(string, string, exchange.Side, exchange.OrderType, string) {}
func (NopObserver) OrderRejected(string)                                                 {}
func (NopObserver) Fill(string, exchange.Fill)                                           {}
func (NopObserver) Exit(position.RoundTrip)                                              {}
func (NopObserver) Position(PositionReport)                                              {}
func (NopObserver) TradingState(string)                                                  {}
func (NopObserver) Conflated(string, uint64)                                             {}
func (NopObserver) LoopTurned(string, string, time.Time)                                 {}

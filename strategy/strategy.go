// Package strategy defines what a trading strategy is to tradebot, keeps
// the registry of built-in strategies by name, and holds the built-ins.
//
// A strategy only decides when to enter and when to leave; how much to
// buy comes from the instance's config, every order passes the risk guard,
// and protection (stop-loss, take-profit, trailing...) is the exits
// package's job. A strategy instance is owned by one goroutine and reads
// time only from the ticks it is given, so the same code is deterministic
// in a backtest.
package strategy

import (
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Signal is what a strategy asks for after a tick.
type Signal uint8

// Signals. Spot trading is long only: Enter buys, Exit sells what is held.
const (
	Hold Signal = iota
	Enter
	Exit
)

// String returns the signal's name.
func (s Signal) String() string {
	switch s {
	case Enter:
		return "enter"
	case Exit:
		return "exit"
	}
	return "hold"
}

// Decision is a signal with the reason a human reads in the log and the
// trade record, such as "sma 5 crossed above sma 20".
type Decision struct {
	Signal Signal
	Reason string
}

// PositionView is what a strategy may know of its own position.
type PositionView struct {
	Size     decimal.Decimal
	AvgEntry decimal.Decimal
	// Pending is true while an entry or exit order is working, so that a
	// strategy does not ask twice for the same thing.
	Pending bool
}

// Open reports whether the instance holds a position.
func (p PositionView) Open() bool { return p.Size.IsPositive() }

// Strategy turns market ticks into decisions. OnTick is called for every
// tick of the instance's product that reaches it, in time order; ticks may
// be conflated when the strategy is slower than the feed, so a strategy
// must not assume it sees every trade.
type Strategy interface {
	OnTick(t exchange.Tick, pos PositionView) Decision
}

// PointerTicker is implemented by strategies that also take the tick by
// pointer; the engine then calls OnTickPtr instead of OnTick. A Tick is
// some 180 bytes, copied at every call by value, on a path a backtest
// takes hundreds of thousands of times a second. OnTickPtr must decide
// exactly as OnTick and only read *t.
type PointerTicker interface {
	OnTickPtr(t *exchange.Tick, pos PositionView) Decision
}

// Stateful is implemented by strategies whose state must survive a
// restart (indicator windows, for example). The journal stores what
// MarshalState returns and gives it back to UnmarshalState at start.
type Stateful interface {
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

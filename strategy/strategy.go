// Package strategy is tradebot's strategy API: what a trading strategy
// is to the engine, the registry of strategy types by name, and the
// built-in strategies.
//
// A strategy is a small value with optional parts, found by type
// assertion the way net/http finds optional interfaces:
//
//   - Setup (the Needs method) declares what it needs: bars of any
//     interval of one or several products, trades, best bid/ask, timers,
//     and the lookback of its bars, which sizes the warm-up served from
//     history before the strategy may trade;
//   - callbacks: BarHandler, TradeHandler, QuoteHandler, OrderHandler
//     (fills, partial fills, refusals with the guard's reason,
//     cancellations) and TimerHandler;
//   - every callback gets a Context: the position, free balances, open
//     orders, the clock, a logger, and orders (market or limit, post-only,
//     cancel; sized in base, quote or a fraction of equity), each answered
//     with its client order id.
//
// Every order still goes strategy, risk guard, executor, venue, and the
// instance's `exits` protect what an entry bought. A strategy instance is
// owned by one goroutine and reads time only from its Context, so the
// same code is deterministic in a backtest.
//
// A strategy that only says Enter, Exit or Hold on each tick (a
// Signaler, as sma_cross and breakout are) keeps working: the engine runs
// it through an adapter that buys the instance's configured size at
// market on Enter and closes the position on Exit.
package strategy

import (
	"time"
)

// Strategy is one strategy instance. It is any value implementing at
// least one of the callbacks (BarHandler, TradeHandler, QuoteHandler,
// OrderHandler, TimerHandler) or Signaler; Setup and Stateful are
// optional. The engine refuses a value that implements none.
type Strategy interface{}

// Setup is implemented by a strategy that declares what it needs before
// it starts. Without it, a strategy gets the trades and quotes of its
// instance's product.
type Setup interface {
	// Needs declares the strategy's subscriptions on n. It is called once,
	// before any callback.
	Needs(n *Needs)
}

// BarHandler receives every closed bar of the strategy's bar
// subscriptions, in time order (bars of several subscriptions that close
// at the same time come in the order they were declared).
type BarHandler interface {
	OnBar(ctx Context, b *Bar)
}

// TradeHandler receives the trades of the products it subscribed to. The
// tick is only valid during the call.
type TradeHandler interface {
	OnTrade(ctx Context, t *Tick)
}

// QuoteHandler receives best bid/ask changes of the products it
// subscribed to. The tick is only valid during the call.
type QuoteHandler interface {
	OnQuote(ctx Context, t *Tick)
}

// OrderHandler receives the events of the strategy's own orders: fills
// (whole or partial), refusals (by the risk guard or the venue, with the
// reason) and cancellations or expiries. Exits' orders (stops,
// take-profits) are the exits' own and are not reported here; their
// effect shows in Context.Position.
type OrderHandler interface {
	OnOrder(ctx Context, e OrderEvent)
}

// TimerHandler receives the timers declared with Needs.Every, at the
// first tick or idle check at or after each due time (market time in a
// backtest).
type TimerHandler interface {
	OnTimer(ctx Context, now time.Time)
}

// Stateful is implemented by strategies whose state must survive a
// restart (indicator windows, for example). The journal stores what
// MarshalState returns and gives it back to UnmarshalState at start.
type Stateful interface {
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

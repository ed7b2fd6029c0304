package strategy

import (
	"time"
)

// EntryRetryDelay is how long, in market time, a Signaler's adapter
// waits after a refused entry before it asks for another: the condition
// that refused it (a cooldown, a limit) rarely clears within a second.
const EntryRetryDelay = 10 * time.Second

// Signal is what a Signaler asks for after a tick.
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

// Signaler is the simplest strategy: it sees every tick (trades and
// quotes) of its instance's product, in time order, and answers Enter,
// Exit or Hold. Ticks may be conflated when the strategy is slower than
// the feed, so it must not assume it sees every trade. The tick is only
// valid during the call.
//
// The engine runs a Signaler through Signals: Enter buys the instance's
// configured size at market, Exit closes the position.
type Signaler interface {
	OnTick(t *Tick, pos PositionView) Decision
}

// WarmUpper is implemented by a Signaler that needs history before it
// decides: the warm-up feeds it ticks made from the bars' candles (open,
// low, high, close) with Warm false, and discards its decisions.
type WarmUpper interface {
	// WarmUp declares the bars it builds, as Setup.Needs would.
	WarmUp(n *Needs)
}

// ExitSignaler is implemented by a Signaler whose parameters decide
// whether it ever answers Exit (an sma_cross without exit_on_cross leaves
// exits to the exits block). A Signaler without it is taken to answer
// Exit at times.
type ExitSignaler interface {
	// SignalsExit reports whether OnTick may answer Exit.
	SignalsExit() bool
}

// signalReason is the reason Signals closes a position under when its
// Signaler answers Exit.
const signalReason = "signal"

// Signals adapts a Signaler to the strategy API: on every trade and quote
// of the instance's product it asks the Signaler, then buys the
// configured size at market on Enter (unless a position or an entry is
// already there) and closes the position on Exit.
type Signals struct {
	S Signaler
	// retryAt is the market time before which no entry is asked for
	// after one was refused.
	retryAt time.Time
}

// NewSignals returns the adapter of s.
func NewSignals(s Signaler) *Signals { return &Signals{S: s} }

// Needs implements Setup: the instance's trades and quotes, what the
// Signaler declares for its warm-up, and signalReason unless the
// Signaler never answers Exit.
func (a *Signals) Needs(n *Needs) {
	n.Trades("")
	n.Quotes("")
	if e, ok := a.S.(ExitSignaler); !ok || e.SignalsExit() {
		n.Closes(signalReason)
	}
	if w, ok := a.S.(WarmUpper); ok {
		w.WarmUp(n)
	}
}

// OnTrade implements TradeHandler.
func (a *Signals) OnTrade(ctx Context, t *Tick) { a.onTick(ctx, t) }

// OnQuote implements QuoteHandler.
func (a *Signals) OnQuote(ctx Context, t *Tick) { a.onTick(ctx, t) }

func (a *Signals) onTick(ctx Context, t *Tick) {
	// Most ticks answer Hold, which needs neither Warm nor the view
	// again; on the others the position is asked again, and is the same:
	// a Signaler cannot trade in OnTick.
	d := a.S.OnTick(t, ctx.Position())
	if d.Signal == Hold || !ctx.Warm() {
		return
	}
	pos := ctx.Position()
	switch d.Signal {
	case Enter:
		if pos.Pending || t.Time.Before(a.retryAt) {
			return
		}
		if _, err := ctx.Buy(Order{Type: Market, Reason: d.Reason}); err != nil {
			a.retryAt = t.Time.Add(EntryRetryDelay)
		}
	case Exit:
		if pos.Open() {
			ctx.Log().Info("strategy exit signal", "reason", d.Reason)
			_ = ctx.Close(signalReason)
		}
	}
}

// MarshalState implements Stateful when the Signaler does.
func (a *Signals) MarshalState() ([]byte, error) {
	if s, ok := a.S.(Stateful); ok {
		return s.MarshalState()
	}
	return nil, nil
}

// UnmarshalState implements Stateful when the Signaler does.
func (a *Signals) UnmarshalState(b []byte) error {
	if s, ok := a.S.(Stateful); ok {
		return s.UnmarshalState(b)
	}
	return nil
}

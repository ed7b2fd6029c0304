// Package notify sends what a human watching tradebot wants to hear about
// (fills, exits, the kill switch, trading-state changes, errors) to a
// webhook (the event as JSON, or a Telegram, Slack or Discord message),
// without ever slowing or blocking the trading path: the
// caller enqueues and returns, one goroutine delivers with timeouts and
// retries, and a full queue drops (and counts) rather than waits.
package notify

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/position"
)

// Kind names an event type; the config's notify.events lists the kinds to
// send.
type Kind string

// Event kinds.
const (
	KindFill         Kind = "fill"
	KindExit         Kind = "exit"
	KindKillSwitch   Kind = "kill_switch"
	KindTradingState Kind = "trading_state"
	KindError        Kind = "error"
)

// Kinds lists every kind, for validating configuration.
var Kinds = []Kind{KindFill, KindExit, KindKillSwitch, KindTradingState, KindError}

// ParseKind returns the kind named s, or an error naming s and the kinds
// there are.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("notify event %q: want one of %v", s, Kinds)
}

// Event is one notification. Its JSON form is the generic webhook's body;
// money fields are decimal strings, exactly as traded. Text is a one-line
// human summary, the whole message of the chat formats (Telegram, Slack,
// Discord).
//
// Time is when the daemon noticed the event, on the wall clock, in UTC:
// Webhook.Notify sets it, so that every event of every kind has the same
// time base whatever its constructor was given. MarketTime is the venue's
// (or, in a paper replay, the recording's) time of a fill or an exit,
// when that differs.
type Event struct {
	Kind       Kind       `json:"kind"`
	Time       time.Time  `json:"time"`
	MarketTime *time.Time `json:"market_time,omitempty"`
	Text       string     `json:"text"`
	Strategy   string     `json:"strategy,omitempty"`
	Product    string     `json:"product,omitempty"`
	Side       string     `json:"side,omitempty"`
	// Price, Size and Fee are a fill's. For an exit, Price is the exit
	// price (volume-weighted over the trip's sells), EntryPrice the
	// entry's, Size what was bought and sold, Fee every fee of the trip
	// and PnL the result net of those fees, in the quote currency.
	Price      *decimal.Decimal `json:"price,omitempty"`
	EntryPrice *decimal.Decimal `json:"entry_price,omitempty"`
	Size       *decimal.Decimal `json:"size,omitempty"`
	Fee        *decimal.Decimal `json:"fee,omitempty"`
	PnL        *decimal.Decimal `json:"pnl,omitempty"`
	// Liquidity is MAKER or TAKER for fills.
	Liquidity string `json:"liquidity,omitempty"`
	// Reason is an exit's rule, a state change's rule, or who engaged the
	// kill switch.
	Reason string `json:"reason,omitempty"`
	// State is the new trading state, or engaged / disengaged.
	State string `json:"state,omitempty"`
	// Order is the client order id of a fill, for finding it in the logs.
	Order string `json:"client_order_id,omitempty"`
}

// FillEvent describes a fill of strategy.
func FillEvent(strategy string, f exchange.Fill) Event {
	price, size, fee, at := f.Price, f.Size, f.Fee, f.Time.UTC()
	return Event{
		Kind: KindFill, MarketTime: &at, Strategy: strategy, Product: f.ProductID, Side: string(f.Side),
		Price: &price, Size: &size, Fee: &fee, Liquidity: string(f.Liquidity), Order: f.ClientOrderID,
		Text: fmt.Sprintf("%s: %s %s %s at %s (fee %s)", strategy, f.Side, f.Size, f.ProductID, f.Price, f.Fee),
	}
}

// ExitEvent describes a closed round trip: the position's exit price,
// entry price, size, fees and net PnL, and the exit rule that closed it.
func ExitEvent(rt position.RoundTrip) Event {
	exit, entry, size, fees, pnl, at := rt.ExitPrice, rt.EntryPrice, rt.Size, rt.Fees, rt.PnL, rt.ExitTime.UTC()
	return Event{
		Kind: KindExit, MarketTime: &at, Strategy: rt.Strategy, Product: rt.ProductID, Side: string(exchange.Sell),
		Price: &exit, EntryPrice: &entry, Size: &size, Fee: &fees, PnL: &pnl, Reason: rt.ExitReason,
		Text: fmt.Sprintf("%s: %s closed by %s: sold %s at %s (entry %s), PnL %s after fees %s",
			rt.Strategy, rt.ProductID, rt.ExitReason, rt.Size, rt.ExitPrice, rt.EntryPrice, rt.PnL.StringFixed(2), rt.Fees.StringFixed(2)),
	}
}

// KillSwitchEvent describes the kill switch engaged or released, and by
// what (http, file, signal) and why.
func KillSwitchEvent(engaged bool, reason string) Event {
	state := "disengaged"
	if engaged {
		state = "engaged"
	}
	return Event{Kind: KindKillSwitch, State: state, Reason: reason,
		Text: fmt.Sprintf("kill switch %s: %s", state, reason)}
}

// TradingStateEvent describes a change of the trading state because of
// rule, for reason.
func TradingStateEvent(from, to, rule, reason string) Event {
	text := fmt.Sprintf("trading state %s -> %s (%s)", from, to, rule)
	if reason != "" {
		text += ": " + reason
	}
	return Event{Kind: KindTradingState, State: to, Reason: rule, Text: text}
}

// ErrorEvent describes an error worth a human's attention. The caller must
// make sure message carries no secret (docs/INVARIANTS.md invariant 7).
func ErrorEvent(message string) Event {
	return Event{Kind: KindError, Text: message}
}

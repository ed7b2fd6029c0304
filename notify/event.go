// Package notify sends what a human watching tradebot wants to hear about
// (fills, exits, the kill switch, trading-state changes, errors) to a
// webhook as JSON, without ever slowing or blocking the trading path: the
// caller enqueues and returns, one goroutine delivers with timeouts and
// retries, and a full queue drops (and counts) rather than waits.
package notify

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
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

// Event is one notification. Its JSON form is the webhook's body; money
// fields are decimal strings, exactly as traded. Text is a one-line human
// summary, so that chat webhooks (Slack, Mattermost) show something
// readable without a template.
type Event struct {
	Kind     Kind      `json:"kind"`
	Time     time.Time `json:"time"`
	Text     string    `json:"text"`
	Strategy string    `json:"strategy,omitempty"`
	Product  string    `json:"product,omitempty"`
	Side     string    `json:"side,omitempty"`
	// Price, Size and Fee are set for fills; Price for exits when known.
	Price *decimal.Decimal `json:"price,omitempty"`
	Size  *decimal.Decimal `json:"size,omitempty"`
	Fee   *decimal.Decimal `json:"fee,omitempty"`
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
	price, size, fee := f.Price, f.Size, f.Fee
	return Event{
		Kind: KindFill, Time: f.Time, Strategy: strategy, Product: f.ProductID, Side: string(f.Side),
		Price: &price, Size: &size, Fee: &fee, Liquidity: string(f.Liquidity), Order: f.ClientOrderID,
		Text: fmt.Sprintf("%s: %s %s %s at %s (fee %s)", strategy, f.Side, f.Size, f.ProductID, f.Price, f.Fee),
	}
}

// ExitEvent describes strategy's position in product closed for reason.
func ExitEvent(at time.Time, strategy, product, reason string) Event {
	return Event{
		Kind: KindExit, Time: at, Strategy: strategy, Product: product, Reason: reason,
		Text: fmt.Sprintf("%s: exit %s on %s", strategy, product, reason),
	}
}

// KillSwitchEvent describes the kill switch engaged or released, and by
// what (http, file, signal, a risk rule).
func KillSwitchEvent(at time.Time, engaged bool, by string) Event {
	state := "disengaged"
	if engaged {
		state = "engaged"
	}
	return Event{Kind: KindKillSwitch, Time: at, State: state, Reason: by,
		Text: fmt.Sprintf("kill switch %s by %s", state, by)}
}

// TradingStateEvent describes a change of the trading state because of
// rule.
func TradingStateEvent(at time.Time, from, to, rule string) Event {
	return Event{Kind: KindTradingState, Time: at, State: to, Reason: rule,
		Text: fmt.Sprintf("trading state %s -> %s (%s)", from, to, rule)}
}

// ErrorEvent describes an error worth a human's attention. The caller must
// make sure message carries no secret (docs/INVARIANTS.md invariant 7).
func ErrorEvent(at time.Time, message string) Event {
	return Event{Kind: KindError, Time: at, Text: message}
}

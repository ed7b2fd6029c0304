package metrics

import (
	"strings"
	"sync"

	"github.com/tradebot/tradebot/exchange"
)

// Label values outside a closed set are folded into one of these, so that a
// bug or an unexpected venue value can never grow the number of series.
const (
	// Other replaces a free-form label value (a reason, a rule, an endpoint)
	// that is malformed or arrives after the set of such values is full.
	Other = "other"
	// Unknown replaces a side, order type, status or liquidity that is not
	// one of the values this package knows.
	Unknown = "unknown"
)

// Order statuses as the tradebot_orders_total status label spells them.
const (
	StatusSubmitted = "submitted"
	StatusFilled    = "filled"
	StatusCancelled = "cancelled"
	StatusRejected  = "rejected"
	StatusFailed    = "failed"
	StatusExpired   = "expired"
)

// Exit reasons as the tradebot_exits_total reason label spells them.
const (
	ExitStopLoss     = "stop_loss"
	ExitTakeProfit   = "take_profit"
	ExitTrailingStop = "trailing_stop"
	ExitBreakEven    = "break_even"
	ExitTimeStop     = "time_stop"
	ExitFallback     = "fallback"
	ExitSignal       = "signal"
	ExitKillSwitch   = "kill_switch"
	// ExitUnknown is a round trip whose exit a restarted daemon learnt of
	// from the exchange, sent by a run whose journal did not keep why
	// (one from before the journal's schema version 4).
	ExitUnknown = "unknown"
	// ExitStrategy is a round trip the strategy ended itself under a
	// reason of its own: a grid's lot sold by its limit sell
	// (Context.Sell), or Context.Close with a reason that names no exit
	// rule. The strategy's own reason stays in the journal and the
	// notifications; as a label it would be a free-form value.
	ExitStrategy = "strategy"
)

// Trading states as the tradebot_trading_state state label spells them.
const (
	StateActive   = "ACTIVE"
	StateReducing = "REDUCING"
	StateHalted   = "HALTED"
)

var (
	sides       = []string{"buy", "sell"}
	orderTypes  = []string{"market", "limit", "stop_limit", "bracket"}
	statuses    = []string{StatusSubmitted, StatusFilled, StatusCancelled, StatusRejected, StatusFailed, StatusExpired}
	liquidities = []string{"maker", "taker"}
	exitReasons = []string{ExitStopLoss, ExitTakeProfit, ExitTrailingStop, ExitBreakEven, ExitTimeStop, ExitFallback, ExitSignal, ExitKillSwitch, ExitUnknown, ExitStrategy}
	states      = []string{StateActive, StateReducing, StateHalted}
)

// sideIndex maps an exchange side to its slot in sides, or -1.
func sideIndex(s exchange.Side) int {
	switch s {
	case exchange.Buy, "buy":
		return 0
	case exchange.Sell, "sell":
		return 1
	}
	return -1
}

// typeIndex maps an order type to its slot in orderTypes, or -1.
func typeIndex(t exchange.OrderType) int {
	switch t {
	case exchange.Market, "market":
		return 0
	case exchange.Limit, "limit":
		return 1
	case exchange.StopLimit, "stop_limit":
		return 2
	case exchange.Bracket, "bracket":
		return 3
	}
	return -1
}

// statusIndex maps a status, in the label's spelling or Coinbase's
// (CANCELLED, FILLED, ...), to its slot in statuses, or -1.
func statusIndex(s string) int {
	switch strings.ToLower(s) {
	case StatusSubmitted:
		return 0
	case StatusFilled:
		return 1
	case StatusCancelled, "canceled":
		return 2
	case StatusRejected:
		return 3
	case StatusFailed:
		return 4
	case StatusExpired:
		return 5
	}
	return -1
}

// liquidityIndex maps a fill's liquidity indicator to its slot in
// liquidities, or -1.
func liquidityIndex(l exchange.Liquidity) int {
	switch l {
	case exchange.Maker, "maker":
		return 0
	case exchange.Taker, "taker":
		return 1
	}
	return -1
}

// exitIndex maps an exit reason to its slot in exitReasons, or -1.
func exitIndex(reason string) int {
	r := strings.ToLower(reason)
	for i, v := range exitReasons {
		if v == r {
			return i
		}
	}
	return -1
}

// label returns the closed-set value at index i, or Unknown when i is -1.
func label(set []string, i int) string {
	if i < 0 {
		return Unknown
	}
	return set[i]
}

// maxTokenLen bounds a free-form label value; Coinbase's longest failure
// reason is well below it.
const maxTokenLen = 64

// validToken reports whether s is a short identifier: letters, digits and
// _ . : - only. Anything else (a message, a URL with an id in it) would
// make a new series per distinct value, and may carry data that must not
// reach a metric.
func validToken(s string) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// tokenSet admits up to max distinct free-form label values and folds the
// rest, and every malformed one, into Other. It keeps a label whose values
// come from outside (a venue's reject reason, a rule name) a closed set
// even when the outside grows. It is safe for concurrent use.
type tokenSet struct {
	mu   sync.Mutex
	seen map[string]struct{} // guarded by mu
	max  int
}

func newTokenSet(max int) *tokenSet {
	return &tokenSet{seen: make(map[string]struct{}), max: max}
}

// admit returns s if it may be used as a label value, or Other.
func (t *tokenSet) admit(s string) string {
	if !validToken(s) {
		return Other
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.seen[s]; ok {
		return s
	}
	if len(t.seen) >= t.max {
		return Other
	}
	t.seen[s] = struct{}{}
	return s
}

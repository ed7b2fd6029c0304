package risk

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule names: a small closed set, so that the engine can use them as a
// metric label. RuleOK and RuleExit name the two ways an intent passes.
const (
	RuleOK                  = "ok"
	RuleExit                = "exit"
	RuleProductNotAllowed   = "product_not_allowed"
	RuleInvalidOrder        = "invalid_order"
	RuleReduceOnly          = "reduce_only"
	RuleKillSwitch          = "kill_switch"
	RuleManual              = "manual"
	RuleStaleData           = "stale_data"
	RuleMinOrderNotional    = "min_order_notional"
	RuleMaxOrderNotional    = "max_order_notional"
	RulePriceCollar         = "price_collar"
	RuleMaxPositionNotional = "max_position_notional"
	RuleMaxExposure         = "max_exposure"
	RuleMaxOpenOrders       = "max_open_orders"
	RuleMaxEntriesPerDay    = "max_entries_per_day"
	RuleRatePerSecond       = "rate_per_second"
	RuleRatePerMinute       = "rate_per_minute"
	RuleDailyLoss           = "daily_loss"
	RuleMaxDrawdown         = "max_drawdown"
	RuleConsecutiveLosses   = "consecutive_losses"
	RuleStopLossCooldown    = "stop_loss_cooldown"
	// RuleJournal, RuleAuth and RuleReconciliation halt entries when the
	// daemon cannot trust its own records: the journal cannot write, the
	// exchange refused the API key, or the exchange disagrees with the
	// journal (an order it does not know, a balance below the positions).
	// They stay until an operator resumes trading (HaltFor).
	RuleJournal        = "journal"
	RuleAuth           = "auth"
	RuleReconciliation = "reconciliation"
)

// Rules lists every rule name a Decision or a state change can carry, for
// the engine to pre-create its metric series.
var Rules = []string{
	RuleOK, RuleExit, RuleProductNotAllowed, RuleInvalidOrder, RuleReduceOnly,
	RuleKillSwitch, RuleManual, RuleStaleData, RuleMinOrderNotional,
	RuleMaxOrderNotional, RulePriceCollar, RuleMaxPositionNotional,
	RuleMaxExposure, RuleMaxOpenOrders, RuleMaxEntriesPerDay,
	RuleRatePerSecond, RuleRatePerMinute, RuleDailyLoss, RuleMaxDrawdown,
	RuleConsecutiveLosses, RuleStopLossCooldown, RuleJournal, RuleAuth,
	RuleReconciliation,
}

// knownRule returns rule if it is one of Rules, else RuleManual: a rule
// read back from storage (the journal, the trading-state file) becomes a
// metric label, so the set stays closed.
func knownRule(rule string) string {
	if slices.Contains(Rules, rule) {
		return rule
	}
	return RuleManual
}

// Verdicts of a Decision.
const (
	VerdictAllow  = "allow"
	VerdictReject = "reject"
)

// Scopes a limit applies to, reported in Decision.Scope.
const (
	ScopeAccount  = "account"
	ScopeStrategy = "strategy"
	ScopeProduct  = "product"
)

// Decision is the guard's answer to one intent, with what it is based on:
// the rule that decided, the limit and the value it was compared with (as
// decimal strings, or durations), and a sentence for the log. An allowed
// entry carries RuleOK, an allowed exit RuleExit.
type Decision struct {
	Allowed bool
	// Rule is one of Rules.
	Rule string
	// Verdict is "allow" or "reject".
	Verdict string
	// Scope is "account", "strategy" or "product" for the limits that
	// exist at each of them, and empty otherwise.
	Scope  string
	Limit  string
	Value  string
	Reason string
}

var (
	allowEntry = Decision{Allowed: true, Rule: RuleOK, Verdict: VerdictAllow,
		Reason: "within every limit"}
	allowExit = Decision{Allowed: true, Rule: RuleExit, Verdict: VerdictAllow,
		Reason: "reduce-only exit: exposure, rate, loss, stale-data, state limits and the price collar do not apply"}
)

func rejectf(rule, scope, limit, value, format string, args ...any) Decision {
	return Decision{Rule: rule, Verdict: VerdictReject, Scope: scope, Limit: limit, Value: value,
		Reason: fmt.Sprintf(format, args...)}
}

// State is the account's trading state. The order is meaningful: loss
// limits only ever move it up (ACTIVE to REDUCING to HALTED); only an
// operator (SetState) or the start of a new day after a daily-loss halt
// moves it down.
type State uint8

// Trading states. In both REDUCING and HALTED the guard refuses entries
// and passes exits; HALTED is what the kill switch sets and tells the
// engine also to cancel resting entry orders.
const (
	Active State = iota
	Reducing
	Halted
)

// String returns ACTIVE, REDUCING or HALTED.
func (s State) String() string {
	switch s {
	case Active:
		return "ACTIVE"
	case Reducing:
		return "REDUCING"
	case Halted:
		return "HALTED"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// ParseState reads ACTIVE, REDUCING or HALTED, in any letter case.
func ParseState(s string) (State, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "ACTIVE":
		return Active, nil
	case "REDUCING":
		return Reducing, nil
	case "HALTED":
		return Halted, nil
	}
	return 0, fmt.Errorf("trading state %q: must be ACTIVE, REDUCING or HALTED", s)
}

// MarshalText implements encoding.TextMarshaler (YAML, JSON).
func (s State) MarshalText() ([]byte, error) {
	if s > Halted {
		return nil, fmt.Errorf("invalid trading state %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (YAML, JSON).
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// UnmarshalYAML reads a state from a YAML scalar. A bad value is reported
// as a *yaml.TypeError with its line, so that the decoder collects it with
// the document's other mistakes instead of stopping at it.
func (s *State) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseState(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: trading state %q: must be ACTIVE, REDUCING or HALTED", n.Line, n.Value)}}
	}
	*s = v
	return nil
}

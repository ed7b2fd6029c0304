package strategy

import (
	"fmt"
	"strconv"
	"time"
)

// preset builds a catalog strategy from rules written in Go: the same
// compiled expressions, bars and warm-up as a `type: rules` instance.
func preset(interval time.Duration, indicators map[string]string, entry, exit string) (Strategy, error) {
	p := &RulesParams{Interval: interval, Indicators: map[string]IndicatorDecl{}, Entry: Expr{Src: entry}, Exit: Expr{Src: exit}}
	for name, call := range indicators {
		p.Indicators[name] = IndicatorDecl{Of: call}
	}
	return compileRules(p, "")
}

// num formats a parameter for an indicator call or an expression.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// atLeast appends an error when v is not at least lo. Written as !(v >= lo)
// so that a NaN (YAML's .nan) is refused too, not slipped past as "not less".
func atLeast(errs []error, key string, v, lo float64) []error {
	if !(v >= lo) {
		errs = append(errs, fmt.Errorf("%s: must be at least %s, got %s", key, num(lo), num(v)))
	}
	return errs
}

// slowOverFast appends an error when slow is not greater than fast.
func slowOverFast(errs []error, fast, slow int) []error {
	if slow <= fast {
		errs = append(errs, fmt.Errorf("slow: must be greater than fast (%d), got %d", fast, slow))
	}
	return errs
}

// intervalOK appends an error for an interval under a second.
func intervalOK(errs []error, d time.Duration) []error {
	if d < time.Second {
		errs = append(errs, fmt.Errorf("interval: must be at least 1s, got %s", d))
	}
	return errs
}

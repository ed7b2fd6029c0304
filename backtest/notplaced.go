package backtest

import (
	"errors"
	"fmt"
	"time"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/echo"
)

// NotPlaced counts the entries one strategy decided that were not placed,
// for one cause: a configured size above the free balance, a refusal of
// the risk guard, a size below the product's minimum. Without it a run,
// and a sweep's row, would just stop trading with nothing to say why.
type NotPlaced struct {
	Strategy string `json:"strategy"`
	// Cause is "venue refused: " and Coinbase's reason (such as
	// INSUFFICIENT_FUND), "risk guard: " and the rule, or the error.
	Cause string `json:"cause"`
	Count int    `json:"count"`
	// First is the market time of the first one; Example its error.
	First   time.Time `json:"first"`
	Example string    `json:"example"`
}

// notPlacedCount counts a run's entries not placed (the engine's
// OnEntryNotPlaced), by strategy and cause with the market time of the
// first. Only Run's goroutine, which runs the engine's instances
// (Step), calls add: it needs no lock.
type notPlacedCount struct {
	clk    clock.Clock
	counts []NotPlaced
}

func (l *notPlacedCount) add(strategy string, cause error) {
	// The cause in two parts, joined only for a new count: a run's
	// thousands of refusals repeat a handful of causes.
	kind, detail := causeParts(cause)
	for i := range l.counts {
		c := &l.counts[i]
		if c.Strategy == strategy && len(c.Cause) == len(kind)+len(detail) &&
			c.Cause[:len(kind)] == kind && c.Cause[len(kind):] == detail {
			c.Count++
			return
		}
	}
	why := kind + detail
	example := ""
	if cause != nil {
		example = cause.Error()
	}
	l.counts = append(l.counts, NotPlaced{Strategy: strategy, Cause: why, Count: 1, First: l.clk.Now().UTC(), Example: example})
}

// causeParts name the cause of a refused entry without its amounts, so
// that entries refused for one reason count together: who refused it,
// and the venue's reason or the guard's rule.
func causeParts(err error) (kind, detail string) {
	if err == nil {
		return "", "unknown"
	}
	// AsType rather than As: As's targets escape, two allocations for
	// each of a run's thousands of refused entries.
	if rej, ok := errors.AsType[*exchange.RejectError](err); ok {
		return "venue refused: ", rej.Reason
	}
	if risk, ok := errors.AsType[*engine.RiskRefusal](err); ok {
		return "risk guard: ", risk.Rule
	}
	return "", echo.Cut(err.Error())
}

// NotPlacedTotal returns how many entries were not placed, all causes.
func (r *Result) NotPlacedTotal() int {
	n := 0
	for _, c := range r.NotPlaced {
		n += c.Count
	}
	return n
}

// String describes the count in a line, as the backtest command prints
// it once per cause.
func (n NotPlaced) String() string {
	return fmt.Sprintf("%s: %d entries not placed (%s), the first at %s: %s", n.Strategy, n.Count, n.Cause,
		n.First.Format(time.RFC3339), echo.Cut(n.Example))
}

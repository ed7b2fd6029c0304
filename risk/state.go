package risk

import (
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// State returns the trading state.
func (g *Guard) State() State {
	g.mu.Lock()
	defer g.unlock()
	return g.state
}

// StateInfo is the trading state with what set it and when.
type StateInfo struct {
	State  State     `json:"state"`
	Rule   string    `json:"rule"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// StateInfo returns the trading state, the rule that set it, why and when.
func (g *Guard) StateInfo() StateInfo {
	g.mu.Lock()
	defer g.unlock()
	return StateInfo{State: g.state, Rule: g.stateRule, Reason: g.stateReason, Since: g.stateSince}
}

// OnStateChange registers fn to be called after every change of the
// trading state, with the rule that caused it (one of Rules) and a reason
// that states the limit and the value. fn runs on the goroutine whose call
// made the change, after the guard's lock is released; it may call the
// guard but should return quickly.
func (g *Guard) OnStateChange(fn func(from, to State, rule, reason string)) {
	g.mu.Lock()
	defer g.unlock()
	g.listeners = append(g.listeners, fn)
}

// Halt moves the trading state to HALTED on behalf of the kill switch.
// Entries are refused from the moment it returns; exits still pass. A
// halt set by a loss rule is taken over by the kill switch, so that the
// next day's reset does not resume trading the operator stopped.
func (g *Guard) Halt(reason string) {
	g.mu.Lock()
	defer g.unlock()
	g.set(Halted, RuleKillSwitch, reason)
}

// SetState sets the trading state by an operator's decision. Going back to
// ACTIVE acknowledges the loss rules: the run of consecutive losses starts
// again from zero and the drawdown is measured from the current PnL. The
// daily loss is not forgiven: if it is still beyond its limit the guard
// moves at once to its configured state again.
func (g *Guard) SetState(s State, reason string) {
	if s > Halted {
		return
	}
	g.mu.Lock()
	defer g.unlock()
	g.set(s, RuleManual, reason)
	if s == Active {
		g.consecutive = 0
		g.pnlPeak = g.cumulativePnL()
		g.evalLoss()
	}
}

// set changes the state unconditionally (operator and kill switch).
func (g *Guard) set(s State, rule, reason string) {
	from := g.state
	g.state, g.stateRule, g.stateReason = s, rule, reason
	if from != s {
		g.stateSince = g.clk.Now()
		g.pending = append(g.pending, stateChange{from: from, to: s, rule: rule, reason: reason})
	}
}

// escalate applies a loss rule's breach: the state only ever moves up.
// At the same level, a breach takes over a daily-loss cause so that the
// daily reset does not resume trading while another rule is breached.
func (g *Guard) escalate(to State, rule, reason string) {
	switch {
	case to > g.state:
		g.set(to, rule, reason)
	case to == g.state && g.stateRule == RuleDailyLoss && rule != RuleDailyLoss:
		g.stateRule, g.stateReason = rule, reason
	}
}

// escalates reports whether a breach of rule would change anything, so
// that a rule breached tick after tick formats its reason only once.
func (g *Guard) escalates(to State, rule string) bool {
	return to > g.state || (to == g.state && g.stateRule == RuleDailyLoss && rule != RuleDailyLoss)
}

func (g *Guard) unrealized() decimal.Decimal { return g.markValue.Sub(g.cost) }

func (g *Guard) cumulativePnL() decimal.Decimal { return g.realizedTotal.Add(g.unrealized()) }

func (g *Guard) dailyPnL() decimal.Decimal {
	return g.realizedToday.Add(g.unrealized()).Sub(g.unrealizedStart)
}

// evalLoss checks the daily loss and the drawdown after PnL moved. A loss
// equal to its limit is a breach.
func (g *Guard) evalLoss() {
	un := g.unrealized()
	day := g.realizedToday.Add(un).Sub(g.unrealizedStart)
	dl := &g.cfg.Loss.DailyLoss
	if g.escalates(dl.Action, RuleDailyLoss) && day.IsNegative() && day.Neg().GreaterThanOrEqual(dl.Limit) {
		g.escalate(dl.Action, RuleDailyLoss,
			fmt.Sprintf("daily loss %s reached loss.daily_loss.limit %s", day.Neg(), dl.Limit))
	}
	cum := g.realizedTotal.Add(un)
	if cum.GreaterThan(g.pnlPeak) {
		g.pnlPeak = cum
		return
	}
	dd := &g.cfg.Loss.MaxDrawdown
	if !g.escalates(dd.Action, RuleMaxDrawdown) {
		return
	}
	if drop := g.pnlPeak.Sub(cum); drop.GreaterThanOrEqual(dd.Limit) {
		g.escalate(dd.Action, RuleMaxDrawdown,
			fmt.Sprintf("drawdown %s from the PnL peak %s reached loss.max_drawdown.limit %s", drop, g.pnlPeak, dd.Limit))
	}
}

// evalRun checks the run of consecutive losing round trips.
func (g *Guard) evalRun() {
	if cl := g.cfg.Loss.MaxConsecutiveLosses; cl.Limit > 0 && g.consecutive >= cl.Limit && g.escalates(cl.Action, RuleConsecutiveLosses) {
		g.escalate(cl.Action, RuleConsecutiveLosses,
			fmt.Sprintf("%d losing round trips in a row reached loss.max_consecutive_losses.limit %d", g.consecutive, cl.Limit))
	}
}

// DailyPnL returns the PnL of the trading day so far (realized after fees
// plus the change in unrealized), for the engine's metrics.
func (g *Guard) DailyPnL() decimal.Decimal {
	g.mu.Lock()
	defer g.unlock()
	g.roll(g.clk.Now())
	return g.dailyPnL()
}

// Exposure returns the account's exposure: open positions at their mark
// plus the notional reserved by open entry orders, in quote currency.
func (g *Guard) Exposure() decimal.Decimal {
	g.mu.Lock()
	defer g.unlock()
	return decimal.New(g.acct.exposure, unitExp)
}

// Drawdown returns how far cumulative PnL is below its peak.
func (g *Guard) Drawdown() decimal.Decimal {
	g.mu.Lock()
	defer g.unlock()
	return g.pnlPeak.Sub(g.cumulativePnL())
}

// OnRoundTrip counts a closed round trip: a loss extends the run of
// consecutive losses (a gain or break-even ends it), and an exit whose
// reason is one of stop_loss_cooldown.exit_reasons counts toward the
// product's cooldown. Its PnL is not added again; OnFill counted it.
func (g *Guard) OnRoundTrip(strategy, productID string, pnl decimal.Decimal, exitReason string) {
	g.mu.Lock()
	defer g.unlock()
	now := g.clk.Now()
	g.roll(now)
	if pnl.IsNegative() {
		g.consecutive++
	} else {
		g.consecutive = 0
	}
	g.evalRun()
	cd := g.cfg.StopLossCooldown
	if cd.StopLosses == 0 || !g.stopReasons[exitReason] {
		return
	}
	p := g.product(productID)
	nowN := unixNanos(now)
	kept := p.stops[:0]
	for _, t := range p.stops {
		if nowN-t < int64(cd.Window) {
			kept = append(kept, t)
		}
	}
	p.stops = append(kept, nowN)
	if len(p.stops) >= cd.StopLosses {
		p.cooldownUntil = nowN + int64(cd.Pause)
		p.stops = p.stops[:0]
	}
}

// startDay sets the trading day that contains now.
func (g *Guard) startDay(now time.Time) {
	t := now.In(g.loc)
	y, m, d := t.Date()
	g.dayStart = time.Date(y, m, d, 0, 0, 0, 0, g.loc)
	g.dayStartN = unixNanos(g.dayStart)
	g.nextDay = time.Date(y, m, d+1, 0, 0, 0, 0, g.loc)
	g.nextDayN = math.MinInt64
	if sec := g.nextDay.Unix(); sec > 0 && sec < maxNanosSec {
		g.nextDayN = g.nextDay.UnixNano()
	}
}

// maxNanosSec bounds the Unix seconds whose UnixNano is exact (year 2242;
// UnixNano overflows in 2262).
const maxNanosSec = 1 << 33

// rollOnTick is roll for the tick path. With a clock that tells Unix
// nanoseconds, a time before nextDayN is before nextDay (both are exact
// there, and a clock at the zero time reads 0, before any nextDayN), so
// no time.Time is built for the ticks of a day.
func (g *Guard) rollOnTick() {
	if g.nanos != nil && g.nanos.UnixNano() < g.nextDayN {
		return
	}
	g.roll(g.clk.Now())
}

// roll starts a new trading day when now has passed the day boundary:
// daily PnL and entry counts start from zero, and a halt that the daily
// loss alone caused is lifted if so configured.
func (g *Guard) roll(now time.Time) {
	if now.Before(g.nextDay) {
		return
	}
	g.startDay(now)
	g.realizedToday = decimal.Zero
	g.unrealizedStart = g.unrealized()
	g.acct.entries = 0
	for _, s := range g.strategies {
		s.entries = 0
	}
	for _, p := range g.products {
		p.entries = 0
	}
	if g.state != Active && g.stateRule == RuleDailyLoss && g.cfg.Loss.DailyLoss.ResumeNextDay {
		g.set(Active, RuleDailyLoss, "new trading day "+g.dayStart.Format("2006-01-02")+" after the daily loss limit")
		// Rules still breached take the state again at once.
		g.evalLoss()
		g.evalRun()
	}
}

// LastPrice returns the product's last trade price the guard has seen, or
// zero, for valuing balances in metrics.
func (g *Guard) LastPrice(productID string) decimal.Decimal {
	g.mu.Lock()
	defer g.unlock()
	if p := g.products[productID]; p != nil && p.hasLast {
		return p.last
	}
	return decimal.Zero
}

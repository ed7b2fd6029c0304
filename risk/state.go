package risk

import (
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// State returns the trading state.
func (g *Guard) State() State {
	g.mu.Lock()
	defer g.unlock()
	return g.state
}

// StateInfo is the trading state with what set it and when.
type StateInfo struct {
	State  State  `json:"state"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
	// Since is when the state changed, on the wall clock even when the
	// guard runs on a replay's clock.
	Since time.Time `json:"since"`
}

// StateInfo returns the trading state, the rule that set it, why and when.
func (g *Guard) StateInfo() StateInfo {
	g.mu.Lock()
	defer g.unlock()
	return StateInfo{State: g.state, Rule: g.stateRule, Reason: g.stateReason, Since: g.stateWall}
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

// HaltFor moves the trading state to HALTED because rule (RuleJournal,
// RuleAuth, RuleReconciliation) found the daemon cannot trust what it
// sees or records; reason says what and what to check. Entries are refused
// from the moment it returns; exits still pass. The halt takes over one
// set by the daily loss, so that the next day's reset does not resume
// trading; a halt already set by another cause (the kill switch, the
// operator, an earlier HaltFor) is kept, with its reason. Only an
// operator lifts it (SetState).
func (g *Guard) HaltFor(rule, reason string) {
	g.mu.Lock()
	defer g.unlock()
	if g.state == Halted && g.stateRule != RuleDailyLoss {
		return
	}
	g.set(Halted, rule, reason)
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
		g.stateSince, g.stateWall = g.clk.Now(), time.Now().UTC()
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
//
// It runs on every tick that moves the mark of a held product, where the
// PnL it checks is the mark value plus sums that change only on fills, at
// the day's start and with the peak. The limits are therefore compared
// with the mark value alone, against thresholds made from those sums
// (lossThresholds); the PnL itself is computed, as before, only when a
// limit is reached or a peak is set. Decimal arithmetic is exact, so each
// comparison decides as the one on the PnL would.
func (g *Guard) evalLoss() {
	th := g.thresholds()
	dl := &g.cfg.Loss.DailyLoss
	if g.escalates(dl.Action, RuleDailyLoss) && th.dailyLossReached(g.markValue) {
		day := g.realizedToday.Add(g.unrealized()).Sub(g.unrealizedStart)
		if day.IsNegative() && day.Neg().GreaterThanOrEqual(dl.Limit) {
			g.escalate(dl.Action, RuleDailyLoss,
				fmt.Sprintf("daily loss %s reached loss.daily_loss.limit %s", day.Neg(), dl.Limit))
		}
	}
	if fastdecimal.Compare(g.markValue, th.peak) > 0 {
		g.pnlPeak = g.realizedTotal.Add(g.unrealized())
		return
	}
	dd := &g.cfg.Loss.MaxDrawdown
	if !g.escalates(dd.Action, RuleMaxDrawdown) || fastdecimal.Compare(g.markValue, th.drawdown) > 0 {
		return
	}
	cum := g.realizedTotal.Add(g.unrealized())
	if drop := g.pnlPeak.Sub(cum); drop.GreaterThanOrEqual(dd.Limit) {
		g.escalate(dd.Action, RuleMaxDrawdown,
			fmt.Sprintf("drawdown %s from the PnL peak %s reached loss.max_drawdown.limit %s", drop, g.pnlPeak, dd.Limit))
	}
}

// lossThresholds are the mark values at which evalLoss's rules change,
// with the sums they were made from. A decimal is an immutable value whose
// coefficient is a pointer: a sum that still has the same pointer and
// exponent is the same value (and while it is kept here its pointer cannot
// be reused), so the thresholds are remade only when one was assigned.
type lossThresholds struct {
	valid                                                        bool
	cost, unrealizedStart, realizedToday, realizedTotal, pnlPeak decimal.Decimal

	// With day = realizedToday + markValue - cost - unrealizedStart,
	// the daily loss is reached when -day >= limit with day < 0: when
	// markValue <= dayAt (a positive limit) or markValue < dayAt
	// (dayStrict, a limit of zero or less).
	dayAt     decimal.Decimal
	dayStrict bool
	// peak: cum = realizedTotal + markValue - cost is above pnlPeak when
	// markValue > peak. drawdown: pnlPeak - cum >= max_drawdown.limit
	// when markValue <= drawdown.
	peak, drawdown decimal.Decimal
}

func (th *lossThresholds) dailyLossReached(markValue decimal.Decimal) bool {
	c := fastdecimal.Compare(markValue, th.dayAt)
	return c < 0 || c == 0 && !th.dayStrict
}

// thresholds returns the loss thresholds of the current sums.
func (g *Guard) thresholds() *lossThresholds {
	th := &g.lossAt
	if th.valid && th.cost == g.cost && th.unrealizedStart == g.unrealizedStart &&
		th.realizedToday == g.realizedToday && th.realizedTotal == g.realizedTotal && th.pnlPeak == g.pnlPeak {
		return th
	}
	base := g.cost.Sub(g.realizedTotal) // markValue - base is cum
	*th = lossThresholds{valid: true, cost: g.cost, unrealizedStart: g.unrealizedStart,
		realizedToday: g.realizedToday, realizedTotal: g.realizedTotal, pnlPeak: g.pnlPeak,
		peak: g.pnlPeak.Add(base), drawdown: g.pnlPeak.Sub(g.cfg.Loss.MaxDrawdown.Limit).Add(base)}
	zeroDay := g.cost.Add(g.unrealizedStart).Sub(g.realizedToday) // markValue at which day is 0
	if l := g.cfg.Loss.DailyLoss.Limit; l.IsPositive() {
		th.dayAt = zeroDay.Sub(l)
	} else {
		th.dayAt, th.dayStrict = zeroDay, true
	}
	return th
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
// product's cooldown, as does a losing exit whose reason is unknown
// (countsTowardCooldown). Its PnL is not added again; OnFill counted it.
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
	if cd.StopLosses == 0 || !g.countsTowardCooldown(exitReason, pnl) {
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

// exitReasonUnknown is the exits' reason for an exit a restarted daemon
// learnt of from the venue without knowing why it was sent (an order
// journaled before the journal kept reasons, or one no journal row
// names; exits.ReasonUnknown).
const exitReasonUnknown = "unknown"

// countsTowardCooldown reports whether a round trip that ended with
// exitReason and pnl counts toward the stop-loss cooldown: its reason is
// listed in exit_reasons, or it is unknown and lost money. An unknown
// exit may have been any of the listed rules (before the journal kept
// reasons it was booked as a stop-loss), and the cooldown exists to stop
// re-entry after losses: a losing one counts whatever is listed, on the
// safe side. One that gained counts only where unknown is listed: a
// stop-loss sells below the entry and never ends a trip with a gain.
func (g *Guard) countsTowardCooldown(exitReason string, pnl decimal.Decimal) bool {
	return g.stopReasons[exitReason] || (exitReason == exitReasonUnknown && pnl.IsNegative())
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
	switch {
	case g.step != nil:
		if g.step.UnixNano() < g.nextDayN {
			return
		}
	case g.nanos != nil:
		if g.nanos.UnixNano() < g.nextDayN {
			return
		}
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

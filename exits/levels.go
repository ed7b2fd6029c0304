package exits

import (
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/bars"
	"github.com/tradebot/tradebot/exchange"
)

// levels are the prices a position's exits work with, computed from its
// average entry whenever an entry fill moves it. Nothing here is rounded
// except where noted: rounding happens once, when a level becomes a stop.
type levels struct {
	initialStop decimal.Decimal   // stop_loss as a price (ATR: at the last closed bar)
	takeProfit  []decimal.Decimal // per level, rounded with RoundLimit(SELL)
	trailArm    decimal.Decimal   // price that activates the trailing stop; zero: active at once
	trailKeep   decimal.Decimal   // 1 - callback/100
	beArm       decimal.Decimal   // price that arms break-even; zero: only after a take-profit
	beStop      decimal.Decimal   // the break-even stop
}

// pct returns price * (1 + sign*percent/100), exactly (a shift, not a
// division, so no digits are invented).
func pct(price, percent decimal.Decimal, sign int64) decimal.Decimal {
	if sign < 0 {
		percent = percent.Neg()
	}
	return price.Mul(hundred.Add(percent)).Shift(-2)
}

// compute fills l for a position entered at avg. atr is the current
// average true range (zero while none is known).
func (m *Manager) computeLevels(avg decimal.Decimal) {
	c, l := &m.cfg, &m.lv
	l.initialStop = m.initialStop(avg)
	l.takeProfit = l.takeProfit[:0]
	for _, tp := range c.TakeProfit {
		p := tp.Price
		if p.IsZero() {
			p = pct(avg, tp.Percent, 1)
		}
		l.takeProfit = append(l.takeProfit, m.d.Product.RoundLimit(exchange.Sell, p))
	}
	l.trailArm, l.trailKeep = decimal.Zero, decimal.Zero
	if ts := c.TrailingStop; ts != nil {
		l.trailKeep = hundred.Sub(ts.CallbackPercent).Shift(-2)
		// Thresholds are rounded to the price grid: every price a tick can
		// carry compares the same, and the comparison stays cheap.
		switch {
		case ts.ActivationPrice.IsPositive():
			l.trailArm = m.d.Product.RoundPriceUp(ts.ActivationPrice)
		case ts.ActivationPercent.IsPositive():
			l.trailArm = m.d.Product.RoundPriceUp(pct(avg, ts.ActivationPercent, 1))
		}
	}
	l.beArm, l.beStop = decimal.Zero, decimal.Zero
	if be := c.BreakEven; be != nil {
		if be.AtPercent.IsPositive() {
			l.beArm = m.d.Product.RoundPriceUp(pct(avg, be.AtPercent, 1))
		}
		off := be.OffsetPercent
		if off.IsZero() {
			off = m.feeOffsetPercent()
		}
		l.beStop = m.d.Product.RoundStop(exchange.Sell, pct(avg, off, 1))
	}
}

// feeOffsetPercent is the default break-even offset: the move that pays
// a taker entry and a taker exit, (1+t)/(1-t) - 1, as a percentage.
func (m *Manager) feeOffsetPercent() decimal.Decimal {
	t := m.d.Fees.Taker
	if !t.IsPositive() || t.GreaterThanOrEqual(one) {
		return decimal.Zero
	}
	return one.Add(t).Div(one.Sub(t)).Sub(one).Mul(hundred)
}

// initialStop is stop_loss for a position entered at avg.
func (m *Manager) initialStop(avg decimal.Decimal) decimal.Decimal {
	sl := m.cfg.StopLoss
	switch {
	case sl == nil:
		return decimal.Zero
	case sl.Price.IsPositive():
		return sl.Price
	case sl.ATR != nil:
		if m.atr.n == 0 {
			return pct(avg, sl.ATR.WarmupPercent, -1)
		}
		return avg.Sub(sl.ATR.Multiple.Mul(m.atr.value))
	default:
		return pct(avg, sl.Percent, -1)
	}
}

// candidate returns the highest stop any rule asks for now, and the rule.
// The caller keeps the stop only if it is above the current one, so the
// stop never moves against the position.
func (m *Manager) candidate() (decimal.Decimal, string) {
	s := &m.s
	best, why := m.lv.initialStop, ReasonStopLoss
	if s.TrailActive && m.lv.trailKeep.IsPositive() {
		if c := s.TrailHigh.Mul(m.lv.trailKeep); c.GreaterThan(best) {
			best, why = c, ReasonTrailingStop
		}
	}
	// Break-even applies only once the price is above its level: armed by
	// a take-profit below it (a 1 % target with a 1.2 % fee offset), it
	// would otherwise sit above the market and sell at once.
	if s.BreakEvenArmed && m.lv.beStop.GreaterThan(best) && m.mark.GreaterThan(m.lv.beStop) {
		best, why = m.lv.beStop, ReasonBreakEven
	}
	return best, why
}

// atrTracker keeps the average true range, with Wilder's smoothing, of
// the bars of one interval that its aggregator builds from trade ticks.
// Only the strategy instance's goroutine touches it.
type atrTracker struct {
	bars   *bars.Aggregator // nil when no ATR stop is configured
	period int
	prev   decimal.Decimal // close of the previous bar; zero before one closed
	value  decimal.Decimal
	n      int // bars averaged so far, up to period
}

// onTrade adds a trade and reports whether it closed a bar (and so moved
// the ATR). Empty intervals make no bar: they have no range to add.
func (a *atrTracker) onTrade(t *exchange.Tick) bool {
	if a.bars == nil || !a.bars.Add(t) {
		return false
	}
	a.closeBar(a.bars.Last())
	return true
}

func (a *atrTracker) closeBar(b *bars.Bar) {
	tr := b.High.Sub(b.Low)
	if a.prev.IsPositive() {
		tr = decimal.Max(tr, b.High.Sub(a.prev).Abs(), b.Low.Sub(a.prev).Abs())
	}
	a.prev = b.Close
	if a.n < a.period {
		a.value = a.value.Mul(decimal.NewFromInt(int64(a.n))).Add(tr).Div(decimal.NewFromInt(int64(a.n + 1)))
		a.n++
	} else {
		p := decimal.NewFromInt(int64(a.period))
		a.value = a.value.Mul(p.Sub(one)).Add(tr).Div(p)
	}
	a.value = a.value.Round(12)
}

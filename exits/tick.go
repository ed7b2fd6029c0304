package exits

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// OnTick updates marks, the ATR, the trailing extreme and break-even, moves
// the resting stop when a rule raised it, and fires the exits the bot
// watches. Ticks of other products are ignored. When nothing triggers and
// no level moves it does not allocate. The tick comes by pointer (it is
// some 180 bytes, on a path a backtest takes hundreds of thousands of
// times a second); OnTick only reads *t.
func (m *Manager) OnTick(ctx context.Context, t *exchange.Tick) {
	if t.ProductID != m.d.Product.ID || m.parked {
		return
	}
	m.closeNextTick = false
	at := t.Received
	if at.IsZero() {
		at = t.Time
	}
	if at.After(m.lastTick) {
		m.lastTick = at
	}
	changed := false
	if t.Kind == exchange.TradeTick && t.Price.IsPositive() {
		m.last = t.Price
		m.tradedSinceBid = true
		if m.atr.onTrade(t) && m.open() && m.cfg.StopLoss.ATR != nil {
			m.lv.initialStop = m.initialStop(m.s.Position.AvgEntry)
			changed = true
		}
	}
	if t.Bid.IsPositive() {
		m.bid, m.tradedSinceBid = t.Bid, false // the tick's own quote is current, whatever its trade
	}
	if m.s.StaleFallback {
		m.endStaleFallback(ctx)
	}
	if !m.open() {
		return
	}
	var price decimal.Decimal
	switch {
	case m.cfg.Trigger == TriggerBid && t.Kind == exchange.QuoteTick && t.Bid.IsPositive():
		price = t.Bid
	case m.cfg.Trigger != TriggerBid && t.Kind == exchange.TradeTick && t.Price.IsPositive():
		price = t.Price
	default:
		m.checkTime(ctx)
		return
	}
	m.mark = price
	s := &m.s
	if ts := m.cfg.TrailingStop; ts != nil {
		if !s.TrailActive {
			if m.lv.trailArm.IsZero() || fastdecimal.Compare(price, m.lv.trailArm) >= 0 {
				s.TrailActive, s.TrailHigh, changed = true, price, true
			}
		} else if fastdecimal.Compare(price, s.TrailHigh) > 0 {
			s.TrailHigh, changed = price, true
		}
	}
	if !s.BreakEvenArmed && m.lv.beArm.IsPositive() && fastdecimal.Compare(price, m.lv.beArm) >= 0 {
		s.BreakEvenArmed, changed = true, true
	}
	if s.BreakEvenArmed && fastdecimal.Compare(s.Stop, m.lv.beStop) < 0 && fastdecimal.Compare(price, m.lv.beStop) > 0 {
		changed = true // armed earlier, and now the price is above the level
	}
	if changed {
		m.raiseStop()
	}
	if m.fire(ctx, price) {
		return
	}
	if changed || m.s.NeedSync {
		m.sync(ctx)
	}
}

// fire sends the exits that price (or time) has reached and reports
// whether it sent or retried one.
func (m *Manager) fire(ctx context.Context, price decimal.Decimal) bool {
	s := &m.s
	if mk := s.Market; mk != nil {
		if mk.Unsent && !m.now().Before(m.nextTry) {
			_ = m.sendMarket(ctx)
		}
		return true
	}
	if s.Stop.IsPositive() && fastdecimal.Compare(price, s.Stop) <= 0 && !m.restingCovers() {
		// The bot watches the stop for the whole position unless the
		// resting exit covers it all (restingCovers).
		_ = m.exitAll(ctx, s.StopReason, -1)
		return true
	}
	if r := s.Resting; r != nil && r.OrderID != "" && m.last.IsPositive() && fastdecimal.Compare(m.last, r.Stop) <= 0 && fastdecimal.Compare(m.last, r.TriggerLimit) < 0 {
		// The market gapped through the stop and below the limit its
		// trigger made: the order will not fill, so sell at market.
		m.d.Log.Warn("price gapped through the resting stop; selling at market", "strategy", m.d.Strategy,
			"product", m.d.Product.ID, "stop", r.Stop, "limit", r.TriggerLimit, "last", m.last)
		_ = m.exitAll(ctx, r.Reason, -1)
		return true
	}
	if lvl := m.watchedTakeProfit(); lvl >= 0 && fastdecimal.Compare(price, m.lv.takeProfit[lvl]) >= 0 {
		m.takeProfit(ctx, lvl)
		return true
	}
	return m.checkTime(ctx)
}

// checkTime fires the time stop.
func (m *Manager) checkTime(ctx context.Context) bool {
	ts := m.cfg.TimeStop
	if ts == nil || !m.open() || m.s.Market != nil {
		return false
	}
	if m.now().Sub(m.s.Position.OpenedAt) >= ts.MaxHolding {
		_ = m.exitAll(ctx, ReasonTimeStop, -1)
		return true
	}
	return false
}

// watchedTakeProfit returns the next take-profit level the bot watches,
// or -1: on the exchange the last level rests in the bracket, and every
// level before it is watched; in the bot every level is watched.
func (m *Manager) watchedTakeProfit() int {
	next := m.s.TakeProfitsDone
	n := len(m.lv.takeProfit)
	if next >= n {
		return -1
	}
	if m.cfg.Placement == OnExchange && next == n-1 && m.s.Resting != nil && m.s.Resting.Type == exchange.Bracket {
		return -1
	}
	return next
}

// raiseStop moves the stop up to the highest level any rule asks for,
// rounded toward the market; it never lowers it.
func (m *Manager) raiseStop() {
	c, why := m.candidate()
	if !c.IsPositive() {
		return
	}
	c = m.d.Product.RoundStop(exchange.Sell, c)
	if c.Cmp(m.s.Stop) > 0 {
		m.s.Stop, m.s.StopReason = c, why
	}
}

// Holding returns the position's size and average entry: what a strategy
// sees on every tick, without copying the whole Position (Position).
func (m *Manager) Holding() (size, avgEntry decimal.Decimal) {
	return m.s.Position.Size, m.s.Position.AvgEntry
}

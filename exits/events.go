package exits

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/position"
)

// maxSeenTrades bounds the memory of fill ids kept to drop a fill the
// venue reports twice (a reconnect replays order state).
const maxSeenTrades = 4096

// OnOrderEvent books one event of this instance's orders. An entry fill
// grows the position and (re)arms protection for the size filled so far;
// an exit fill shrinks it and, when flat, finishes the round trip. Order
// state changes (accepted, triggered, cancelled) keep the Manager's view
// of its resting exit in step with the venue's. A fill whose TradeID was
// seen before is not booked again.
func (m *Manager) OnOrderEvent(ctx context.Context, ev exchange.OrderEvent, purpose exchange.Purpose) {
	o := ev.Order
	if o.ProductID != "" && o.ProductID != m.d.Product.ID {
		return
	}
	f := ev.Fill
	if f != nil && f.TradeID != "" {
		if _, dup := m.seenTrades[f.TradeID]; dup {
			f = nil
		} else {
			if len(m.seenTrades) >= maxSeenTrades {
				clear(m.seenTrades)
			}
			m.seenTrades[f.TradeID] = struct{}{}
		}
	}
	if purpose == exchange.Entry {
		m.onEntry(ctx, o, f)
		return
	}
	m.onExit(ctx, o, f)
}

func (m *Manager) onEntry(ctx context.Context, o exchange.Order, f *exchange.Fill) {
	if f == nil || f.Side != exchange.Buy || !f.Size.IsPositive() {
		return
	}
	s := &m.s
	switch {
	case !m.open():
		m.retireResting(ctx)
		m.resetTrip()
	case m.Dust():
		// An entry over dust protects a new position, from its own
		// average entry: the dust's stop, left from the position it was
		// part of, may be over the market, and would sell the entry at
		// once. The round trip goes on until the position is flat.
		m.resetTrip()
	}
	why := m.entryWhy[o.ClientOrderID]
	if why == "" {
		why = "entry"
	}
	if o.Status.Terminal() {
		delete(m.entryWhy, o.ClientOrderID)
	}
	s.Position.ApplyFill(*f, why)
	if m.applySoldAhead(); !m.open() {
		m.sync(ctx) // its exit had sold it already
		return
	}
	if s.Position.Size.GreaterThan(s.EntrySize) {
		s.EntrySize = s.Position.Size
	}
	m.computeLevels(s.Position.AvgEntry)
	m.raiseStop()
	if o.Attached != nil && m.cfg.AttachToEntry && s.Resting == nil {
		s.AwaitAttached = true
	}
	m.sync(ctx)
}

// retireResting takes a resting exit left over from an earlier round trip
// (its outcome was unknown, or its cancel failed, when that trip ended)
// out of the way of the one that begins: it is cancelled, never resent
// or resized for the new position. Resent under its old client order id
// it would be answered with the old order (Coinbase answers a repeated
// id with the existing order), and the new position would have no stop
// of its own. A cancel that cannot be sent now is sent once the order's
// venue id is known (CancelUnsent).
func (m *Manager) retireResting(ctx context.Context) {
	s := &m.s
	if s.Resting == nil {
		return
	}
	old := *s.Resting
	m.d.Log.Warn("a resting exit of the previous round trip is still known; cancelling it, the new position gets its own",
		"strategy", m.d.Strategy, "product", m.d.Product.ID, "client_order_id", old.ClientOrderID, "order_id", old.OrderID, "size", old.Size)
	if err := m.cancelResting(ctx); err != nil && s.Resting != nil {
		m.d.Log.Warn("cancel of the previous round trip's exit failed; cancelling it once the venue answers",
			"strategy", m.d.Strategy, "product", m.d.Product.ID, "client_order_id", old.ClientOrderID, "error", err)
		r := *s.Resting
		r.CancelUnsent = true
		s.Cancelling = append(s.Cancelling, r)
		s.Resting = nil
	}
}

// sendUnsentCancels sends the cancels of retired exits whose venue id is
// known by now; a failure is tried again on the next call.
func (m *Manager) sendUnsentCancels(ctx context.Context) {
	for i := range m.s.Cancelling {
		c := &m.s.Cancelling[i]
		if !c.CancelUnsent || c.OrderID == "" {
			continue
		}
		if err := m.d.Orders.Cancel(ctx, c.OrderID); err != nil {
			m.d.Log.Warn("cancel of a retired exit failed; trying again", "strategy", m.d.Strategy,
				"product", m.d.Product.ID, "order_id", c.OrderID, "error", err)
			continue
		}
		c.CancelUnsent = false
	}
}

// resetTrip clears what belongs to one round trip.
func (m *Manager) resetTrip() {
	s := &m.s
	s.Stop, s.StopReason = decimal.Zero, ""
	s.TrailActive, s.TrailHigh = false, decimal.Zero
	s.BreakEvenArmed = false
	s.TakeProfitsDone = 0
	s.EntrySize = decimal.Zero
	s.AwaitAttached = false
	s.PendingClose = ""
	// The trigger price is followed only while a position is open: kept,
	// the last trip's would judge the next position (its dust, a stop
	// reached) until that position's first tick.
	m.mark = decimal.Zero
	m.nextTry = m.now()
}

// exitKind says which of the Manager's exit orders an event is about.
type exitKind uint8

const (
	unknownExit exitKind = iota
	restingExit
	cancellingExit
	marketExit
	strategySell
)

func (m *Manager) which(ctx context.Context, o exchange.Order) (exitKind, int) {
	s := &m.s
	same := func(id, cid string) bool {
		return (o.ID != "" && o.ID == id) || (o.ClientOrderID != "" && o.ClientOrderID == cid)
	}
	if r := s.Resting; r != nil && same(r.OrderID, r.ClientOrderID) {
		return restingExit, 0
	}
	for i := range s.Cancelling {
		if same(s.Cancelling[i].OrderID, s.Cancelling[i].ClientOrderID) {
			return cancellingExit, i
		}
	}
	if mk := s.Market; mk != nil && same(mk.OrderID, mk.ClientOrderID) {
		return marketExit, 0
	}
	for i := range s.Sells {
		if same(s.Sells[i].OrderID, s.Sells[i].ClientOrderID) {
			return strategySell, i
		}
	}
	// An attached bracket has no client order id of its own: it is known
	// by the entry it came from. Its first event may already be its end
	// (it filled before the instance saw it): adopted all the same, so
	// that its fill is booked with its reason and the wait for it ends.
	if o.Type == exchange.Bracket && o.OriginatingOrderID != "" {
		if s.Resting == nil {
			m.adopt(o)
			return restingExit, 0
		}
		if o.Status.Terminal() {
			return unknownExit, 0
		}
		// A second attached bracket (an entry sent with one while a
		// position was open): two exits cannot both rest, so it goes.
		m.d.Log.Warn("cancelling a second attached bracket", "strategy", m.d.Strategy, "product", m.d.Product.ID, "order_id", o.ID)
		r := RestingOrder{OrderID: o.ID, Type: exchange.Bracket, Size: o.BaseSize, Stop: o.StopPrice, Limit: o.LimitPrice, Reason: m.attachedReason(o)}
		if err := m.d.Orders.Cancel(ctx, o.ID); err != nil {
			m.d.Log.Error("cancel of a second attached bracket failed", "strategy", m.d.Strategy, "order_id", o.ID, "error", err)
		}
		s.Cancelling = append(s.Cancelling, r)
		return cancellingExit, len(s.Cancelling) - 1
	}
	if m.foundResting(o) {
		return m.takeFound(ctx, o)
	}
	if m.foundSell(o) {
		return strategySell, m.takeFoundSell(o)
	}
	return unknownExit, 0
}

// foundResting reports whether o is a live resting exit of this instance
// that the Manager's state does not name: one a killed run placed but did
// not save (its journal row brings it back at recovery). It holds base
// and will sell: it must become the protection or go.
func (m *Manager) foundResting(o exchange.Order) bool {
	return o.ID != "" && o.Side == exchange.Sell && !o.Status.Terminal() && o.Status != exchange.StatusPending &&
		(o.Type == exchange.StopLimit || o.Type == exchange.Bracket) && o.BaseSize.GreaterThan(o.FilledSize)
}

// takeFound adopts a found resting exit as the position's protection when
// the position has none (sync resizes and moves it as needed), and
// cancels it otherwise: a second exit would sell base the position does
// not hold (on spot, another instance's).
func (m *Manager) takeFound(ctx context.Context, o exchange.Order) (exitKind, int) {
	s, p := &m.s, m.d.Product
	// Its reason is the one journaled with it (NoteExit): the rule it was
	// placed (or last moved) for, which the stop's rule now need not be.
	why, noted := m.exitWhy[o.ClientOrderID]
	if !noted {
		why = s.StopReason
	}
	r := RestingOrder{ClientOrderID: o.ClientOrderID, OrderID: o.ID, Type: o.Type, Size: o.BaseSize, Filled: o.FilledSize,
		Stop: o.StopPrice, Limit: o.LimitPrice, TriggerLimit: o.LimitPrice, Reason: why, Triggered: o.Triggered,
		Queued: o.Status == exchange.StatusQueued}
	if o.Type == exchange.Bracket {
		r.TriggerLimit = p.RoundPriceUp(o.StopPrice.Mul(bracketTriggerFactor))
	}
	log := m.d.Log.With("strategy", m.d.Strategy, "product", p.ID, "client_order_id", o.ClientOrderID,
		"order_id", o.ID, "type", o.Type, "size", o.BaseSize, "stop", o.StopPrice)
	// While an attached bracket is awaited only a bracket can be it; any
	// other exit would hold the base that bracket needs.
	if m.open() && s.Resting == nil && s.Market == nil && (!s.AwaitAttached || o.Type == exchange.Bracket) {
		s.AwaitAttached = false
		if o.StopPrice.GreaterThan(s.Stop) {
			// A stop only rises; the order's was set by a later rule.
			s.Stop, s.StopReason = o.StopPrice, why
		}
		if s.StopReason == "" {
			s.StopReason = ReasonStopLoss
		}
		if r.Reason == "" {
			r.Reason = s.StopReason
		}
		s.Resting = &r
		s.LastMove = m.now()
		log.Warn("found a resting exit the exit state did not name (placed by a run that stopped before saving it); adopted as the position's protection")
		return restingExit, 0
	}
	log.Warn("found a resting exit the exit state did not name, beside the position's own protection; cancelling it")
	if err := m.d.Orders.Cancel(ctx, o.ID); err != nil {
		log.Warn("cancel of the found exit failed; trying again", "error", err)
		r.CancelUnsent = true
	}
	s.Cancelling = append(s.Cancelling, r)
	return cancellingExit, len(s.Cancelling) - 1
}

// adopt makes an attached bracket the resting exit.
func (m *Manager) adopt(o exchange.Order) {
	s, p := &m.s, m.d.Product
	s.AwaitAttached = false
	why := m.attachedReason(o)
	if o.StopPrice.GreaterThan(s.Stop) {
		s.Stop, s.StopReason = o.StopPrice, why
	}
	s.Resting = &RestingOrder{ClientOrderID: o.ClientOrderID, OrderID: o.ID, Type: exchange.Bracket, Size: o.BaseSize, Stop: o.StopPrice,
		Limit: o.LimitPrice, TriggerLimit: p.RoundPriceUp(o.StopPrice.Mul(bracketTriggerFactor)), Reason: why}
	s.LastMove = m.now()
}

func (m *Manager) onExit(ctx context.Context, o exchange.Order, f *exchange.Fill) {
	s := &m.s
	kind, i := m.which(ctx, o)
	if kind == strategySell {
		m.onSell(ctx, i, o, f)
		return
	}
	var r *RestingOrder
	var edited *QueuedEdit // a queued edit of the resting exit the venue has applied now
	reason := s.StopReason
	switch kind {
	case restingExit:
		r = s.Resting
	case cancellingExit:
		r = &s.Cancelling[i]
	case marketExit:
		reason = s.Market.Reason
	case unknownExit:
		reason = m.unknownExitReason(o)
	}
	if r != nil {
		reason = r.Reason
		if soldAtTakeProfit(r.Type, o.Triggered || r.Triggered) {
			reason = ReasonTakeProfit
		}
		if o.ID != "" {
			r.OrderID = o.ID
		}
		if o.Triggered {
			r.Triggered = true
		}
		if e := r.noteVenue(o); e != nil && kind == restingExit {
			s.LastMove = m.now()
			edited = e
		}
		if o.FilledSize.GreaterThan(r.Filled) {
			r.Filled = o.FilledSize
		}
	}
	if reason == "" {
		reason = ReasonStopLoss
	}
	var trip *position.RoundTrip
	if f != nil && f.Side == exchange.Sell {
		fill := m.keepSoldAhead(*f, reason)
		if fill.Size.IsPositive() {
			trip = s.Position.ApplyFill(fill, reason)
		}
		if kind != marketExit && reason == ReasonTakeProfit {
			s.TakeProfitsDone = len(m.lv.takeProfit) // the bracket holds the last level
		}
	}
	if o.Status.Terminal() {
		filled := o.Status == exchange.StatusFilled
		switch kind {
		case restingExit:
			s.Resting = nil
		case cancellingExit:
			s.Cancelling = append(s.Cancelling[:i], s.Cancelling[i+1:]...)
			// The base it held is free: an exit refused for want of it
			// goes now rather than after update.min_interval.
			m.nextTry = time.Time{}
		case marketExit:
			mk := s.Market
			s.Market = nil
			if (filled || o.FilledSize.IsPositive()) && mk.Level >= 0 && m.open() {
				// A take-profit level sells once: what its market order
				// did not fill stays in the position, under the stop and
				// the later levels, rather than being sold again.
				m.tookProfit(mk.Level)
			}
			if m.open() && !m.dustAtMarket(s.Position.Size) && s.PendingClose == "" {
				// Only an order the venue cut short (its immediate-or-cancel
				// found less than it asked) waits for the market to show
				// more; one that sold all it asked, with the rest come from
				// an entry filled meanwhile, is followed at once: the
				// liquidity is there, and the stop may already be crossed.
				cutShort := o.FilledSize.LessThan(mk.Size)
				switch {
				case mk.Full:
					// A full exit that left something (an entry filled while
					// it worked, or the IOC found too little) goes on.
					s.PendingClose, m.closeNextTick = mk.Reason, cutShort
				case m.mark.IsPositive() && s.Stop.IsPositive() && m.mark.LessThanOrEqual(s.Stop):
					// The stop was reached while a partial exit worked.
					s.PendingClose, m.closeNextTick = s.StopReason, cutShort
				}
			}
		}
		if filled && kind != unknownExit {
			m.count(reason)
		}
	}
	if o.Status.Terminal() {
		delete(m.exitWhy, o.ClientOrderID)
	}
	if trip != nil {
		m.trips = append(m.trips, *trip)
		m.resetTrip()
	}
	if kind == cancellingExit && !o.Status.Terminal() && s.Cancelling[i].CancelUnsent {
		m.sendUnsentCancels(ctx) // a retired exit's venue id is known now
	}
	if mk := s.Market; mk != nil && mk.Unsent && kind == cancellingExit && !m.held {
		_ = m.sendMarket(ctx) // the cancel freed the base this sell waited for
		return
	}
	if edited != nil && edited.TakeProfit && edited.Level == s.TakeProfitsDone && m.open() && s.Market == nil && s.Resting != nil {
		// The shrink this take-profit waited for is done: sell the level
		// now, before sync would size the order to the position again.
		m.takeProfit(ctx, edited.Level)
		return
	}
	m.sync(ctx)
}

// unknownExitReason is the exit reason of an order the state does not
// name: a bracket that filled untriggered sold at its take-profit; any
// other, the reason its journaled intent gave (NoteExit, at recovery, or
// kept when the Manager stopped waiting for its events); an attached
// bracket recovery did not note, the stop-loss it was attached with
// (attachedReason); else ReasonUnknown. The stop's rule now would be a
// guess: the order may have been sent for another rule, at another stop.
func (m *Manager) unknownExitReason(o exchange.Order) string {
	if soldAtTakeProfit(o.Type, o.Triggered) {
		return ReasonTakeProfit
	}
	if why, ok := m.exitWhy[o.ClientOrderID]; ok {
		return why
	}
	if o.Type == exchange.Bracket && o.OriginatingOrderID != "" {
		return ReasonStopLoss
	}
	return ReasonUnknown
}

// soldAtTakeProfit reports whether an exit order of type typ that fills
// sold at its take-profit: a bracket whose stop has not triggered (its
// limit leg filled). The stop leg's fill is the stop's rule.
func soldAtTakeProfit(typ exchange.OrderType, triggered bool) bool {
	return typ == exchange.Bracket && !triggered
}

// attachedReason is the reason of attached bracket o, which the Manager
// adopts without having placed it: the one journaled with it when
// recovery noted it (NoteExit: stop_loss as journaled when it was first
// seen, unknown for a row from before the journal kept reasons), else
// stop_loss, the stop Attach gives an entry's bracket. Never the stop's
// rule now: while the bracket was not seen, trailing or break-even may
// have raised the watched stop above the bracket's own.
func (m *Manager) attachedReason(o exchange.Order) string {
	if why, ok := m.exitWhy[o.ClientOrderID]; ok {
		return why
	}
	return ReasonStopLoss
}

// keepSoldAhead returns the part of sell fill f that the position holds,
// and keeps the rest in SoldAhead for the buy it sold, whose fill has not
// been booked yet. Dropped, that rest would leave the position holding
// base the venue has sold, while the risk guard, which books every fill
// as it comes, holds none: the instance would then try to sell it again
// and be refused, with no stop on the venue.
func (m *Manager) keepSoldAhead(f exchange.Fill, reason string) exchange.Fill {
	s := &m.s
	ahead := f.Size.Sub(s.Position.Size)
	if !ahead.IsPositive() {
		return f
	}
	early := f
	early.Size = ahead
	early.Fee = f.Fee.Mul(ahead).Div(f.Size)
	f.Size, f.Fee = s.Position.Size, f.Fee.Sub(early.Fee)
	s.SoldAhead = append(s.SoldAhead, SoldAhead{Fill: early, Reason: reason})
	m.d.Log.Warn("an exit sold more than the position holds; the rest waits for the buy it sold", "strategy", m.d.Strategy,
		"product", m.d.Product.ID, "client_order_id", f.ClientOrderID, "held", s.Position.Size, "sold_ahead", ahead)
	return f
}

// applySoldAhead books the sells kept in SoldAhead against the position
// a buy has just grown, in order, as far as it holds.
func (m *Manager) applySoldAhead() {
	s := &m.s
	for len(s.SoldAhead) > 0 && m.open() {
		f, reason := s.SoldAhead[0].Fill, s.SoldAhead[0].Reason
		if held := s.Position.Size; f.Size.GreaterThan(held) {
			// Part of it: the rest, and its share of the fee, waits on.
			fee := f.Fee.Mul(held).Div(f.Size)
			rest := &s.SoldAhead[0].Fill
			rest.Size, rest.Fee = rest.Size.Sub(held), rest.Fee.Sub(fee)
			f.Size, f.Fee = held, fee
		} else {
			s.SoldAhead = s.SoldAhead[1:]
		}
		if trip := s.Position.ApplyFill(f, reason); trip != nil {
			m.trips = append(m.trips, *trip)
			m.resetTrip()
		}
	}
	if len(s.SoldAhead) == 0 {
		s.SoldAhead = nil
	}
}

// tookProfit records take-profit level lvl as done: break-even may arm,
// and the stop may rise.
func (m *Manager) tookProfit(lvl int) {
	s := &m.s
	if lvl+1 > s.TakeProfitsDone {
		s.TakeProfitsDone = lvl + 1
	}
	if be := m.cfg.BreakEven; be != nil && be.AfterTakeProfit && !s.BreakEvenArmed {
		s.BreakEvenArmed = true
	}
	m.raiseStop()
}

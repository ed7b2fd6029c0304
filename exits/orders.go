package exits

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
	"github.com/tradebot/tradebot/internal/repeats"
)

// placeAttempts is how often one request is sent, under one client order
// id, before the Manager leaves it for the next tick.
const placeAttempts = 3

// maxEditRefusals is how many edits in a row the venue may refuse before
// the Manager stops asking and moves stops by cancel and replace.
const maxEditRefusals = 2

// bracketTriggerFactor is Coinbase's rule for a triggered bracket: its
// stop becomes a limit 5 % below the trigger.
var bracketTriggerFactor = decimal.New(95, -2)

// place sends req, again under the same client order id while the
// outcome is unknown; a refusal (*exchange.RejectError) is final.
func (m *Manager) place(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error) {
	var o exchange.Order
	var err error
	for range placeAttempts {
		o, err = m.d.Orders.Place(ctx, req)
		if err == nil || Refused(err) || ctx.Err() != nil {
			return o, err
		}
	}
	return o, err
}

func isReject(err error) bool {
	var rej *exchange.RejectError
	return errors.As(err, &rej)
}

// Refused reports whether err, from Orders.Place or Manager.Sell, is a
// definite no: the venue refused the request (*exchange.RejectError), or
// it never left (ErrNotSent). Either way no order exists under its
// client order id, and the next attempt takes a new one; any other error
// leaves the outcome unknown. The exits and the engine's strategy sells
// tell the two apart by this one rule.
func Refused(err error) bool { return isReject(err) || errors.Is(err, ErrNotSent) }

func rejectReason(err error) string {
	var rej *exchange.RejectError
	if errors.As(err, &rej) {
		return rej.Reason
	}
	return ""
}

// stopPassed reports a refusal of a stop the market has already passed.
func stopPassed(err error) bool {
	r := rejectReason(err)
	return r == exchange.ReasonStopAboveLastTrade || r == exchange.ReasonStopBelowLastTrade
}

// sync makes the venue's resting exit match what the position needs: one
// order, for the size held, at the current stop (moves rate-limited by
// update). It is the single place where resting orders are created,
// resized and moved.
func (m *Manager) sync(ctx context.Context) {
	s := &m.s
	s.NeedSync = false
	m.sendUnsentCancels(ctx)
	if m.held {
		s.NeedSync = true // Rearm syncs once recovery has fed every order
		return
	}
	if m.parked && m.cfg.Placement == InBot && m.open() {
		s.StaleFallback = true // stopping: nothing will watch a position opened after Park
	}
	if !m.open() {
		m.dropResting(ctx)
		return
	}
	if s.Market != nil {
		return // a market sell is working; what is left is handled when it ends
	}
	if m.awaitingOver(false) {
		s.NeedSync = true
		return
	}
	if s.PendingClose != "" {
		if m.closeNextTick {
			s.NeedSync = true // the next tick sends it
			return
		}
		reason := s.PendingClose
		s.PendingClose = ""
		_ = m.exitAll(ctx, reason, -1)
		return
	}
	if m.now().Before(m.nextTry) {
		s.NeedSync = true
		return
	}
	if m.cfg.Placement != OnExchange && !s.StaleFallback {
		m.dropResting(ctx) // the bot watches; nothing may rest
		return
	}
	if s.AwaitAttached && s.Resting == nil {
		return
	}
	size := m.Free()
	if !s.Stop.IsPositive() || m.dustResting(size, s.Stop) {
		// Watched: the venue would refuse an order this small.
		if r := s.Resting; r != nil && !r.Triggered && m.committed().IsPositive() {
			m.dropResting(ctx) // the strategy's sells hold the rest of the base
		}
		return
	}
	r := s.Resting
	switch {
	case r == nil:
		m.placeResting(ctx, size)
	case r.OrderID == "":
		m.sendResting(ctx) // the same client order id: learn what became of it
	case r.Triggered:
		// It works as a limit now; OnTick sells at market if the price
		// gaps below that limit.
	case r.waiting():
		// The venue has yet to place it or apply its edit; a change now
		// would be refused or race it. Asked again once it is done.
		if !r.remaining().Equal(size) || s.Stop.GreaterThan(r.Stop) {
			s.NeedSync = true
		}
	case !r.remaining().Equal(size):
		// A resize carries the current stop with it: one change, not two.
		m.modify(ctx, size, decimal.Max(s.Stop, r.Stop))
	case s.Stop.GreaterThan(r.Stop):
		// Break-even moves once, at a moment that matters (often right
		// after a take-profit), so it is not held back by update.
		breakEven := s.StopReason == ReasonBreakEven && r.Reason != ReasonBreakEven
		switch {
		case breakEven || m.moveDue(r.Stop):
			m.modify(ctx, size, s.Stop)
		case m.now().Sub(s.LastMove) < m.cfg.Update.MinInterval:
			s.NeedSync = true // due later: the next tick asks again
		}
		// Otherwise the step is too small; the next raise asks again.
	}
}

// dropResting cancels the resting exit, if any; a failed cancel is tried
// again on the next tick.
func (m *Manager) dropResting(ctx context.Context) {
	if m.s.Resting == nil {
		return
	}
	if err := m.cancelResting(ctx); err != nil {
		m.d.Log.Warn("cancel of the resting exit failed; trying again", "strategy", m.d.Strategy,
			"product", m.d.Product.ID, "error", err)
		m.s.NeedSync = true
	}
}

// moveDue reports whether the resting stop at cur may move to the current
// stop now: update.min_interval after the last move, and by at least
// update.min_step_percent of cur.
func (m *Manager) moveDue(cur decimal.Decimal) bool {
	u := m.cfg.Update
	if m.now().Sub(m.s.LastMove) < u.MinInterval {
		return false
	}
	return m.s.Stop.Sub(cur).Mul(hundred).GreaterThanOrEqual(cur.Mul(u.MinStepPercent))
}

// restingFor describes the order that protects size at stop: a bracket
// whose take-profit is the last level while one is left (on exchange
// placement), else a stop-limit.
func (m *Manager) restingFor(size, stop decimal.Decimal) RestingOrder {
	s, p := &m.s, m.d.Product
	r := RestingOrder{Size: size, Stop: stop, Reason: s.StopReason}
	if s.StaleFallback {
		r.Reason = ReasonFallback
	}
	n := len(m.lv.takeProfit)
	if m.cfg.Placement == OnExchange && !s.StaleFallback && n > 0 && s.TakeProfitsDone < n &&
		m.lv.takeProfit[n-1].GreaterThan(stop) {
		r.Type = exchange.Bracket
		r.Limit = m.lv.takeProfit[n-1]
		r.TriggerLimit = p.RoundPriceUp(stop.Mul(bracketTriggerFactor))
		return r
	}
	r.Type = exchange.StopLimit
	r.Limit = p.RoundLimit(exchange.Sell, pct(stop, m.cfg.StopLimitOffsetPercent, -1))
	r.TriggerLimit = r.Limit
	return r
}

func (m *Manager) request(r *RestingOrder) exchange.OrderRequest {
	req := exchange.OrderRequest{ClientOrderID: r.ClientOrderID, ProductID: m.d.Product.ID, Side: exchange.Sell,
		Type: r.Type, TimeInForce: exchange.GoodTilCancelled, BaseSize: r.Size, LimitPrice: r.Limit, StopPrice: r.Stop}
	if r.Type == exchange.StopLimit {
		req.StopDirection = exchange.StopDown
	}
	return req
}

// placeResting places a new resting exit for size.
func (m *Manager) placeResting(ctx context.Context, size decimal.Decimal) {
	r := m.restingFor(size, m.s.Stop)
	r.ClientOrderID = m.d.NewClientOrderID()
	m.s.Resting = &r
	m.sendResting(ctx)
}

// sendResting sends (or resends, same id) the resting order.
func (m *Manager) sendResting(ctx context.Context) {
	s := &m.s
	r := s.Resting
	o, err := m.place(ctx, m.request(r))
	if err == nil {
		m.refusalCleared()
		r.OrderID = o.ID
		r.Queued = o.Status == exchange.StatusQueued
		s.LastMove = m.now()
		if o.Status.Terminal() {
			// Sent before (a resend after an unknown outcome), and already
			// over: filled, cancelled or expired. It protects nothing; its
			// events book what it did, and a new order, under a new id,
			// takes its place.
			// The new one waits for those events: a fill among them
			// changes what is left to protect.
			r.OverAt = m.now()
			s.Cancelling = append(s.Cancelling, *r)
			s.Resting = nil
			s.NeedSync = true
		}
		return
	}
	log := m.d.Log.With("strategy", m.d.Strategy, "product", m.d.Product.ID, "client_order_id", r.ClientOrderID,
		"type", r.Type, "stop", r.Stop, "size", r.Size, "error", err)
	// Whatever the answer, the next attempt waits update.min_interval (or
	// for the cancel that frees the base): a refusal repeated on every
	// tick would flood the venue, the journal and the log.
	m.nextTry = m.now().Add(m.cfg.Update.MinInterval)
	s.NeedSync = true
	if !Refused(err) {
		m.logRefusal(log, slog.LevelWarn, "resting", err,
			"resting exit outcome unknown; watching the stop and asking again under the same id")
		return
	}
	s.Resting = nil
	switch {
	case stopPassed(err):
		m.logRefusal(log, slog.LevelWarn, "resting", err, "venue refused the stop: the price has passed it; selling at market")
		_ = m.exitAll(ctx, ReasonFallback, -1)
	case rejectReason(err) == exchange.ReasonInsufficientFund && (len(s.Cancelling) > 0 || m.overUnbooked()):
		// Placed again as soon as a cancelled order's end is booked
		// (onExit clears nextTry), else after update.min_interval.
		m.logRefusal(log, slog.LevelInfo, "resting", err, m.baseShortCause("placing"))
	default:
		m.logRefusal(log, slog.LevelError, "resting", err, "venue refused the resting exit; watching the stop in the bot")
	}
}

// modify changes the resting order to protect size at stop: by Edit when
// the venue can, else by cancel and replace. During a replace the bot
// watches the stop (Resting is nil) until the new order is accepted.
func (m *Manager) modify(ctx context.Context, size, stop decimal.Decimal) {
	s := &m.s
	r := s.Resting
	want := m.restingFor(size, stop)
	if want.Type != r.Type {
		m.replace(ctx, size)
		return
	}
	next := *r
	var e exchange.OrderEdit
	if !size.Equal(r.remaining()) {
		next.Size = r.Filled.Add(size)
		e.BaseSize = next.Size
	}
	if !stop.Equal(r.Stop) {
		next.Stop, e.StopPrice = stop, stop
		next.Reason, next.TriggerLimit = want.Reason, want.TriggerLimit
	}
	if !want.Limit.Equal(r.Limit) {
		next.Limit, e.LimitPrice = want.Limit, want.Limit
	}
	if m.canEdit {
		o, err := m.d.Orders.Edit(ctx, r.OrderID, e)
		if err == nil && o.Status == exchange.StatusEditQueued {
			// Accepted, not applied: the order works on its old terms
			// until an update shows the new ones (noteVenue).
			r.EditQueued = &QueuedEdit{Size: next.Size, Stop: next.Stop, Limit: next.Limit, TriggerLimit: next.TriggerLimit, Reason: next.Reason}
			m.editRefusals = 0
			return
		}
		if err == nil {
			*r = next
			s.LastMove = m.now()
			m.editRefusals = 0
			return
		}
		m.editRefusals++
		// A venue that refuses edits of this kind of order (Coinbase edits
		// only some) would cost a wasted request on every move: after
		// maxEditRefusals refusals in a row, go straight to cancel/replace.
		if errors.Is(err, ErrEditUnsupported) || m.editRefusals >= maxEditRefusals {
			m.canEdit = false
		}
		m.d.Log.Warn("edit of the resting exit refused; cancelling and replacing", "strategy", m.d.Strategy,
			"product", m.d.Product.ID, "order_id", r.OrderID, "error", err)
	}
	m.replace(ctx, size)
}

// replace cancels the resting order and places a new one for size. If the
// cancel fails the old order stays as it is (it may have filled; its
// events will tell) and the next tick tries again.
func (m *Manager) replace(ctx context.Context, size decimal.Decimal) {
	s := &m.s
	old := s.Resting
	if err := m.d.Orders.Cancel(ctx, old.OrderID); err != nil {
		m.d.Log.Warn("cancel of the resting exit failed; keeping it", "strategy", m.d.Strategy,
			"product", m.d.Product.ID, "order_id", old.OrderID, "error", err)
		m.nextTry = m.now().Add(m.cfg.Update.MinInterval)
		s.NeedSync = true
		return
	}
	s.Cancelling = append(s.Cancelling, *old)
	s.Resting = nil
	m.placeResting(ctx, size)
}

// overWait bounds how long new exit orders wait for the events of an
// order found already ended on the venue (OverAt). The engine delivers
// them right after it answers, so they come at once; if they never come
// (the executor had applied them all before), waiting longer would only
// leave the position with its stop watched instead of resting.
const overWait = 10 * time.Second

// overOrder is an exit order that may have been found already ended on
// the venue while its events were not booked yet: a resting exit being
// cancelled (Cancelling) or a strategy sell (Sells). Both wait for those
// events alike (awaitEvents).
type overOrder interface {
	// over is when it was found ended; zero while it is not.
	over() time.Time
	// ids are its client order id and venue order id.
	ids() (clientOrderID, orderID string)
	// why is the reason it was sent for.
	why() string
}

func (r *RestingOrder) over() time.Time                      { return r.OverAt }
func (r *RestingOrder) ids() (clientOrderID, orderID string) { return r.ClientOrderID, r.OrderID }
func (r *RestingOrder) why() string                          { return r.Reason }
func (s *StrategySell) over() time.Time                      { return s.OverAt }
func (s *StrategySell) ids() (clientOrderID, orderID string) { return s.ClientOrderID, s.OrderID }
func (s *StrategySell) why() string                          { return s.Reason }

// awaitEvents reports whether an order of list found ended on the venue
// still has its events to be booked, and forgets those waited for longer
// than overWait (what, "an exit" or "a strategy sell", names them in the
// log). A forgotten order's reason stays noted (NoteExit), so that an
// event of it that comes after all ends its round trip with that reason,
// not with whatever the stop's rule is by then.
func awaitEvents[T any, P interface {
	*T
	overOrder
}](m *Manager, list *[]T, what string) bool {
	l := *list
	waiting := false
	for i := 0; i < len(l); i++ {
		o := P(&l[i])
		at := o.over()
		if at.IsZero() {
			continue
		}
		if m.now().Sub(at) < overWait {
			waiting = true
			continue
		}
		cid, oid := o.ids()
		m.d.Log.Warn("no events came for "+what+" found ended on the venue; going on without them", "strategy", m.d.Strategy,
			"product", m.d.Product.ID, "client_order_id", cid, "order_id", oid)
		m.NoteExit(cid, o.why())
		l = append(l[:i], l[i+1:]...)
		i--
	}
	*list = l
	return waiting
}

// awaitingOver reports whether an exit order found ended on the venue
// (a resting exit, or a strategy sell) still has its events to be
// booked. New exit orders wait for them: a fill among them changes what
// is left to protect. sync asks only about the resting exits: a strategy
// sell found ended was cancelled (cancelSells), so the base it held is
// free already and the resting exit may cover it; a full exit asks about
// both (exitAll), since a fill of either changes what is left to sell.
func (m *Manager) awaitingOver(sellsToo bool) bool {
	if awaitEvents(m, &m.s.Cancelling, "an exit") {
		return true
	}
	return sellsToo && awaitEvents(m, &m.s.Sells, "a strategy sell")
}

// cancelResting cancels the resting order without replacing it.
func (m *Manager) cancelResting(ctx context.Context) error {
	s := &m.s
	r := s.Resting
	if r.OrderID == "" {
		// Outcome unknown: resend the same id to learn the order's id.
		o, err := m.place(ctx, m.request(r))
		if err != nil {
			if Refused(err) {
				s.Resting = nil
				return nil
			}
			return fmt.Errorf("resolve exit %s: %w", r.ClientOrderID, err)
		}
		r.OrderID = o.ID
		if o.Status.Terminal() {
			// Already over; its events book what it did, and whoever
			// wanted it gone waits for them (a fill changes what is held).
			r.OverAt = m.now()
			s.Cancelling = append(s.Cancelling, *r)
			s.Resting = nil
			return fmt.Errorf("exit %s: %w", r.ClientOrderID, ErrExitOver)
		}
	}
	if err := m.d.Orders.Cancel(ctx, r.OrderID); err != nil {
		if errors.Is(err, exchange.ErrOrderDone) {
			// It filled (or was cancelled) before the cancel reached it:
			// its events, on their way, book what it did.
			r.OverAt = m.now()
			s.Cancelling = append(s.Cancelling, *r)
			s.Resting = nil
			return fmt.Errorf("exit %s: %w", r.ClientOrderID, ErrExitOver)
		}
		return fmt.Errorf("cancel exit %s: %w", r.OrderID, err)
	}
	s.Cancelling = append(s.Cancelling, *r)
	s.Resting = nil
	return nil
}

// exitAll sells everything held at market for reason, completing
// take-profit level (or -1). It cancels the resting order first: on spot
// that order holds the base a sell needs.
func (m *Manager) exitAll(ctx context.Context, reason string, level int) error {
	s := &m.s
	if mk := s.Market; mk != nil {
		if mk.Level >= 0 || mk.Unsent {
			s.PendingClose = reason
		}
		return nil
	}
	if m.awaitingOver(true) {
		s.PendingClose, s.NeedSync = reason, true
		return fmt.Errorf("exit %s: an earlier exit order %w", reason, ErrExitOver)
	}
	if now := m.now(); now.Before(m.exitRetryAt) {
		return fmt.Errorf("exit %s: the venue refused the last market exit; next attempt at %s", reason, m.exitRetryAt.Format(time.RFC3339))
	}
	if err := m.cancelSells(ctx); err != nil {
		// They hold base the sale needs; one may have just filled.
		s.PendingClose, s.NeedSync = reason, true
		return fmt.Errorf("exit %s: %w", reason, err)
	}
	if s.Resting != nil {
		if err := m.cancelResting(ctx); err != nil {
			// It may have just filled; if not, the next tick tries again.
			s.PendingClose = reason
			s.NeedSync = true
			return err
		}
	}
	if m.dustAtMarket(s.Position.Size) { // rounded down to the increment, as the sale would be
		return m.dustRefusal(reason)
	}
	size := m.d.Product.RoundSize(s.Position.Size)
	s.Market = &MarketExit{ClientOrderID: m.d.NewClientOrderID(), Size: size, Reason: reason, Level: level, Unsent: true, Full: true}
	return m.sendMarket(ctx)
}

// dustRefusal is exitAll's answer for a position of dust: the error,
// logged at most once a minute. A stop or time stop the bot watches asks
// on every tick while the dust is held, so the error is built once for
// each reason and size (dustErr) and the logger only when a line is
// written.
func (m *Manager) dustRefusal(reason string) error {
	held, p := m.s.Position.Size, &m.d.Product
	de := &m.dustErr
	if de.err == nil || de.reason != reason || fastdecimal.Compare(de.size, held) != 0 {
		*de = dustError{reason: reason, size: held,
			err: fmt.Errorf("exit %s: %s %s held is dust, below the venue's minimum order (base_min_size %s, quote_min_size %s %s)",
				reason, held, p.BaseCurrency, p.BaseMinSize, p.QuoteMinSize, p.QuoteCurrency)}
	}
	logNow, unlogged := m.noteRefusal(dustCause)
	if logNow || m.d.Log.Enabled(context.Background(), slog.LevelDebug) {
		log := m.d.Log.With("strategy", m.d.Strategy, "product", p.ID, "reason", reason, "size", held, "error", de.err)
		writeRefusal(log, slog.LevelWarn, logNow, unlogged,
			"position is dust, which no order can sell; it stays in the position, watched, and is sold with the next exit that can be placed")
	}
	return de.err
}

// dustError is the error dustRefusal gave last, and what it was for.
type dustError struct {
	reason string
	size   decimal.Decimal
	err    error
}

// dustCause is the cause a dust refusal is logged under (logRefusal).
const dustCause = "dust:unknown"

// sendMarket sends the working market sell, under its client order id.
func (m *Manager) sendMarket(ctx context.Context) error {
	s := &m.s
	mk := s.Market
	req := exchange.OrderRequest{ClientOrderID: mk.ClientOrderID, ProductID: m.d.Product.ID, Side: exchange.Sell,
		Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, BaseSize: mk.Size}
	o, err := m.place(ctx, req)
	if err == nil {
		m.refusalCleared()
		mk.Unsent, mk.OrderID = false, o.ID
		return nil
	}
	log := m.d.Log.With("strategy", m.d.Strategy, "product", m.d.Product.ID, "client_order_id", mk.ClientOrderID,
		"reason", mk.Reason, "size", mk.Size, "error", err)
	switch {
	case !Refused(err):
		// Not rate-limited: the stop or a take-profit was reached, and
		// each attempt already took the executor's retries with backoff.
		m.logRefusal(log, slog.LevelWarn, "market", err, "market exit outcome unknown; sending again under the same id on the next tick")
	case rejectReason(err) == exchange.ReasonInsufficientFund && len(s.Cancelling) > 0:
		// The cancelled order still holds the base; a refused id made no
		// order, so the retry, when the cancel is confirmed (or after
		// update.min_interval), takes a new one.
		m.logRefusal(log, slog.LevelInfo, "market", err, m.baseShortCause("selling"))
		mk.ClientOrderID = m.d.NewClientOrderID()
		m.nextTry = m.now().Add(m.cfg.Update.MinInterval)
	default:
		m.logRefusal(log, slog.LevelError, "market", err, "venue refused the market exit; watching the stop and trying again after update.min_interval")
		s.Market = nil
		m.exitRetryAt = m.now().Add(m.cfg.Update.MinInterval)
		s.NeedSync = true
	}
	return fmt.Errorf("market exit %s (%s): %w", mk.ClientOrderID, mk.Reason, err)
}

// overUnbooked reports whether an exit order or a strategy sell was found
// already ended on the venue when it was to be cancelled, and its events
// are not booked yet: a sell that filled while its fill was on the way
// (as Park finds at shutdown) has sold base the position still counts.
func (m *Manager) overUnbooked() bool {
	return slices.ContainsFunc(m.s.Sells, func(s StrategySell) bool { return !s.OverAt.IsZero() }) ||
		slices.ContainsFunc(m.s.Cancelling, func(r RestingOrder) bool { return !r.OverAt.IsZero() })
}

// baseShortCause is the log message for an exit refused for want of base
// while orders are being cancelled, ending with what happens next (do:
// "placing" or "selling"): an order found already ended has most likely
// sold the base; otherwise the order whose cancel the venue has not
// confirmed still holds it.
func (m *Manager) baseShortCause(do string) string {
	if m.overUnbooked() {
		return "base probably sold by an order that ended before its cancel, not booked yet; " + do + " once it is"
	}
	return "base still held by the order being cancelled; " + do + " when it is gone"
}

// refusalLogEvery is how often a refusal of one cause is logged while it
// repeats: the first is logged, the repeats are counted and reported
// with the next line logged.
const refusalLogEvery = time.Minute

// maxRefusalCauses bounds the causes remembered: a handful per manager
// (kinds of order times the venue's reasons).
const maxRefusalCauses = 64

// logRefusal logs a refused (or unanswered) exit order once per cause:
// the kind of order and the venue's reason, or the refusal before
// sending, or an unknown outcome. Repeats of a cause within
// refusalLogEvery go to debug and are counted. A placement that succeeds
// forgets the causes (refusalCleared).
func (m *Manager) logRefusal(log *slog.Logger, level slog.Level, kind string, err error, msg string) {
	cause := kind + ":"
	switch {
	case isReject(err):
		cause += rejectReason(err)
	case errors.Is(err, ErrNotSent):
		cause += "not_sent"
	default:
		cause += "unknown"
	}
	logNow, unlogged := m.noteRefusal(cause)
	writeRefusal(log, level, logNow, unlogged, msg)
}

// noteRefusal books a refusal of cause now and reports whether it is to
// be logged, and how many of its repeats were not.
func (m *Manager) noteRefusal(cause string) (logNow bool, unlogged int) {
	if m.refusals == nil {
		m.refusals = repeats.New[string](refusalLogEvery, maxRefusalCauses)
	}
	return m.refusals.Note(cause, m.now())
}

// writeRefusal writes logRefusal's line: at level when logNow, with the
// repeats not logged since; else at debug.
func writeRefusal(log *slog.Logger, level slog.Level, logNow bool, unlogged int, msg string) {
	if !logNow {
		log.Debug(msg, "repeat", unlogged)
		return
	}
	if unlogged > 0 {
		log = log.With("repeats_not_logged", unlogged)
	}
	log.Log(context.Background(), level, msg)
}

// refusalCleared forgets the refusals logged once an exit order is
// accepted, so that the next refusal is logged whatever its cause.
func (m *Manager) refusalCleared() {
	if m.refusals != nil {
		m.refusals.Reset()
	}
}

// takeProfit sells take-profit level lvl at market: close times the size
// at entry, or everything at the last level, and everything when what
// would be left is below the minimum order size.
func (m *Manager) takeProfit(ctx context.Context, lvl int) {
	s, p := &m.s, m.d.Product
	if m.now().Before(m.exitRetryAt) {
		return // the last market exit was refused; asked again on a later tick
	}
	held := p.RoundSize(s.Position.Size)
	size := held
	if lvl < len(m.lv.takeProfit)-1 {
		size = decimal.Min(held, p.RoundSize(m.cfg.TakeProfit[lvl].Close.Mul(s.EntrySize)))
		// What stays must be sellable by the stop as well as now.
		if left := held.Sub(size); left.IsPositive() && (m.dustAtMarket(left) || s.Stop.IsPositive() && m.dustResting(left, s.Stop)) {
			size = held
		}
	}
	if m.dustAtMarket(size) {
		m.d.Log.Warn("take-profit level below the minimum order size; skipped", "strategy", m.d.Strategy,
			"product", p.ID, "level", lvl, "size", size)
		s.TakeProfitsDone = lvl + 1
		return
	}
	if size.Equal(held) {
		_ = m.exitAll(ctx, ReasonTakeProfit, lvl)
		return
	}
	if r := s.Resting; r != nil {
		if r.OrderID == "" || r.Triggered || r.waiting() {
			s.NeedSync = true // asked again on a later tick
			return
		}
		// The resting order holds all the base: shrink it to what stays.
		if !r.remaining().Equal(held.Sub(size)) { // not shrunk already by an edit the venue applied late
			m.modify(ctx, held.Sub(size), r.Stop)
		}
		if r := s.Resting; r != nil && r.EditQueued != nil {
			// The venue applies the shrink later; the level is sold then.
			e := *r.EditQueued
			e.TakeProfit, e.Level = true, lvl
			r.EditQueued = &e
			return
		}
		if s.Market != nil {
			return // the replacement was refused and became a full exit
		}
		if r := s.Resting; r != nil && r.remaining().GreaterThan(held.Sub(size)) {
			s.NeedSync = true // not shrunk: try again on the next tick
			return
		}
	}
	s.Market = &MarketExit{ClientOrderID: m.d.NewClientOrderID(), Size: size, Reason: ReasonTakeProfit, Level: lvl, Unsent: true}
	_ = m.sendMarket(ctx)
}

package exits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// StrategySell is a sell the strategy placed itself (a grid's limit sell
// of one lot, resting above the market). On spot it holds the base it
// would sell, so the resting exit cannot cover that base: the Manager
// keeps every one, sizes the resting exit to what is held and not on
// sale, and watches the stop for the whole position in the bot (see
// Sell).
type StrategySell struct {
	ClientOrderID string `json:"client_order_id"`
	// OrderID is empty while the placement's outcome is unknown.
	OrderID string `json:"order_id"`
	// Size is the order's base size and Filled what of it has filled.
	Size   decimal.Decimal `json:"size"`
	Filled decimal.Decimal `json:"filled"`
	// Reason is the strategy's, the exit reason of the round trip its
	// fill may end.
	Reason string `json:"reason"`
	// Cancelled: the venue accepted its cancel (the base it held is free);
	// it stays until its end is booked, since a fill may still be on its
	// way.
	Cancelled bool `json:"cancelled,omitempty"`
	// OverAt is when it was found already ended on the venue while its
	// events were not booked yet; a full exit waits for them, for at most
	// overWait.
	OverAt time.Time `json:"over_at,omitzero"`
}

// onSale is the base the sell still holds on the venue.
func (s *StrategySell) onSale() decimal.Decimal {
	if s.Cancelled {
		return decimal.Zero
	}
	return decimal.Max(s.Size.Sub(s.Filled), decimal.Zero)
}

// committed is the base held by the strategy's sells.
func (m *Manager) committed() decimal.Decimal {
	var c decimal.Decimal
	for i := range m.s.Sells {
		c = c.Add(m.s.Sells[i].onSale())
	}
	return c
}

// Free returns the base the position holds that no strategy sell has on
// sale: the most a new strategy sell may sell, and what the resting exit
// covers.
func (m *Manager) Free() decimal.Decimal {
	return decimal.Max(m.d.Product.RoundSize(m.s.Position.Size).Sub(m.committed()), decimal.Zero)
}

// Sell places a sell of the strategy's own, req (a limit or a market
// order, sized in base), through Orders, as reduce-only: it is refused
// (an error wrapping ErrNotSent) when req.BaseSize is more than Free, or
// while a full exit sells the position, recovery holds orders or the
// daemon stops. The resting exit shrinks first to what stays free (on
// spot it holds all the base it covers); if that leaves less than the
// venue's minimum, it is cancelled. From then on the bot watches the stop
// for the whole position: when the price reaches it, the strategy's
// sells are cancelled and everything is sold at market, as for a stop
// the bot watches (fire and exitAll).
//
// An error that does not wrap ErrNotSent and is not a
// *exchange.RejectError leaves the outcome unknown: the sell stays on
// sale until its events say what became of it.
func (m *Manager) Sell(ctx context.Context, req exchange.OrderRequest, reason string) (exchange.Order, error) {
	s := &m.s
	switch {
	case m.held:
		return exchange.Order{}, fmt.Errorf("sell: recovery is applying the venue's orders (%w)", ErrNotSent)
	case m.parked:
		return exchange.Order{}, fmt.Errorf("sell: %w (%w)", ErrStopping, ErrNotSent)
	case s.Market != nil || s.PendingClose != "":
		return exchange.Order{}, fmt.Errorf("sell: an exit is selling the whole position (%w)", ErrNotSent)
	case req.Side != exchange.Sell || !req.BaseSize.IsPositive():
		return exchange.Order{}, fmt.Errorf("sell: a sell sized in base is needed (%w)", ErrNotSent)
	}
	free := m.Free()
	if req.BaseSize.GreaterThan(free) {
		return exchange.Order{}, fmt.Errorf("sell of %s %s: only %s held and not already on sale (reduce-only; %w)",
			req.BaseSize, m.d.Product.BaseCurrency, free, ErrNotSent)
	}
	if err := m.makeRoom(ctx, free.Sub(req.BaseSize)); err != nil {
		return exchange.Order{}, fmt.Errorf("sell: %w (%w)", err, ErrNotSent)
	}
	if reason == "" {
		reason = ReasonSignal
	}
	s.Sells = append(s.Sells, StrategySell{ClientOrderID: req.ClientOrderID, Size: req.BaseSize, Reason: reason})
	o, err := m.place(ctx, req)
	i := m.sellIndex(req.ClientOrderID)
	switch {
	case err == nil:
		if i >= 0 && o.ID != "" {
			s.Sells[i].OrderID = o.ID
		}
	case Refused(err):
		if i >= 0 {
			s.Sells = append(s.Sells[:i], s.Sells[i+1:]...)
		}
		s.NeedSync = true // the resting exit may cover the base again
	}
	return o, err
}

// makeRoom shrinks the resting exit to cover at most keep, so that the
// base above it is free for a strategy sell.
func (m *Manager) makeRoom(ctx context.Context, keep decimal.Decimal) error {
	s := &m.s
	r := s.Resting
	if r == nil || r.remaining().LessThanOrEqual(keep) {
		return nil
	}
	if r.OrderID == "" || r.Triggered || r.waiting() {
		// A queued order or edit is left to the venue, as sync and
		// takeProfit leave it: an edit now would stack on it.
		s.NeedSync = true
		return errors.New("the resting stop is being placed, has triggered or waits for the venue; try again")
	}
	if m.dustResting(keep, decimal.Max(s.Stop, r.Stop)) {
		if err := m.cancelResting(ctx); err != nil {
			s.NeedSync = true
			return err
		}
		return nil
	}
	m.modify(ctx, keep, decimal.Max(s.Stop, r.Stop))
	if s.Market != nil {
		return errors.New("the resting stop's replacement was refused; the position is being sold")
	}
	if r := s.Resting; r != nil && r.remaining().GreaterThan(keep) {
		s.NeedSync = true
		return errors.New("the resting stop did not shrink; try again")
	}
	return nil
}

func (m *Manager) sellIndex(clientOrderID string) int {
	for i := range m.s.Sells {
		if m.s.Sells[i].ClientOrderID == clientOrderID {
			return i
		}
	}
	return -1
}

// foundSell reports whether o is a live limit sell of this instance that
// the Manager's state does not name: the exits never place limit sells,
// so it is a strategy sell a killed run placed but did not save (its
// journal row brings it back at recovery). It holds base, so it is
// counted as on sale from now on.
func (m *Manager) foundSell(o exchange.Order) bool {
	return o.ID != "" && o.Side == exchange.Sell && o.Type == exchange.Limit && !o.Status.Terminal() &&
		o.Status != exchange.StatusPending && o.BaseSize.GreaterThan(o.FilledSize)
}

// takeFoundSell adopts a found strategy sell.
func (m *Manager) takeFoundSell(o exchange.Order) int {
	m.d.Log.Warn("found a strategy sell the exit state did not name (placed by a run that stopped before saving it); counted as on sale",
		"strategy", m.d.Strategy, "product", m.d.Product.ID, "client_order_id", o.ClientOrderID, "order_id", o.ID, "size", o.BaseSize)
	reason, ok := m.exitWhy[o.ClientOrderID] // the strategy's, from the journal
	if !ok {
		reason = ReasonSignal
	}
	delete(m.exitWhy, o.ClientOrderID) // the state holds it now
	m.s.Sells = append(m.s.Sells, StrategySell{ClientOrderID: o.ClientOrderID, OrderID: o.ID, Size: o.BaseSize,
		Filled: o.FilledSize, Reason: reason})
	return len(m.s.Sells) - 1
}

// cancelSells cancels every strategy sell before a full exit or a park:
// on spot they hold base the market sell or the stop needs. It returns
// an error when one cannot be cancelled now (its outcome is unknown, or
// the cancel failed: the caller tries again) or has just ended on the
// venue (ErrExitOver: its events, which may book a fill, come first).
func (m *Manager) cancelSells(ctx context.Context) error {
	var errs []error
	for i := range m.s.Sells {
		sl := &m.s.Sells[i]
		if sl.Cancelled {
			continue
		}
		if sl.OrderID == "" {
			errs = append(errs, fmt.Errorf("strategy sell %s: outcome unknown; waiting for the venue", sl.ClientOrderID))
			continue
		}
		err := m.d.Orders.Cancel(ctx, sl.OrderID)
		switch {
		case err == nil:
			sl.Cancelled = true
		case errors.Is(err, exchange.ErrOrderDone):
			sl.Cancelled, sl.OverAt = true, m.now()
			errs = append(errs, fmt.Errorf("strategy sell %s: %w", sl.ClientOrderID, ErrExitOver))
		default:
			errs = append(errs, fmt.Errorf("cancel strategy sell %s: %w", sl.OrderID, err))
		}
	}
	return errors.Join(errs...)
}

// onSell books an event of strategy sell i: its fill shrinks the position
// (and may end the round trip, with the strategy's reason), its end frees
// the base it held for the resting exit.
func (m *Manager) onSell(ctx context.Context, i int, o exchange.Order, f *exchange.Fill) {
	s := &m.s
	sl := &s.Sells[i]
	if o.ID != "" {
		sl.OrderID = o.ID
	}
	if o.FilledSize.GreaterThan(sl.Filled) {
		sl.Filled = o.FilledSize
	}
	reason := sl.Reason
	if f != nil && f.Side == exchange.Sell {
		fill := m.keepSoldAhead(*f, reason)
		if fill.Size.IsPositive() {
			if trip := s.Position.ApplyFill(fill, reason); trip != nil {
				m.trips = append(m.trips, *trip)
				m.resetTrip()
			}
		}
	}
	if o.Status.Terminal() {
		s.Sells = append(s.Sells[:i], s.Sells[i+1:]...)
		if o.Status == exchange.StatusFilled {
			m.count(ReasonSignal)
		}
		m.nextTry = time.Time{} // the base it held may go to the resting exit now
	}
	m.sync(ctx)
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tradebot/tradebot/exchange"
)

// Settle, at shutdown and after StopEntries, learns what the instances
// cannot see: it resolves every order whose outcome is unknown
// (ResolveInFlight) and asks the venue for the state of every entry still
// working, which an entry sent while the user channel was down may have
// filled unseen, and applies the answers, so that the owning instances
// arm protection for what filled before Park rests it. It cancels the
// entries the venue still has open: one that filled after the process
// exits would be a position nobody protects until the next start. Call
// it while the instances' goroutines still run, with the deadline of the
// shutdown; Unresolved then says what is left. It returns how many
// orders it asked the venue about: in flight, and entries working.
func (e *Engine) Settle(ctx context.Context) (asked int) {
	asked = e.exec.ResolveInFlight(ctx)
	working := e.exec.workingEntries()
	asked += len(working)
	for _, id := range working {
		if ctx.Err() != nil {
			return asked
		}
		o, err := e.exec.venue.OrderByClientID(ctx, id)
		if err != nil {
			e.log.Warn("shutdown: entry state unavailable", "client_order_id", id, "error", err)
			continue
		}
		e.exec.handleAnswer(id, o)
		if o.Status.Terminal() || o.ID == "" {
			continue
		}
		if err := e.exec.venue.CancelOrder(ctx, o.ID); err != nil {
			e.log.Warn("shutdown: working entry not cancelled", "client_order_id", id, "error", err)
			continue
		}
		if o, err = e.exec.venue.OrderByClientID(ctx, id); err == nil {
			e.exec.handleAnswer(id, o)
		}
	}
	return asked
}

// settleExits, at shutdown after Park, asks the venue about every exit
// order still tracked whose outcome is known and applies the answers: an
// exit that ended while its events were on the way (a strategy sell Park
// found filled when it cancelled it) is booked now, and its instance
// protects what is left. It returns how many it applied.
func (e *Engine) settleExits(ctx context.Context) int {
	n := 0
	for _, o := range e.exec.workingExits() {
		if ctx.Err() != nil {
			return n
		}
		got, err := lookUp(ctx, e.exec.venue, o)
		if err != nil {
			e.log.Warn("shutdown: exit state unavailable", "client_order_id", o.ClientOrderID, "order_id", o.ID, "error", err)
			continue
		}
		e.exec.handleAnswer(o.ClientOrderID, got)
		n++
	}
	return n
}

// workingExits returns the exit orders tracked and not ended whose
// outcome is known (the venue acknowledged them), by client order id.
func (e *Executor) workingExits() []exchange.Order {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []exchange.Order
	for id, t := range e.orders {
		if t.intent.Purpose == exchange.Exit && !t.inFlight && t.order.ID != "" {
			o := t.order
			o.ClientOrderID = id
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b exchange.Order) int { return strings.Compare(a.ClientOrderID, b.ClientOrderID) })
	return out
}

// workingEntries returns the client order ids of the entries tracked and
// not ended whose outcome is known (the venue acknowledged them).
func (e *Executor) workingEntries() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for id, t := range e.orders {
		if t.intent.Purpose == exchange.Entry && !t.inFlight {
			ids = append(ids, id)
		}
	}
	return ids
}

// Unresolved lists, after Settle and Park, what shutdown leaves to chance,
// each with what the operator should check: orders whose outcome is still
// unknown, entries still working, and open positions whose stop does not
// rest on the venue. The instances' goroutines must still run; ctx bounds
// the wait for them.
func (e *Engine) Unresolved(ctx context.Context) []error {
	var out []error
	e.exec.mu.Lock()
	for id, t := range e.exec.orders {
		switch {
		case t.inFlight:
			out = append(out, fmt.Errorf("order %s (%s, %s): outcome unknown; look it up by client order id in Coinbase's "+
				"order history, and protect what it filled by hand if the next start does not", id, t.intent.Instance, t.intent.Purpose))
		case t.intent.Purpose == exchange.Entry:
			out = append(out, fmt.Errorf("entry %s (%s): still working on the venue; cancel it in Coinbase or it may fill "+
				"unprotected until the next start", id, t.intent.Instance))
		}
	}
	e.exec.mu.Unlock()
	var mu sync.Mutex
	err := e.onEveryInstance(ctx, func(in *Instance) message {
		return message{command: func() {
			pos, prot := in.exits.Position(), in.exits.Protection()
			switch {
			case pos.Size.IsPositive() && prot.Queued:
				mu.Lock()
				out = append(out, fmt.Errorf("%s holds %s %s whose stop Coinbase has accepted but not yet put on the book "+
					"(QUEUED); check in Coinbase that it comes to rest, or start the daemon again", in.name, pos.Size, in.product.ID))
				mu.Unlock()
			case pos.Size.IsPositive() && !prot.Resting:
				mu.Lock()
				out = append(out, fmt.Errorf("%s holds %s %s with no stop resting on the venue; place one in Coinbase "+
					"or start the daemon again", in.name, pos.Size, in.product.ID))
				mu.Unlock()
			}
		}}
	})
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		out = append(out, errors.New("the instances did not answer in time: check every open position's stop in Coinbase"))
	}
	return append([]error(nil), out...)
}

// EndMissing ends the tracked order whose venue id the venue no longer
// knows (it answers 404), as failed with reason and with the execution
// already applied, so that its instance arms protection again instead of
// counting on it. It returns the order's client order id, or false when
// the order is not tracked.
func (e *Executor) EndMissing(orderID, reason string) (string, bool) {
	e.mu.Lock()
	id := e.byVenueID[orderID]
	t := e.orders[id]
	var o exchange.Order
	if t != nil {
		o = t.order
	}
	e.mu.Unlock()
	if t == nil {
		return "", false
	}
	o.ID, o.ClientOrderID = orderID, id
	o.Status, o.RejectReason = exchange.StatusFailed, reason
	e.HandleEvent(exchange.OrderEvent{Order: o})
	return id, true
}

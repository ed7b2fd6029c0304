package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/strategy"
)

// JournaledOrder is an order the journal knows is not finished: in
// flight (the venue never answered) or open.
type JournaledOrder struct {
	Instance string
	Purpose  Purpose
	Order    exchange.Order
}

// RecoveryJournal is what recovery reads from the journal; package daemon
// adapts the SQLite journal to it.
type RecoveryJournal interface {
	OpenOrders() ([]JournaledOrder, error)
	InstanceState(instance string) (exitState, strategyState []byte, err error)
}

// RecoveryReport says what start-up recovery found and did.
type RecoveryReport struct {
	// Restored counts instances whose state came from the journal.
	Restored int
	// Resolved counts journaled orders the venue answered about; Missing
	// those the venue does not know (never arrived: they are closed as
	// failed, and protection is placed again under new ids).
	Resolved, Missing int
	// Adopted counts fills that happened while the daemon was down.
	Adopted int
	// Unknown lists open orders on the venue that the journal does not
	// know (manual trades); they are left alone.
	Unknown []exchange.Order
	// OpenPositions counts instances holding a position after recovery.
	OpenPositions int
}

// Recover brings every instance back to where it was before a restart,
// before any new entry (DESIGN.md invariant 4): it restores exit and
// strategy state from the journal, asks the venue about every order the
// journal says is open or in flight and applies the answers (fills that
// happened while the daemon was down, including exits that filled on the
// venue, reach the positions), reports open orders the journal does not
// know, and lets each instance re-arm its protection. It runs on the
// calling goroutine, before Run.
func (e *Engine) Recover(ctx context.Context, j RecoveryJournal, venue exchange.Trader) (RecoveryReport, error) {
	var rep RecoveryReport
	for _, in := range e.instances {
		exitState, stratState, err := j.InstanceState(in.name)
		if err != nil {
			return rep, err
		}
		if len(exitState) > 0 {
			var s exits.State
			if err := json.Unmarshal(exitState, &s); err != nil {
				return rep, fmt.Errorf("instance %s: journaled exit state: %w", in.name, err)
			}
			in.exits.Restore(s)
			rep.Restored++
		}
		if st, ok := in.strat.(strategy.Stateful); ok && len(stratState) > 0 {
			if err := st.UnmarshalState(stratState); err != nil {
				in.log.Warn("strategy state not restored; it warms up again", "strategy", in.name, "error", err)
			}
		}
	}

	open, err := j.OpenOrders()
	if err != nil {
		return rep, err
	}
	known := map[string]bool{}
	for _, jo := range open {
		known[jo.Order.ClientOrderID] = true
		if jo.Order.ID != "" {
			known[jo.Order.ID] = true
		}
		if e.exec.instances[jo.Instance] == nil {
			e.log.Warn("journaled order of an instance no longer configured; left alone",
				"instance", jo.Instance, "client_order_id", jo.Order.ClientOrderID)
			continue
		}
		e.exec.adopt(jo)
		o, err := venue.OrderByClientID(ctx, jo.Order.ClientOrderID)
		switch {
		case errors.Is(err, exchange.ErrOrderNotFound):
			rep.Missing++
			failed := jo.Order
			failed.Status, failed.RejectReason = exchange.StatusFailed, "NOT_FOUND_AFTER_RESTART"
			e.exec.HandleEvent(exchange.OrderEvent{Order: failed})
		case err != nil:
			return rep, fmt.Errorf("recover order %s: %w", jo.Order.ClientOrderID, err)
		default:
			rep.Resolved++
			before := e.exec.filledOf(o.ClientOrderID)
			e.exec.accepted(o.ClientOrderID, o)
			e.exec.HandleEvent(exchange.OrderEvent{Order: o})
			if o.FilledSize.GreaterThan(before) {
				rep.Adopted++
			}
		}
	}
	e.Drain(ctx)

	live, err := venue.OpenOrders(ctx, "")
	if err != nil {
		return rep, fmt.Errorf("recover: open orders on the venue: %w", err)
	}
	for _, o := range live {
		if known[o.ClientOrderID] || known[o.ID] || e.exec.tracks(o) {
			continue
		}
		rep.Unknown = append(rep.Unknown, o)
		e.log.Warn("open order on the venue that the journal does not know (a manual order?); left alone",
			"order_id", o.ID, "client_order_id", o.ClientOrderID, "product", o.ProductID, "side", o.Side, "type", o.Type)
	}
	for _, in := range e.instances {
		pos := in.exits.Position()
		// The guard refuses an exit larger than the position it knows,
		// so it learns the recovered positions before protection is
		// placed again.
		e.guard.SetPosition(in.name, in.product.ID, pos.Size, pos.Size.Mul(pos.AvgEntry))
		if pos.Size.IsPositive() {
			rep.OpenPositions++
		}
		in.exits.Rearm(ctx)
		in.applied = in.applied[:0]
		in.saveProgress()
	}
	e.Drain(ctx)
	return rep, nil
}

// adopt tracks a journaled order again, with the execution the journal
// already applied, so that only what is new is booked.
func (e *Executor) adopt(jo JournaledOrder) {
	o := jo.Order
	e.mu.Lock()
	defer e.mu.Unlock()
	e.orders[o.ClientOrderID] = &trackedOrder{instance: jo.Instance, purpose: jo.Purpose, req: o.OrderRequest,
		order: o, inFlight: o.ID == "", filled: o.FilledSize, filledValue: o.FilledValue, fees: o.TotalFees}
	if o.ID != "" {
		e.byVenueID[o.ID] = o.ClientOrderID
	}
}

func (e *Executor) filledOf(clientOrderID string) decimal.Decimal {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.orders[clientOrderID]; t != nil {
		return t.filled
	}
	return decimal.Zero
}

func (e *Executor) tracks(o exchange.Order) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.orders[o.ClientOrderID]; ok {
		return true
	}
	_, ok := e.byVenueID[o.ID]
	return ok
}

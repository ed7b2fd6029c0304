package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/strategy"
)

// JournaledOrder is an order the journal knows is not finished: in
// flight (the venue never answered) or open.
type JournaledOrder struct {
	Instance string
	Purpose  exchange.Purpose
	// Reason is why the order was sent, as journaled with its intent (for
	// an exit, the rule's or the strategy's reason); empty when the
	// journal did not keep it.
	Reason string
	Order  exchange.Order
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
	// Phantoms lists, as "client order id (venue id)", the journaled
	// orders the venue had acknowledged and now does not know: the
	// journal holds what the exchange does not, which an operator must
	// resolve (docs/JOURNAL.md, Phantoms). They are among Missing.
	Phantoms []string
}

// Recover brings every instance back to where it was before a restart,
// before any new entry (docs/INVARIANTS.md invariant 4): it restores exit and
// strategy state from the journal, asks the venue about every order the
// journal says is open or in flight and applies the answers (fills that
// happened while the daemon was down, including exits that filled on the
// venue, reach the positions), reports open orders the journal does not
// know, and lets each instance re-arm its protection. It runs on the
// calling goroutine, before Run.
func (e *Engine) Recover(ctx context.Context, j RecoveryJournal, venue exchange.Trader) (RecoveryReport, error) {
	var rep RecoveryReport
	for _, in := range e.instances {
		in.recovering = true
	}
	defer func() {
		for _, in := range e.instances {
			in.recovering = false
		}
	}()
	for _, in := range e.instances {
		// Nothing new is placed while the venue's view of the journal's
		// orders is applied: an exit the killed run placed but did not
		// save must be found and adopted before Rearm places what is
		// missing, not doubled by the entry fill applied before it.
		in.exits.HoldOrders()
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

	// The guard refuses an exit larger than the position it knows: it
	// learns the restored positions before any event is applied (the
	// events below may place exits), and the recovered ones at the end.
	for _, in := range e.instances {
		pos := in.exits.Position()
		e.guard.SetPosition(in.name, in.product.ID, pos.Size, pos.Size.Mul(pos.AvgEntry))
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
		e.exec.instances[jo.Instance].adoptWorking(jo)
		e.exec.adopt(jo)
		o, err := lookUp(ctx, venue, jo.Order)
		if err == nil {
			if err := e.exec.noteJournaled(j, jo, o.ID); err != nil {
				return rep, fmt.Errorf("recover order %s: %w", jo.Order.ClientOrderID, err)
			}
		}
		switch {
		case errors.Is(err, exchange.ErrOrderNotFound):
			rep.Missing++
			if jo.Order.ID != "" {
				rep.Phantoms = append(rep.Phantoms, jo.Order.ClientOrderID+" ("+jo.Order.ID+")")
			}
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
	for _, in := range e.instances {
		n, err := e.resolveExitState(ctx, j, venue, in)
		if err != nil {
			return rep, err
		}
		rep.Resolved += n
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
		if e.adoptOrphanBracket(j, o) {
			rep.Adopted++
			continue
		}
		rep.Unknown = append(rep.Unknown, o)
		if o.Type == exchange.Unsupported {
			e.exec.unsupported.report(e.log, o)
			continue
		}
		e.log.Warn("open order on the venue that the journal does not know (a manual order?); left alone",
			"order_id", o.ID, "client_order_id", o.ClientOrderID, "product", o.ProductID, "side", o.Side, "type", o.Type)
	}
	for _, in := range e.instances {
		if in.exits.Position().Size.IsPositive() {
			if err := e.recoverAttached(ctx, j, venue, in.name); err != nil {
				return rep, err
			}
		}
	}
	e.Drain(ctx)
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

// adoptWorking makes a journaled order of the strategy's own one of its
// working orders again, before recovery applies the venue's view of it,
// so that the strategy hears of the fills and ends it missed while the
// daemon was down and knows its open orders (a grid re-places none that
// still rest): its buys (entries), and its sells, which the exits
// manager sends as exits and which are the only limit sells.
func (in *Instance) adoptWorking(jo JournaledOrder) {
	o := jo.Order
	if jo.Purpose == exchange.Exit && !o.Status.Terminal() {
		// An exit the restored state may not name (sent just before the
		// kill): its fill ends the round trip with the journaled reason.
		in.exits.NoteExit(o.ClientOrderID, jo.Reason)
	}
	ours := jo.Purpose == exchange.Entry || (o.Side == exchange.Sell && o.Type == exchange.Limit)
	for _, sl := range in.exits.State().Sells {
		if sl.ClientOrderID == o.ClientOrderID {
			ours = true
		}
	}
	if !ours || o.ClientOrderID == "" || o.Status.Terminal() {
		return
	}
	if _, ok := in.working[o.ClientOrderID]; !ok {
		in.working[o.ClientOrderID] = &workingOrder{order: o}
	}
}

// resolveExitState asks the venue about every exit order that an
// instance's restored exit state names and that recovery has not met
// among the journal's open orders: the journal may hold it as finished
// while the exit state, saved earlier, still counts on it (a failure is
// journaled at once, the state with the next event), or it may hold no
// row for it at all. Left alone, the exits manager would send it again
// under its old client order id, which the venue answers with the old
// order whatever the new request says, or which the journal refuses as a
// duplicate. Each is applied as the venue reports it: an order found
// books what it did and is tracked while it lives; one the venue does not
// know is closed as failed, so that the manager places protection again
// under a new id. It returns how many it asked about.
func (e *Engine) resolveExitState(ctx context.Context, j RecoveryJournal, venue exchange.Trader, in *Instance) (int, error) {
	st := in.exits.State()
	var refs []exchange.Order
	ref := func(clientOrderID, orderID string) {
		if clientOrderID != "" || orderID != "" {
			refs = append(refs, exchange.Order{ID: orderID, OrderRequest: exchange.OrderRequest{
				ClientOrderID: clientOrderID, ProductID: in.product.ID, Side: exchange.Sell}})
		}
	}
	if r := st.Resting; r != nil {
		ref(r.ClientOrderID, r.OrderID)
	}
	for _, c := range st.Cancelling {
		ref(c.ClientOrderID, c.OrderID)
	}
	if mk := st.Market; mk != nil {
		ref(mk.ClientOrderID, mk.OrderID)
	}
	for _, sl := range st.Sells {
		ref(sl.ClientOrderID, sl.OrderID)
	}
	n := 0
	for _, want := range refs {
		if (want.ClientOrderID != "" && e.exec.tracksClientID(want.ClientOrderID)) || (want.ID != "" && e.exec.tracksVenueID(want.ID)) {
			continue
		}
		jo := JournaledOrder{Instance: in.name, Purpose: exchange.Exit, Order: want}
		if ej, ok := j.(EntryJournal); ok && want.ClientOrderID != "" {
			prev, found, err := ej.JournaledOrder(want.ClientOrderID)
			if err != nil {
				return n, fmt.Errorf("recover exit %s of %s: %w", want.ClientOrderID, in.name, err)
			}
			if found {
				jo = prev
				if jo.Order.ID == "" {
					jo.Order.ID = want.ID
				}
				// Its journaled execution is what the restored position
				// has applied: SaveProgress writes both at once.
				jo.Instance, jo.Purpose = in.name, exchange.Exit
			}
		}
		if jo.Order.ClientOrderID == "" {
			jo.Order.ClientOrderID = want.ID
		}
		o, err := lookUp(ctx, venue, jo.Order)
		if err != nil && !errors.Is(err, exchange.ErrOrderNotFound) {
			return n, fmt.Errorf("recover exit %s of %s: %w", jo.Order.ClientOrderID, in.name, err)
		}
		n++
		jo.Order.Status = exchange.StatusPending
		in.adoptWorking(jo)
		e.exec.adopt(jo)
		if err == nil {
			if ferr := e.exec.noteJournaled(j, jo, o.ID); ferr != nil {
				return n, fmt.Errorf("recover exit %s of %s: %w", jo.Order.ClientOrderID, in.name, ferr)
			}
		}
		if errors.Is(err, exchange.ErrOrderNotFound) {
			failed := jo.Order
			failed.Status, failed.RejectReason = exchange.StatusFailed, "NOT_FOUND_AFTER_RESTART"
			failed.FilledSize, failed.FilledValue, failed.TotalFees = decimal.Zero, decimal.Zero, decimal.Zero
			e.log.Warn("recover: an exit order of the restored state is unknown to the venue; placing protection again",
				"instance", in.name, "client_order_id", jo.Order.ClientOrderID)
			e.exec.HandleEvent(exchange.OrderEvent{Order: failed})
			continue
		}
		e.log.Info("recover: resolved an exit order of the restored state on the venue", "instance", in.name,
			"client_order_id", jo.Order.ClientOrderID, "order_id", o.ID, "status", o.Status, "filled", o.FilledSize)
		e.exec.accepted(jo.Order.ClientOrderID, o)
		e.exec.handleAnswer(jo.Order.ClientOrderID, o)
	}
	return n, nil
}

// VenueIDJournal is a RecoveryJournal that can also find an order by the
// venue's order id; recovery uses it to give an attached bracket the
// daemon never saw back to the instance whose entry made it.
type VenueIDJournal interface {
	OrderByVenueID(orderID string) (jo JournaledOrder, found bool, err error)
}

// adoptOrphanBracket takes over a bracket the venue created from one of
// our entries while the daemon was down (or before it saw the bracket):
// the entry is finished, so it is no longer in the journal's open orders,
// and without this the bracket would be reported as a manual order while
// the instance, waiting for its attached bracket, never learns its stop
// rests, and never books its fill.
func (e *Engine) adoptOrphanBracket(j RecoveryJournal, o exchange.Order) bool {
	vj, ok := j.(VenueIDJournal)
	if !ok || o.OriginatingOrderID == "" || o.Type != exchange.Bracket {
		return false
	}
	parent, found, err := vj.OrderByVenueID(o.OriginatingOrderID)
	if err != nil {
		e.log.Error("recover: journal lookup of a bracket's entry failed", "order_id", o.ID,
			"originating_order_id", o.OriginatingOrderID, "error", err)
		return false
	}
	if !found || parent.Purpose != exchange.Entry || e.exec.instances[parent.Instance] == nil {
		return false
	}
	if o.ClientOrderID == "" {
		o.ClientOrderID = parent.Order.ClientOrderID + attachedSuffix
	}
	if !e.adoptJournaledAttached(j, parent.Instance, o) {
		e.exec.adoptAttached(parent.Instance, o, e.clock.Now())
	}
	e.log.Info("recover: adopted the attached bracket of an entry that filled while the daemon was down",
		"instance", parent.Instance, "order_id", o.ID, "entry_client_order_id", parent.Order.ClientOrderID)
	e.exec.HandleEvent(exchange.OrderEvent{Order: o})
	return true
}

// adoptJournaledAttached tracks bracket o again if the journal already
// has a row for it (the executor named and journaled it in an earlier
// run, before its venue id was saved): with the execution that row holds
// as applied, and the fills the journal holds as journaled, so that
// nothing it did is booked or journaled twice. It reports false when the
// journal has no row for it.
func (e *Engine) adoptJournaledAttached(j RecoveryJournal, instance string, o exchange.Order) bool {
	ej, ok := j.(EntryJournal)
	if !ok {
		return false
	}
	prev, found, err := ej.JournaledOrder(o.ClientOrderID)
	if err != nil || !found {
		return false
	}
	prev.Instance, prev.Purpose, prev.Order.ID = instance, exchange.Exit, o.ID
	e.noteAttachedReason(instance, prev.Order.ClientOrderID, prev.Reason)
	e.exec.adopt(prev)
	e.exec.noteJournaledOrApplied(j, prev, o.ID)
	return true
}

// FillsJournal is a RecoveryJournal that can say how much of a journaled
// order its fills table already holds, so that fills recorded just
// before a crash are not recorded again after it (see
// trackedOrder.journaled), nor counted again by the risk guard (see
// trackedOrder.counted).
type FillsJournal interface {
	// JournaledFills returns what the journal's fills hold of the order
	// with venue order id orderID.
	JournaledFills(orderID string) (JournaledFills, error)
}

// JournaledFills is what the journal holds of one order's execution.
type JournaledFills struct {
	// Size is the sum of the order's fills in the journal.
	Size decimal.Decimal
	// Counted is the part of Size that the risk guard has booked: the
	// saved counters include it, or the start booked it into the guard
	// from the journal before recovery (risk.Counters.FillSeq).
	Counted decimal.Decimal
}

// noteJournaled sets what the journal j (when it is a FillsJournal) holds
// of adopted order jo, whose venue order id the venue answered orderID:
// the parts of its fills that recovery must neither journal nor count in
// the risk guard again.
func (e *Executor) noteJournaled(j RecoveryJournal, jo JournaledOrder, orderID string) error {
	fj, ok := j.(FillsJournal)
	if !ok {
		return nil
	}
	if orderID == "" {
		orderID = jo.Order.ID
	}
	held, err := fj.JournaledFills(orderID)
	if err != nil {
		return fmt.Errorf("journaled fills: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.orders[jo.Order.ClientOrderID]; t != nil {
		t.journaled, t.counted = held.Size, held.Counted
	}
	return nil
}

// EntryJournal is a RecoveryJournal that can name an instance's latest
// entry order.
type EntryJournal interface {
	LastEntry(instance string) (jo JournaledOrder, found bool, err error)
	// JournaledOrder returns the journaled order with that client order id.
	JournaledOrder(clientOrderID string) (jo JournaledOrder, found bool, err error)
}

// recoverAttached finds the attached bracket of an instance's open
// position when recovery has not met it yet: the venue created it when
// the entry filled, and it may have filled or been cancelled as well, all
// while the daemon was down, so it is neither in the journal's open
// orders nor among the venue's open orders. Without this the position
// would stay open in the books while the venue has sold it, and the
// instance would try to place a second exit for base it no longer holds.
// It asks the venue for the entry, follows its attached order id, and
// applies the bracket's state as an event: what it filled is booked once,
// from what the journal already holds of it.
func (e *Engine) recoverAttached(ctx context.Context, j RecoveryJournal, venue exchange.Trader, instance string) error {
	ej, ok := j.(EntryJournal)
	getter, ok2 := venue.(OrderGetter)
	if !ok || !ok2 {
		return nil
	}
	entry, found, err := ej.LastEntry(instance)
	if err != nil || !found || entry.Order.Attached == nil {
		return err
	}
	id := entry.Order.ClientOrderID + attachedSuffix
	if e.exec.tracksClientID(id) {
		return nil
	}
	eo, err := venue.OrderByClientID(ctx, entry.Order.ClientOrderID)
	if errors.Is(err, exchange.ErrOrderNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover the attached bracket of %s: %w", entry.Order.ClientOrderID, err)
	}
	if eo.AttachedOrderID == "" {
		return nil
	}
	br, err := getter.Order(ctx, eo.AttachedOrderID)
	if err != nil {
		return fmt.Errorf("recover attached bracket %s of %s: %w", eo.AttachedOrderID, entry.Order.ClientOrderID, err)
	}
	br.ClientOrderID = id
	prev, known, err := ej.JournaledOrder(id)
	if err != nil {
		return err
	}
	if known {
		// Journaled before: only what it did since is new.
		prev.Order.ID = br.ID
		e.noteAttachedReason(instance, prev.Order.ClientOrderID, prev.Reason)
		e.exec.adopt(prev)
		e.exec.noteJournaledOrApplied(j, prev, br.ID)
	} else {
		// Journaled now with the stop-loss it was attached with; the
		// venue's answer need not name its entry, by which the exits
		// would know it for an attached bracket.
		e.noteAttachedReason(instance, id, exits.ReasonStopLoss)
		e.exec.adoptAttached(instance, br, e.clock.Now())
	}
	e.log.Info("recover: found the attached bracket of an open position on the venue",
		"instance", instance, "order_id", br.ID, "status", br.Status, "filled", br.FilledSize)
	e.exec.HandleEvent(exchange.OrderEvent{Order: br})
	return nil
}

// noteAttachedReason tells instance's exits why the attached bracket with
// clientOrderID, which recovery found through its entry or among the
// venue's open orders, rests: the reason journaled with it, as for the
// journal's open orders (adoptWorking), unknown for a row from before the
// journal kept reasons. Without a row the exits take it for the stop-loss
// it was attached with; never for the stop's rule now, which a bracket
// filled while the daemon was down need not have been sold for.
func (e *Engine) noteAttachedReason(instance, clientOrderID, reason string) {
	if in := e.exec.instances[instance]; in != nil {
		in.exits.NoteExit(clientOrderID, reason)
	}
}

// OrderGetter is a venue that can look an order up by the venue's own
// order id (the Coinbase client's Order). Recovery needs it for orders the
// venue created itself, which have no client order id on the venue.
type OrderGetter interface {
	Order(ctx context.Context, orderID string) (exchange.Order, error)
}

// lookUp asks the venue about a journaled order. Attached brackets are
// created by the venue when their entry fills: the executor names them
// "<entry id>-attached", a name the venue never saw, so asking by client
// order id would report them missing, mark them failed and leave the real
// bracket resting unknown while a second stop is placed beside it. They
// are asked for by venue order id instead, and given back their journal
// name so that the executor finds them.
func lookUp(ctx context.Context, venue exchange.Trader, jo exchange.Order) (exchange.Order, error) {
	byID, ok := venue.(OrderGetter)
	if jo.ID == "" && ok && strings.HasSuffix(jo.ClientOrderID, attachedSuffix) {
		// Journaled before its venue id was: found through its entry.
		entry, err := venue.OrderByClientID(ctx, strings.TrimSuffix(jo.ClientOrderID, attachedSuffix))
		if err != nil {
			return entry, err
		}
		if entry.AttachedOrderID == "" {
			return exchange.Order{}, fmt.Errorf("attached order %s: %w", jo.ClientOrderID, exchange.ErrOrderNotFound)
		}
		jo.ID = entry.AttachedOrderID
	}
	if jo.ID == "" || !ok {
		return venue.OrderByClientID(ctx, jo.ClientOrderID)
	}
	if !strings.HasSuffix(jo.ClientOrderID, attachedSuffix) {
		o, err := venue.OrderByClientID(ctx, jo.ClientOrderID)
		if !errors.Is(err, exchange.ErrOrderNotFound) {
			return o, err
		}
		// Not found by client id but known by venue id: look again by
		// the id the venue gave it.
	}
	o, err := byID.Order(ctx, jo.ID)
	if err != nil {
		return o, err
	}
	if o.ClientOrderID == "" || strings.HasSuffix(jo.ClientOrderID, attachedSuffix) {
		o.ClientOrderID = jo.ClientOrderID
	}
	return o, nil
}

// adopt tracks a journaled order again, with the execution the journal
// already applied, so that only what is new is booked.
func (e *Executor) adopt(jo JournaledOrder) {
	o := jo.Order
	e.mu.Lock()
	defer e.mu.Unlock()
	e.orders[o.ClientOrderID] = &trackedOrder{intent: OrderRecord{ClientOrderID: o.ClientOrderID, Instance: jo.Instance,
		Purpose: jo.Purpose, Request: o.OrderRequest},
		order: o, inFlight: o.ID == "", filled: o.FilledSize, filledValue: o.FilledValue, fees: o.TotalFees}
	if o.ID != "" {
		e.byVenueID[o.ID] = o.ClientOrderID
	}
	// Its end will be counted (orders_open); so is its start, in this run.
	e.obs.OrderSubmitted(jo.Instance, o.ProductID, o.Side, o.Type)
}

// adoptAttached tracks a venue-created bracket found at recovery as an
// exit of instance, and journals it as HandleEvent does when it sees one
// live.
func (e *Executor) adoptAttached(instance string, o exchange.Order, now time.Time) {
	e.mu.Lock()
	e.orders[o.ClientOrderID] = &trackedOrder{intent: OrderRecord{ClientOrderID: o.ClientOrderID, Instance: instance, Purpose: exchange.Exit,
		Request: o.OrderRequest}, order: exchange.Order{
		OrderRequest: o.OrderRequest, ID: o.ID, Status: exchange.StatusPending}}
	e.byVenueID[o.ID] = o.ClientOrderID
	e.mu.Unlock()
	e.obs.OrderSubmitted(instance, o.ProductID, o.Side, o.Type)
	if e.journal != nil {
		if err := e.journal.RecordIntent(OrderRecord{ClientOrderID: o.ClientOrderID, Instance: instance,
			Purpose: exchange.Exit, Reason: exits.ReasonStopLoss, Request: o.OrderRequest, Time: now}); err != nil {
			e.log.Error("journal attached order failed", "client_order_id", o.ClientOrderID, "error", err)
		}
	}
}

func (e *Executor) tracksClientID(clientOrderID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.orders[clientOrderID]
	return ok
}

// noteJournaledOrApplied is noteJournaled for an adopted order with a
// journal row, which falls back to the row's execution when the journal
// cannot say what its fills hold (setJournaledFromOrder).
func (e *Executor) noteJournaledOrApplied(j RecoveryJournal, jo JournaledOrder, orderID string) {
	if _, ok := j.(FillsJournal); !ok || e.noteJournaled(j, jo, orderID) != nil {
		e.setJournaledFromOrder(jo.Order.ClientOrderID)
	}
}

// setJournaledFromOrder marks an adopted order's applied execution as
// journaled too: the journal wrote its fills before the order row.
func (e *Executor) setJournaledFromOrder(clientOrderID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.orders[clientOrderID]; t != nil {
		t.journaled = t.filled
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

func (e *Executor) tracksVenueID(orderID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.byVenueID[orderID]
	return ok
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

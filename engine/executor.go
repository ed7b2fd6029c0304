package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/internal/repeats"
	"github.com/tradebot/tradebot/risk"
)

// Intent is an instance's wish to place an order.
type Intent struct {
	Instance string
	Purpose  exchange.Purpose
	Reason   string
	Request  exchange.OrderRequest
	// TickReceived is when the tick that caused the order arrived, for the
	// tick-to-order latency; zero when no tick caused it.
	TickReceived time.Time
	// EstimatedPrice is the last trade price, which the risk guard uses to
	// size a market order's notional.
	EstimatedPrice decimal.Decimal
}

// ErrRiskRejected wraps the guard's refusal of an intent. It wraps
// exits.ErrNotSent: the request never left, so the exits manager takes a
// new client order id for its next attempt instead of resending this one.
var ErrRiskRejected = fmt.Errorf("refused by the risk guard (%w)", exits.ErrNotSent)

// RiskRefusal is the error Place returns when the risk guard refuses an
// intent: the rule, its limit and the value that broke it. It wraps
// ErrRiskRejected (and so exits.ErrNotSent). A value rather than
// fmt.Errorf, because a refused intent may repeat on every tick of a
// backtest and the text is needed only when someone reads it.
type RiskRefusal struct {
	Rule, Limit, Value string
}

// Error implements error.
func (r *RiskRefusal) Error() string {
	return ErrRiskRejected.Error() + ": " + r.Rule + " (limit " + r.Limit + ", value " + r.Value + ")"
}

// Unwrap implements errors.Unwrap.
func (r *RiskRefusal) Unwrap() error { return ErrRiskRejected }

// ErrInFlight is returned when an order's outcome is still unknown after
// every retry: it stays tracked and is resolved by asking the venue, never
// by placing it again under a new id.
var ErrInFlight = errors.New("order outcome unknown; in flight until the venue answers")

// Executor is the single path from an instance's intent to the venue:
// risk guard, journal, venue call with retries under the same client order
// id, and the routing of the venue's order events back to the instance
// that owns the order. It is shared by all instances and safe for
// concurrent use.
type Executor struct {
	venue   exchange.Trader
	editor  exchange.Editor // nil when the venue cannot edit orders
	guard   *risk.Guard
	journal Journal
	// keeper is journal when it takes intents by reference.
	keeper  IntentKeeper
	obs     Observer
	clock   clock.Clock
	log     *slog.Logger
	retries int
	backoff time.Duration
	// unsupported reports venue orders in configurations tradebot cannot
	// express, which it never acts on (unsupported.go).
	unsupported unsupportedOrders

	// onJournal is told when the journal stops or starts taking writes.
	onJournal func(err error)
	// onFillCounted is told after the guard counts a fill.
	onFillCounted func()
	// jh is the journal's health and the exits sent unjournaled.
	jh journalHealth
	// closed is whether Close was called: everything sent after it is
	// refused (closed.go). Any goroutine reads it.
	closed atomic.Bool

	// bookMu makes journaling a fill and booking it into the risk guard
	// one step (bookFill), so that the guard books fills in the order the
	// journal numbers them. It is taken before the journal's lock and the
	// guard's, and nothing holding either of those takes it. The guard's
	// state listeners run under it too (OnJournaledFill calls them once
	// it has booked), so a listener may save (the daemon's, the journal's
	// lock) but must never deliver an order event: that would wait for
	// bookMu on the goroutine holding it.
	bookMu sync.Mutex

	mu sync.Mutex
	// orders holds every order not yet ended, by client order id; guarded by mu.
	orders map[string]*trackedOrder
	// byVenueID maps venue order ids to client order ids; guarded by mu.
	byVenueID map[string]string
	// filledParents remembers, by venue order id, entries that ended
	// filled with an attached TP/SL, until their bracket is seen: the venue
	// may report the entry's end before the bracket it created (the user
	// channel does), and the bracket must still find its instance;
	// guarded by mu.
	filledParents map[string]parentEntry
	// ended remembers the orders finished last, so that a state of one
	// arriving after its end is not adopted as a new bracket; guarded by
	// mu.
	ended endedOrders
	// instances routes events to their owners; set before the first order.
	instances map[string]*Instance
	// seq numbers orders when there is no journal.
	seq memorySeq

	logMu sync.Mutex
	// logged is when each cause of a refusal was last logged, and how
	// many repeats went unlogged since (refusalLog); guarded by logMu.
	logged *repeats.Limiter[refusalCause]
}

// refusalLogEvery is how often one cause of refusal (an instance's
// orders of one purpose, refused by one guard rule or for one venue
// reason) is logged while it repeats.
const refusalLogEvery = time.Minute

// refusalCause is one cause of refusal: who refused (the guard or the
// venue), an instance's orders of one purpose, and the guard's rule or
// the venue's reason. A struct, not a joined string, so that a repeat
// (a backtest refuses thousands of entries while the guard is REDUCING)
// costs a map lookup and no allocation.
type refusalCause struct {
	by       string // "guard", "venue" or "stop" (a fixed stop above the market)
	instance string
	purpose  exchange.Purpose
	rule     string
}

// refusalLog decides whether a refusal of cause is logged now: the first
// time it is seen and then at most once per refusalLogEvery. It returns
// level for a refusal to log, with how many repeats went unlogged since
// the last one, or slog.LevelDebug for a repeat, with its count. The
// caller logs at that level, building the attributes only when the
// logger takes it. A refusal that repeats (an exit refused until the
// position it is for changes) must not flood the log.
func (e *Executor) refusalLog(level slog.Level, cause refusalCause) (slog.Level, int) {
	now := e.clock.Now()
	e.logMu.Lock()
	if e.logged == nil {
		e.logged = repeats.New[refusalCause](refusalLogEvery, maxLoggedCauses)
	}
	logNow, unlogged := e.logged.Note(cause, now)
	e.logMu.Unlock()
	if !logNow {
		return slog.LevelDebug, unlogged
	}
	return level, unlogged
}

// logRefusal logs msg for a refusal of cause at the level refusalLog
// chooses; attrs builds the attributes, only when the logger takes the
// record. They are slog.Attrs rather than key-value pairs: a backtest
// logs a refused entry a minute (refusalLogEvery in market time), and
// boxing each string into an interface made most of its allocations.
func (e *Executor) logRefusal(level slog.Level, cause refusalCause, msg string, attrs func() []slog.Attr) {
	level, repeats := e.refusalLog(level, cause)
	ctx := context.Background()
	if !e.log.Enabled(ctx, level) {
		return
	}
	args := attrs()
	switch {
	case level == slog.LevelDebug:
		args = append(args, slog.Int("repeat", repeats))
	case repeats > 0:
		args = append(args, slog.Int("repeats_not_logged", repeats))
	}
	e.log.LogAttrs(ctx, level, msg, args...)
}

// maxLoggedCauses bounds the refusal causes remembered: a handful per
// instance.
const maxLoggedCauses = 1024

// trackedOrder is the executor's record of one live order; guarded by
// Executor.mu.
type trackedOrder struct {
	// intent is the order's owner (Instance), Purpose and Request, set
	// when the order is tracked and never changed: for an order the
	// executor places, the record it journals before sending, which a
	// journal that keeps intents by reference (IntentKeeper) may hold a
	// pointer to.
	intent      OrderRecord
	reservation *risk.Reservation
	order       exchange.Order
	inFlight    bool
	// filled, filledValue and fees are the order's cumulative execution
	// already applied to positions and the guard.
	filled, filledValue, fees decimal.Decimal
	// journaled is, for an order adopted at recovery, the filled size the
	// journal's fills table already holds for it. A crash between
	// recording a fill and saving the position that applied it leaves
	// fills in the table that no position holds; after the restart the
	// position applies them again from the venue's cumulative state, and
	// the table must not get them twice (journalPart).
	journaled decimal.Decimal
	// counted is, for an order adopted at recovery, the filled size the
	// risk guard has booked already: all the journal holds of it when
	// the restored counters named the last fill they include (the start
	// booked the journaled fills above it), else the part the journal
	// recorded before it last saved them (FillsJournal). The position
	// applies them again, but the guard's day PnL, loss limits and
	// drawdown must not count them twice (guardPart).
	counted decimal.Decimal
}

// journalPart returns the part of fill, just applied by fillFrom, that the
// journal does not hold yet: all of it, less what was journaled before a
// restart, or nil when the journal has it all. The fee is shared pro rata.
func (t *trackedOrder) journalPart(fill *exchange.Fill) *exchange.Fill {
	return t.partBeyond(fill, t.journaled)
}

// guardPart returns the part of fill, just applied by fillFrom, that the
// risk guard has not counted yet: all of it, less what the counters it
// restored at start already include, or nil when they include it all.
func (t *trackedOrder) guardPart(fill *exchange.Fill) *exchange.Fill {
	return t.partBeyond(fill, t.counted)
}

// partBeyond returns the part of fill, just applied by fillFrom (the
// order's cumulative filled size is now t.filled), that lies beyond held,
// an earlier run's share of the order's cumulative size: all of it when
// held is below the fill, nil when held reaches the fill's end, otherwise
// the rest with the fee pro rata. fill itself is returned when all of it
// is beyond (always but after a restart); callers do not change it.
func (t *trackedOrder) partBeyond(fill *exchange.Fill, held decimal.Decimal) *exchange.Fill {
	if !held.IsPositive() || !held.GreaterThan(t.filled.Sub(fill.Size)) {
		return fill
	}
	if held.GreaterThanOrEqual(t.filled) {
		return nil
	}
	f := *fill
	f.Size = t.filled.Sub(held)
	f.Fee = fill.Fee.Mul(f.Size).Div(fill.Size)
	return &f
}

// fillFrom returns the fill an event adds to what was already applied.
// The order's cumulative filled size is the truth: a fill is applied only
// for an increase of it, so a fill reported twice (the user channel and a
// REST reconciliation, a retried request) is applied once, and an order
// state that shows an increase without a fill (a reconciliation after a
// restart) yields a fill computed from the cumulative values. stale is
// true for a state older than one applied.
func (t *trackedOrder) fillFrom(ev exchange.OrderEvent) (fill *exchange.Fill, stale bool) {
	o := ev.Order
	delta := o.FilledSize.Sub(t.filled)
	switch delta.Sign() {
	case -1:
		return nil, true
	case 0:
		return nil, false
	}
	var f exchange.Fill
	if ev.Fill != nil && ev.Fill.Size.Equal(delta) {
		f = *ev.Fill
	} else {
		valueDelta := o.FilledValue.Sub(t.filledValue)
		f = exchange.Fill{TradeID: exchange.DerivedTradeID(exchange.CumulativeTradeIDPrefix, o.ID, o.FilledSize), OrderID: o.ID,
			ClientOrderID: o.ClientOrderID, ProductID: o.ProductID, Side: o.Side, Size: delta,
			Price: o.AverageFilledPrice, Fee: o.TotalFees.Sub(t.fees), Liquidity: exchange.Taker, Time: o.UpdatedAt}
		if valueDelta.IsPositive() {
			f.Price = valueDelta.Div(delta)
		}
		if ev.Fill != nil {
			f.Liquidity, f.Time = ev.Fill.Liquidity, ev.Fill.Time
		}
	}
	if f.ClientOrderID == "" {
		f.ClientOrderID = o.ClientOrderID
	}
	t.filled = o.FilledSize
	t.filledValue = t.filledValue.Add(f.Price.Mul(f.Size))
	t.fees = t.fees.Add(f.Fee)
	return &f, false
}

// ExecutorOptions configures an Executor.
type ExecutorOptions struct {
	Venue    exchange.Trader
	Guard    *risk.Guard
	Journal  Journal
	Observer Observer
	Clock    clock.Clock
	Log      *slog.Logger
	// Retries is how many times a send with an unknown outcome is tried
	// again (with the same client order id); default 3.
	Retries int
	// Backoff is the first wait between tries, doubled each time;
	// default 200ms.
	Backoff time.Duration
	// OnJournal, when set, is called with the error when the journal
	// stops taking writes, and with nil when it takes them again.
	OnJournal func(err error)
	// OnFillCounted, when set, is called after the risk guard counts a
	// fill (engine.Options.OnFillCounted).
	OnFillCounted func()
}

// NewExecutor returns an executor over a venue.
func NewExecutor(o ExecutorOptions) *Executor {
	e := &Executor{
		venue: o.Venue, guard: o.Guard, journal: o.Journal, obs: o.Observer, clock: o.Clock, log: o.Log,
		retries: o.Retries, backoff: o.Backoff, onJournal: o.OnJournal, onFillCounted: o.OnFillCounted,
		orders: map[string]*trackedOrder{}, byVenueID: map[string]string{}, instances: map[string]*Instance{},
		filledParents: map[string]parentEntry{},
	}
	e.keeper, _ = o.Journal.(IntentKeeper)
	if ed, ok := o.Venue.(exchange.Editor); ok {
		e.editor = ed
	}
	if e.obs == nil {
		e.obs = NopObserver{}
	}
	if e.clock == nil {
		e.clock = clock.Wall{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.retries == 0 {
		e.retries = 3
	}
	if e.backoff == 0 {
		e.backoff = 200 * time.Millisecond
	}
	return e
}

func (e *Executor) register(in *Instance) { e.instances[in.name] = in }

// NextClientOrderID returns a new client order id for an instance.
func (e *Executor) NextClientOrderID(instance string) (string, error) {
	var src SeqSource = &e.seq
	if e.journal != nil {
		src = e.journal
	}
	n, err := src.NextClientOrderSeq(instance)
	if err != nil {
		if e.journal == nil {
			return "", fmt.Errorf("client order id for %s: %w", instance, err)
		}
		// The journal cannot reserve numbers: entries are halted, and an
		// exit must still get an id (journalHealth).
		e.journalFailed("client order numbers", err)
		n = e.fallbackSeq()
	}
	return ClientOrderID(instance, n), nil
}

// Place checks an intent with the risk guard, journals it, and sends it.
// A *exchange.RejectError or an error wrapping ErrRiskRejected is a
// definite no; ErrInFlight means the order may exist and is being
// resolved; the returned order then has status PENDING. After Close it
// is ErrClosed, and nothing was checked, journaled or sent.
//
// An intent whose client order id the executor already tracks is a
// resend after an unknown outcome: it is not checked or journaled again
// (the first request passed both), and the venue is asked about the id
// before anything is sent (resend).
func (e *Executor) Place(ctx context.Context, in Intent) (exchange.Order, error) {
	req := in.Request
	if e.closed.Load() {
		return exchange.Order{}, refusedClosed("place", req.ClientOrderID)
	}
	inst := e.instances[in.Instance]
	if inst == nil {
		return exchange.Order{}, fmt.Errorf("place: unknown instance %q", in.Instance)
	}
	if e.tracksClientID(req.ClientOrderID) {
		return e.resend(ctx, req.ClientOrderID)
	}
	decision, reservation := e.guard.Check(risk.Intent{
		Strategy: in.Instance, ProductID: req.ProductID, Product: inst.product,
		Side: req.Side, Type: req.Type, BaseSize: req.BaseSize, QuoteSize: req.QuoteSize,
		LimitPrice: req.LimitPrice, StopPrice: req.StopPrice, EstimatedPrice: in.EstimatedPrice,
		ReduceOnly: in.Purpose == exchange.Exit, ClientOrderID: req.ClientOrderID,
	})
	e.obs.RiskDecision(decision.Rule, decision.Verdict)
	if !decision.Allowed {
		e.logRefusal(slog.LevelWarn, refusalCause{"guard", in.Instance, in.Purpose, decision.Rule}, "risk guard refused order", func() []slog.Attr {
			return []slog.Attr{slog.String("strategy", in.Instance), slog.String("purpose", in.Purpose.String()),
				slog.String("side", string(req.Side)), slog.String("type", string(req.Type)), slog.String("rule", decision.Rule),
				slog.String("limit", decision.Limit), slog.String("value", decision.Value), slog.String("reason", decision.Reason)}
		})
		return exchange.Order{}, &RiskRefusal{Rule: decision.Rule, Limit: decision.Limit, Value: decision.Value}
	}
	t := &trackedOrder{reservation: reservation,
		intent: OrderRecord{ClientOrderID: req.ClientOrderID, Instance: in.Instance, Purpose: in.Purpose,
			Reason: in.Reason, Request: req},
		order: exchange.Order{OrderRequest: req, Status: exchange.StatusPending}}
	if e.journal != nil {
		if err := e.journalIntent(t); err != nil {
			if in.Purpose != exchange.Exit {
				e.guard.Release(reservation)
				return exchange.Order{}, fmt.Errorf("journal intent %s: %w (%w)", req.ClientOrderID, err, exits.ErrNotSent)
			}
			// A protective order never waits for the disk (journalHealth).
			e.log.Error("exit sent without its journal intent; journaled when the journal can write",
				"strategy", in.Instance, "client_order_id", req.ClientOrderID, "error", err)
			e.deferIntent(t)
		}
	}
	e.mu.Lock()
	e.orders[req.ClientOrderID] = t
	e.mu.Unlock()

	if !in.TickReceived.IsZero() {
		e.obs.TickToOrder(time.Since(in.TickReceived))
	}
	e.obs.OrderSubmitted(in.Instance, req.ProductID, req.Side, req.Type)
	order, err := e.send(ctx, req)
	var rej *exchange.RejectError
	switch {
	case err == nil:
		e.accepted(req.ClientOrderID, order)
		return order, nil
	case errors.As(err, &rej):
		e.logRefusal(slog.LevelWarn, refusalCause{"venue", in.Instance, in.Purpose, rej.Reason}, "venue rejected order", func() []slog.Attr {
			return []slog.Attr{slog.String("strategy", in.Instance), slog.String("purpose", in.Purpose.String()),
				slog.String("client_order_id", req.ClientOrderID), slog.String("reason", rej.Reason),
				slog.String("message", rej.Message)}
		})
		e.obs.OrderRejected(rej.Reason)
		e.obs.OrderEnded(in.Instance, req.ProductID, req.Side, req.Type, "rejected")
		e.finish(req.ClientOrderID, exchange.Order{OrderRequest: req, Status: exchange.StatusFailed, RejectReason: rej.Reason})
		return exchange.Order{}, err
	default:
		e.mu.Lock()
		t.inFlight = true
		e.mu.Unlock()
		e.log.Error("order outcome unknown; it stays in flight until the venue answers", "strategy", in.Instance,
			"client_order_id", req.ClientOrderID, "error", err)
		return t.order, fmt.Errorf("%w: %s: %v", ErrInFlight, req.ClientOrderID, err)
	}
}

// journalIntent writes a new order's intent ahead of its request, after
// any exit intents still waiting for the journal.
func (e *Executor) journalIntent(t *trackedOrder) error {
	t.intent.Time = e.clock.Now()
	if !e.RetryJournal() {
		return e.JournalErr()
	}
	var err error
	if e.keeper != nil {
		err = e.keeper.KeepIntent(&t.intent)
	} else {
		err = e.journal.RecordIntent(t.intent)
	}
	return e.noteJournal("order intent", err)
}

// resend resolves an order whose outcome was unknown when it is asked
// for again under the same client order id: the venue is asked about the
// id first, and only an order it does not know is sent again (the same
// request). Coinbase answers a repeated client_order_id with the existing
// order, whatever the new request says, and its answer to a create does
// not say whether that order has since filled or been cancelled: the
// lookup does. What the venue reports is applied like any event, so the
// owning instance sees it too.
func (e *Executor) resend(ctx context.Context, clientOrderID string) (exchange.Order, error) {
	e.mu.Lock()
	t := e.orders[clientOrderID]
	var req exchange.OrderRequest
	if t != nil {
		req = t.intent.Request
	}
	e.mu.Unlock()
	if t == nil {
		return exchange.Order{}, fmt.Errorf("%w: %s: no longer tracked", ErrInFlight, clientOrderID)
	}
	o, err := e.venue.OrderByClientID(ctx, clientOrderID)
	if errors.Is(err, exchange.ErrOrderNotFound) {
		o, err = e.send(ctx, req)
	}
	var rej *exchange.RejectError
	switch {
	case err == nil:
		if o.ClientOrderID == "" {
			// The caller gets the order under the id it asked for.
			o.ClientOrderID = clientOrderID
		}
		e.accepted(clientOrderID, o)
		if o.Status != "" && o.Status != exchange.StatusPending {
			e.handleAnswer(clientOrderID, o)
		}
		return o, nil
	case errors.As(err, &rej):
		e.HandleEvent(exchange.OrderEvent{Order: exchange.Order{OrderRequest: req, Status: exchange.StatusFailed, RejectReason: rej.Reason}})
		return exchange.Order{}, err
	default:
		e.mu.Lock()
		t.inFlight = true
		e.mu.Unlock()
		return exchange.Order{OrderRequest: req, Status: exchange.StatusPending}, fmt.Errorf("%w: %s: %v", ErrInFlight, clientOrderID, err)
	}
}

// send places the order, retrying an unknown outcome with the same client
// order id after asking the venue whether the order arrived.
func (e *Executor) send(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error) {
	wait := e.backoff
	var lastErr error
	for attempt := 0; attempt <= e.retries; attempt++ {
		if attempt > 0 {
			if found, err := e.venue.OrderByClientID(ctx, req.ClientOrderID); err == nil {
				return found, nil
			} else if !errors.Is(err, exchange.ErrOrderNotFound) {
				lastErr = err
				if !sleep(ctx, wait) {
					return exchange.Order{}, ctx.Err()
				}
				wait *= 2
				continue
			}
		}
		order, err := e.venue.PlaceOrder(ctx, req)
		var rej *exchange.RejectError
		if err == nil || errors.As(err, &rej) {
			return order, err
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
		if !sleep(ctx, wait) {
			break
		}
		wait *= 2
	}
	return exchange.Order{}, lastErr
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// accepted records the venue's answer to a send. Events may already have
// arrived for it (a market order fills before PlaceOrder returns), so the
// newer of the two states wins.
func (e *Executor) accepted(clientOrderID string, o exchange.Order) {
	e.mu.Lock()
	t := e.orders[clientOrderID]
	if t != nil {
		t.inFlight = false
		if o.ID != "" {
			e.byVenueID[o.ID] = clientOrderID
		}
		if t.order.ID == "" || t.order.Status == exchange.StatusPending {
			t.order = o
		}
	}
	deferred := t != nil && e.intentDeferred(t)
	e.mu.Unlock()
	if e.journal != nil && !deferred {
		if err := e.noteJournal("order update", e.journal.UpdateOrder(clientOrderID, withoutExecution(o))); err != nil {
			e.log.Error("journal order update failed", "client_order_id", clientOrderID, "error", err)
		}
	}
}

// withoutExecution is o as the executor may journal it: its venue id and
// a status, but no execution, which only the owning instance journals
// (see Journal).
func withoutExecution(o exchange.Order) exchange.Order {
	if o.FilledSize.IsPositive() && o.Status.Terminal() {
		o.Status = exchange.StatusOpen
	}
	o.FilledSize, o.FilledValue, o.TotalFees, o.AverageFilledPrice = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	return o
}

// finish forgets an ended order and gives its reservation back; failed
// orders with no execution are journaled here, the rest by their instance.
func (e *Executor) finish(clientOrderID string, o exchange.Order) {
	e.mu.Lock()
	t := e.orders[clientOrderID]
	if t != nil {
		// The state a deferred intent is journaled with (RetryJournal).
		t.order = o
	}
	delete(e.orders, clientOrderID)
	e.ended.add(clientOrderID)
	if o.ID != "" {
		delete(e.byVenueID, o.ID)
		e.ended.add(o.ID)
		if t != nil && t.intent.Request.Attached != nil && o.FilledSize.IsPositive() && !e.bracketSeen(clientOrderID, o) &&
			len(e.filledParents) < maxFilledParents {
			e.filledParents[o.ID] = parentEntry{clientOrderID: clientOrderID, instance: t.intent.Instance,
				productID: o.ProductID, filled: o.FilledSize}
		}
	}
	e.mu.Unlock()
	if t != nil {
		e.guard.Release(t.reservation)
	}
	if e.journal != nil && o.Status == exchange.StatusFailed && !o.FilledSize.IsPositive() && (t == nil || !e.intentDeferred(t)) {
		if err := e.noteJournal("order update", e.journal.UpdateOrder(clientOrderID, o)); err != nil {
			e.log.Error("journal order update failed", "client_order_id", clientOrderID, "error", err)
		}
	}
}

// Cancel cancels an order by venue id.
func (e *Executor) Cancel(ctx context.Context, orderID string) error {
	if e.closed.Load() {
		return refusedClosed("cancel", orderID)
	}
	return e.venue.CancelOrder(ctx, orderID)
}

// ErrEditUnsupported is returned by Edit when the venue cannot edit.
var ErrEditUnsupported = errors.New("the venue cannot edit orders")

// Edit changes a resting order's prices or size in place.
func (e *Executor) Edit(ctx context.Context, orderID string, ed exchange.OrderEdit) (exchange.Order, error) {
	if e.editor == nil {
		return exchange.Order{}, ErrEditUnsupported
	}
	if e.closed.Load() {
		return exchange.Order{}, refusedClosed("edit", orderID)
	}
	return e.editor.EditOrder(ctx, orderID, ed)
}

// HandleEvent takes an order event from the venue (the simulated
// exchange's handler, the Coinbase user channel, or a reconciliation),
// applies it to the risk guard and the journal, and delivers it to the
// instance that owns the order. A fill seen twice (user channel and REST)
// is applied once.
func (e *Executor) HandleEvent(ev exchange.OrderEvent) {
	if ev.Order.Type == exchange.Unsupported {
		e.unsupported.report(e.log, ev.Order)
		return
	}
	e.mu.Lock()
	t, attached := e.owner(&ev.Order)
	if t == nil {
		e.mu.Unlock()
		return
	}
	journalFill, guardFill, ok := e.apply(t, &ev)
	if !ok {
		e.mu.Unlock()
		return
	}
	o := ev.Order
	inst := e.instances[t.intent.Instance]
	purpose, reservation := t.intent.Purpose, t.reservation
	e.mu.Unlock()

	if attached {
		e.journalAttached(t, o)
	}
	if ev.Fill != nil {
		e.bookFill(t.intent.Instance, *ev.Fill, journalFill, guardFill, reservation)
	}
	if o.Status.Terminal() {
		e.obs.OrderEnded(t.intent.Instance, o.ProductID, o.Side, o.Type, statusLabel(o.Status))
		e.finish(o.ClientOrderID, o)
	}
	if inst != nil {
		inst.mailbox.putMessage(message{event: &ev, purpose: purpose})
	}
}

// handleAnswer applies o, the venue's answer to a look-up of the order
// tracked under clientOrderID, as an order event, named by that client
// order id when the answer names none: Coinbase's answer about an
// attached bracket, which it created itself, and a venue's that leaves
// the id out, would otherwise reach no tracked order.
func (e *Executor) handleAnswer(clientOrderID string, o exchange.Order) {
	if o.ClientOrderID == "" {
		o.ClientOrderID = clientOrderID
	}
	e.HandleEvent(exchange.OrderEvent{Order: o})
}

// owner finds the tracked order an event is about, naming it when the
// venue did not (an attached bracket), and adopts a bracket the venue
// created for a tracked entry (attached is then true). It returns nil for
// an order already ended or not tracked, which the event then leaves
// alone. Called with mu held.
func (e *Executor) owner(o *exchange.Order) (t *trackedOrder, attached bool) {
	if o.ClientOrderID == "" && o.ID != "" {
		// Orders the venue creates itself (an attached bracket) have no
		// client order id; the executor names them when it first sees them.
		o.ClientOrderID = e.byVenueID[o.ID]
	}
	t = e.orders[o.ClientOrderID]
	if t == nil && (e.ended.has(o.ID) || e.ended.has(o.ClientOrderID)) {
		// A state of an order already ended (a reconciliation's answer
		// applied after the user channel's final update, or a repeated
		// final update): what it did is booked. Taken for a new bracket,
		// it would be booked and journaled again.
		e.log.Debug("order event for an order already ended; ignored", "client_order_id", o.ClientOrderID,
			"order_id", o.ID, "status", o.Status)
		return nil, false
	}
	if t != nil && o.OriginatingOrderID != "" {
		// Its entry, should it end after this, waits for no bracket.
		delete(e.filledParents, o.OriginatingOrderID)
	}
	if t == nil {
		t = e.adoptBracket(o)
		attached = t != nil
	}
	if t == nil {
		e.log.Warn("order event for an order this run does not track", "client_order_id", o.ClientOrderID, "order_id", o.ID, "status", o.Status)
	}
	return t, attached
}

// adoptBracket tracks o as the attached TP/SL bracket the venue created
// when one of the executor's entries filled, and returns it; nil when o
// is no such bracket. Called with mu held.
func (e *Executor) adoptBracket(o *exchange.Order) *trackedOrder {
	if o.OriginatingOrderID == "" && o.ClientOrderID == "" && o.Side == exchange.Sell {
		// The Coinbase user channel reports a venue-created bracket
		// without its originating order: it is recognised by its product
		// and size, which are its entry's filled size.
		o.OriginatingOrderID = e.parentBySize(*o)
	}
	if o.OriginatingOrderID == "" {
		return nil
	}
	// It belongs to the entry's instance and is an exit.
	parentID, instance := "", ""
	if id, ok := e.byVenueID[o.OriginatingOrderID]; ok {
		if parent := e.orders[id]; parent != nil {
			parentID, instance = id, parent.intent.Instance
		}
	} else if p, ok := e.filledParents[o.OriginatingOrderID]; ok {
		parentID, instance = p.clientOrderID, p.instance
	}
	if parentID == "" {
		return nil
	}
	delete(e.filledParents, o.OriginatingOrderID)
	if o.ClientOrderID == "" {
		o.ClientOrderID = parentID + attachedSuffix
	}
	t := &trackedOrder{intent: OrderRecord{ClientOrderID: o.ClientOrderID, Instance: instance, Purpose: exchange.Exit,
		Request: o.OrderRequest}, order: *o}
	e.orders[o.ClientOrderID] = t
	// It rests on the venue like an order this run placed, and its end
	// is counted (orders_open), so its start is too.
	e.obs.OrderSubmitted(instance, o.ProductID, o.Side, o.Type)
	return t
}

// apply takes an event's state into the tracked order: the fill it adds
// (ev.Fill, nil when none), the part of it the journal lacks and the part
// the risk guard has not counted (both all of it but after a restart). ok is
// false for a state older than one applied already (events from the user
// channel and REST reconciliation can cross), which changes nothing.
// Called with mu held.
func (e *Executor) apply(t *trackedOrder, ev *exchange.OrderEvent) (journalFill, guardFill *exchange.Fill, ok bool) {
	o := &ev.Order
	if t.intent.Purpose == exchange.Entry && t.intent.Request.Attached != nil && o.Attached == nil {
		// The user channel does not repeat an entry's attached TP/SL; the
		// instance's exits must know one is coming, or they place a
		// second exit beside the venue's bracket.
		o.Attached = t.intent.Request.Attached
	}
	fill, stale := t.fillFrom(*ev)
	if stale {
		return nil, nil, false
	}
	ev.Fill = fill
	if fill != nil {
		journalFill, guardFill = t.journalPart(fill), t.guardPart(fill)
	}
	if o.ID != "" {
		e.byVenueID[o.ID] = o.ClientOrderID
	}
	t.order = *o
	t.inFlight = false
	return journalFill, guardFill, true
}

// journalAttached journals a bracket just adopted: its intent, and its
// venue id, by which alone it is found on the venue after a restart (its
// name is the executor's).
func (e *Executor) journalAttached(t *trackedOrder, o exchange.Order) {
	if e.journal == nil {
		return
	}
	// Its reason is its stop leg's, as for any bracket (one that fills
	// untriggered is a take-profit): the exits attach the stop-loss.
	err := e.noteJournal("attached order", e.journal.RecordIntent(OrderRecord{ClientOrderID: o.ClientOrderID,
		Instance: t.intent.Instance, Purpose: exchange.Exit, Reason: exits.ReasonStopLoss, Request: o.OrderRequest,
		Time: e.clock.Now()}))
	if err == nil && o.ID != "" {
		err = e.noteJournal("attached order", e.journal.UpdateOrder(o.ClientOrderID, withoutExecution(o)))
	}
	if err != nil {
		e.log.Error("journal attached order failed", "client_order_id", o.ClientOrderID, "error", err)
	}
}

// bookFill journals a fill (the part the journal lacks), applies the part
// the risk guard has not counted to the guard, and counts the fill in the
// metrics.
//
// The guard learns the fill's journal number with the fill, and fills are
// journaled and booked one at a time (bookMu), from every goroutine that
// delivers order events: the guard books fills in the order the journal
// numbered them, so that when its counters name the last fill they
// include, they include every fill numbered below it too, and a restart
// books exactly the journaled fills numbered above it
// (risk.Counters.FillSeq). Without bookMu, two fills journaled one after
// the other could be booked the other way round, and counters saved
// between the two bookings would name the later fill without including
// the earlier.
func (e *Executor) bookFill(instance string, f exchange.Fill, journalFill, guardFill *exchange.Fill, reservation *risk.Reservation) {
	journaled := e.journal != nil && journalFill != nil
	var seq uint64
	var err error
	e.bookMu.Lock()
	if journaled {
		seq, err = e.journal.RecordFill(instance, *journalFill)
	}
	if guardFill != nil {
		e.guard.OnJournaledFill(seq, instance, f.ProductID, f.Side, guardFill.Size, f.Price, guardFill.Fee, reservation)
	}
	e.bookMu.Unlock()
	if journaled && e.noteJournal("fill", err) != nil {
		e.log.Error("journal fill failed", "client_order_id", f.ClientOrderID, "trade_id", f.TradeID, "error", err)
	}
	if guardFill != nil && e.onFillCounted != nil {
		e.onFillCounted()
	}
	e.obs.Fill(instance, f)
}

// parentEntry is a filled entry whose attached bracket is still to be
// seen.
type parentEntry struct {
	clientOrderID, instance, productID string
	filled                             decimal.Decimal
}

// parentBySize returns the venue id of the entry whose attached bracket o
// is, matched by product and size (its filled size), among entries that
// filled with an attached TP/SL: those still tracked and those ended
// whose bracket is still to be seen; "" when none matches. Sizes carry
// eight decimals, so two entries pending with the same size are not a
// practical concern. Called with mu held.
func (e *Executor) parentBySize(o exchange.Order) string {
	if !o.BaseSize.IsPositive() {
		return ""
	}
	for id, p := range e.filledParents {
		if p.productID == o.ProductID && p.filled.Equal(o.BaseSize) {
			return id
		}
	}
	for _, t := range e.orders {
		if t.intent.Request.Attached != nil && t.order.ID != "" && t.intent.Request.ProductID == o.ProductID && t.filled.Equal(o.BaseSize) {
			return t.order.ID
		}
	}
	return ""
}

// bracketSeen reports whether the attached bracket of entry o (client
// order id clientOrderID) is tracked or has ended already: the
// reconciliation hands a bracket over before its entry's state, so an
// entry can end after its bracket was adopted, and must then not be
// remembered as waiting for one. Called with mu held.
func (e *Executor) bracketSeen(clientOrderID string, o exchange.Order) bool {
	name := clientOrderID + attachedSuffix
	if _, ok := e.orders[name]; ok || e.ended.has(name) {
		return true
	}
	if o.AttachedOrderID == "" {
		return false
	}
	_, ok := e.byVenueID[o.AttachedOrderID]
	return ok || e.ended.has(o.AttachedOrderID)
}

// maxFilledParents bounds filledParents should brackets never show up
// (a venue that refused them): a handful are pending at any time.
const maxFilledParents = 1024

// attachedSuffix names a venue-created attached bracket after its entry:
// "<entry client order id>-attached".
const attachedSuffix = "-attached"

func statusLabel(s exchange.OrderStatus) string {
	switch s {
	case exchange.StatusFilled:
		return "filled"
	case exchange.StatusCancelled:
		return "cancelled"
	case exchange.StatusExpired:
		return "expired"
	case exchange.StatusFailed:
		return "failed"
	}
	return "open"
}

// InFlight returns the client order ids whose outcome is unknown.
func (e *Executor) InFlight() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for id, t := range e.orders {
		if t.inFlight {
			ids = append(ids, id)
		}
	}
	return ids
}

// ResolveInFlight asks the venue about every order whose outcome is
// unknown and applies the answer: an order found is adopted (its events
// follow), one the venue does not know is placed again under the same id.
// It returns how many orders it asked about.
func (e *Executor) ResolveInFlight(ctx context.Context) (asked int) {
	ids := e.InFlight()
	for _, id := range ids {
		o, err := e.venue.OrderByClientID(ctx, id)
		if errors.Is(err, exchange.ErrOrderNotFound) {
			e.mu.Lock()
			t := e.orders[id]
			e.mu.Unlock()
			if t == nil {
				continue
			}
			o, err = e.send(ctx, t.intent.Request)
			var rej *exchange.RejectError
			if errors.As(err, &rej) {
				e.HandleEvent(exchange.OrderEvent{Order: exchange.Order{OrderRequest: t.intent.Request, Status: exchange.StatusFailed, RejectReason: rej.Reason}})
				continue
			}
		}
		if err != nil {
			e.log.Warn("in-flight order still unresolved", "client_order_id", id, "error", err)
			continue
		}
		e.accepted(id, o)
		e.handleAnswer(id, o)
	}
	return len(ids)
}

// Tracked returns the venue ids of the orders being tracked that the
// venue has acknowledged, for reconciliation.
func (e *Executor) Tracked() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.byVenueID))
	for id := range e.byVenueID {
		ids = append(ids, id)
	}
	return ids
}

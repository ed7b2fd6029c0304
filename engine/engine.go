// Package engine wires the flow of docs/ARCHITECTURE.md: ticks from a feed are
// routed to the mailboxes of the strategy instances on their product;
// each instance's goroutine runs its strategy and its exits; every order
// goes through the Executor (risk guard, journal, venue) and every order
// event from the venue comes back through the Executor to the instance
// that owns the order.
//
// The same Engine runs live, paper and backtest. Live and paper call Run,
// which starts one goroutine per instance; a backtest calls OnTick and
// Drain from one goroutine, which makes it deterministic and fast.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/position"
	"github.com/tradebot/tradebot/risk"
)

// Options configures an Engine.
type Options struct {
	Venue     exchange.Venue
	Guard     *risk.Guard
	Journal   Journal // nil runs without one
	Observer  Observer
	Clock     clock.Clock
	Log       *slog.Logger
	Instances []InstanceSpec
	// Fees are the venue's maker and taker rates, for break-even offsets.
	MakerFee, TakerFee decimal.Decimal
	// OnRoundTrip receives every closed position (journal, reports).
	OnRoundTrip func(position.RoundTrip)
	// ForgetRoundTrips keeps RoundTrips empty: a daemon runs for months,
	// hands each closed position to OnRoundTrip and never asks for the
	// list, which would otherwise grow with every trade. Backtests and
	// tests keep it.
	ForgetRoundTrips bool
	// OnJournal, when set, is called with the error when the journal
	// stops taking writes, and with nil when it takes them again (the
	// daemon's health and metrics).
	OnJournal func(err error)
	// OnFillCounted, when set, is called after the risk guard counts a
	// fill, on the goroutine that delivered it, so that the guard's
	// counters can be saved (the daemon saves them off that goroutine).
	OnFillCounted func()
	// OnEntryNotPlaced, when set, receives each entry a strategy decided
	// that was not placed (the risk guard or the venue refused it, or
	// it was not sent), with the strategy's name and why, after it is
	// logged, on the instance's goroutine (several at once in a daemon;
	// Step's caller's in a backtest). A backtest counts them for its
	// summary with its log discarded, so that no refusal builds a log
	// record.
	OnEntryNotPlaced func(strategy string, err error)
}

// Engine runs strategy instances against a venue.
type Engine struct {
	venue exchange.Venue
	exec  *Executor
	guard *risk.Guard
	obs   Observer
	// nopObs is set when obs is NopObserver: the per-tick reports are
	// then not even built.
	nopObs    bool
	log       *slog.Logger
	clock     clock.Clock
	instances []*Instance
	// byProduct routes ticks; read-only after New.
	byProduct   map[string][]*Instance
	onRoundTrip func(position.RoundTrip)
	// onEntryNotPlaced is Options.OnEntryNotPlaced.
	onEntryNotPlaced func(strategy string, err error)
	// keepRoundTrips is !Options.ForgetRoundTrips.
	keepRoundTrips bool
	rtMu           sync.Mutex
	roundTrips     []position.RoundTrip

	// stopping is set at shutdown: no new entries, exits still run.
	stopping atomic.Bool
	// venueDown is set while the venue does not answer (SetVenueReachable).
	venueDown atomic.Bool
}

// New builds the engine: the executor over the venue, and an instance
// with its exits manager for every spec. Products come from the venue.
func New(ctx context.Context, o Options) (*Engine, error) {
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.Clock == nil {
		o.Clock = clock.Wall{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		exec: NewExecutor(ExecutorOptions{Venue: o.Venue, Guard: o.Guard, Journal: o.Journal,
			Observer: o.Observer, Clock: o.Clock, Log: o.Log, OnJournal: o.OnJournal, OnFillCounted: o.OnFillCounted}),
		venue: o.Venue, guard: o.Guard, obs: o.Observer, log: o.Log, clock: o.Clock, byProduct: map[string][]*Instance{},
		onRoundTrip: o.OnRoundTrip, onEntryNotPlaced: o.OnEntryNotPlaced, keepRoundTrips: !o.ForgetRoundTrips,
	}
	_, e.nopObs = o.Observer.(NopObserver)
	for _, spec := range o.Instances {
		p, err := o.Venue.Product(ctx, spec.ProductID)
		if err != nil {
			return nil, fmt.Errorf("instance %s: product %s: %w", spec.Name, spec.ProductID, err)
		}
		in := &Instance{name: spec.Name, product: p, spec: spec, exec: e.exec,
			obs: o.Observer, log: o.Log, mailbox: NewMailbox(), engine: e, watchLimit: spec.Exits.Defaults().StaleAfter}
		if err := in.setupStrategy(spec.Strategy); err != nil {
			return nil, fmt.Errorf("instance %s: %w", spec.Name, err)
		}
		in.quiet = e.nopObs && e.exec.journal == nil
		if spec.QuoteSize.IsPositive() {
			in.entryQuote = p.RoundQuoteSize(spec.QuoteSize)
		} else {
			in.entryBase = p.RoundSize(spec.BaseSize)
		}
		name := spec.Name
		in.exits = exits.NewManager(in.spec.Exits, exits.Deps{
			Orders: exitOrders{in}, Product: p, Clock: o.Clock, Log: o.Log, Strategy: name,
			Fees: exits.Fees{Maker: o.MakerFee, Taker: o.TakerFee},
			NewClientOrderID: func() string {
				id, err := e.exec.NextClientOrderID(name)
				if err != nil {
					// The journal cannot hand out ids: the caller's Place
					// will fail on the empty id and the exit is watched.
					o.Log.Error("no client order id for an exit", "strategy", name, "error", err)
				}
				return id
			},
		})
		e.exec.register(in)
		e.instances = append(e.instances, in)
		for _, id := range in.needs.Products() {
			e.byProduct[id] = append(e.byProduct[id], in)
		}
	}
	return e, nil
}

// Executor returns the engine's executor; the venue's event source calls
// its HandleEvent.
func (e *Engine) Executor() *Executor { return e.exec }

// Guard returns the risk guard the engine's orders go through.
func (e *Engine) Guard() *risk.Guard { return e.guard }

// Instances returns the instances in config order.
func (e *Engine) Instances() []*Instance { return e.instances }

// HandleEvent passes a venue's order event to the executor.
func (e *Engine) HandleEvent(ev exchange.OrderEvent) { e.exec.HandleEvent(ev) }

// OnTick routes a tick to the instances on its product and to the guard.
// It never blocks: mailboxes conflate (docs/INVARIANTS.md invariant 5).
func (e *Engine) OnTick(t exchange.Tick) {
	if !e.nopObs {
		e.obs.TickReceived(t)
	}
	e.guard.OnTick(&t)
	for _, in := range e.byProduct[t.ProductID] {
		in.mailbox.PutTick(t)
	}
}

// Run starts one goroutine per instance and returns when ctx ends and
// every goroutine has returned. Resting protective orders stay on the
// venue (docs/INVARIANTS.md invariant 6).
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, in := range e.instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.run(ctx)
		}()
	}
	<-ctx.Done()
	e.stopping.Store(true)
	wg.Wait()
	return nil
}

// SetVenueReachable tells the engine whether the venue answers requests
// (the live daemon follows every REST call): a bot-watched stop cannot
// sell through a venue that does not answer, and is then not counted as
// protection (PositionReport.Protected).
func (e *Engine) SetVenueReachable(ok bool) { e.venueDown.Store(!ok) }

// StopEntries refuses new entries from now on; exits keep working. The
// daemon calls it first on SIGTERM.
func (e *Engine) StopEntries() { e.stopping.Store(true) }

func (e *Engine) entriesAllowed() bool { return !e.stopping.Load() }

// Drain processes every instance's mailbox until all are empty, on the
// calling goroutine. Backtests call it after each OnTick.
func (e *Engine) Drain(ctx context.Context) {
	for more := true; more; {
		more = false
		for _, in := range e.instances {
			if in.process(ctx) {
				more = true
			}
		}
	}
}

// Flatten asks every instance to close its position at market, on its
// own goroutine, with the given exit reason (the kill switch's flatten).
func (e *Engine) Flatten(ctx context.Context, reason string) {
	for _, in := range e.instances {
		in.mailbox.putMessage(message{command: func() {
			if err := in.exits.Close(ctx, reason); err != nil {
				in.log.Error("flatten failed", "strategy", in.name, "error", err)
			}
		}})
	}
}

// Park asks every instance to rest its protection on the venue before the
// daemon stops (a bot-watched stop becomes a resting stop-limit, since
// nothing watches it while the daemon is down), and waits until all have
// done so or ctx ends. The instances' goroutines must still be running.
//
// Parking cancels the strategy's sells so that the stop covers the whole
// position; a sell may have filled on the venue while its event is still
// on the way (the user channel lags), and the stop sized for base already
// sold is refused. Park then asks the venue about every exit still
// tracked (settleExits) and lets the instances book what they did, which
// rests the stop for what is held, before the process exits with the
// events still unheard.
func (e *Engine) Park(ctx context.Context) {
	err := e.onEveryInstance(ctx, func(in *Instance) message {
		return message{command: func() {
			in.exits.Park(ctx)
			// A command runs inside a round: the orders that round applied
			// before it (an entry's fill Settle just found) are in the
			// exit state saved here and must be journaled with it, or the
			// next start books their fills again.
			in.saveProgress()
		}}
	})
	if err != nil || e.settleExits(ctx) == 0 {
		return
	}
	// The rounds that take the exits' states end (and save them) before
	// this returns.
	_ = e.onEveryInstance(ctx, func(*Instance) message { return message{afterRound: func() {}} })
}

// WaitIdle returns once every instance has handled everything delivered
// to it so far, including the order events its own orders caused, or when
// ctx ends. Paper replay in lockstep calls it before each tick, so that no
// tick is conflated and no order races the next tick: the same trades as
// a backtest. The instances' goroutines must be running (Run).
func (e *Engine) WaitIdle(ctx context.Context) error {
	for {
		// An empty afterRound marks the end of the round that takes it.
		if err := e.onEveryInstance(ctx, func(*Instance) message { return message{afterRound: func() {}} }); err != nil {
			return err
		}
		idle := true
		for _, in := range e.instances {
			if in.mailbox.pending() {
				idle = false
			}
		}
		if idle {
			return nil
		}
	}
}

// onEveryInstance puts the message msg(in) in every instance's mailbox and
// waits until each has been run (a command) or its round has ended
// (afterRound), or ctx ends.
func (e *Engine) onEveryInstance(ctx context.Context, msg func(in *Instance) message) error {
	dones := make([]chan struct{}, 0, len(e.instances))
	for _, in := range e.instances {
		done := make(chan struct{})
		dones = append(dones, done)
		m := msg(in)
		if cmd := m.command; cmd != nil {
			m.command = func() { defer close(done); cmd() }
		} else {
			after := m.afterRound
			m.afterRound = func() { defer close(done); after() }
		}
		in.mailbox.putMessage(m)
	}
	for _, done := range dones {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (e *Engine) roundTrip(rt position.RoundTrip) {
	e.guard.OnRoundTrip(rt.Strategy, rt.ProductID, rt.PnL, rt.ExitReason)
	if e.keepRoundTrips {
		e.rtMu.Lock()
		e.roundTrips = append(e.roundTrips, rt)
		e.rtMu.Unlock()
	}
	if e.onRoundTrip != nil {
		e.onRoundTrip(rt)
	}
}

// RoundTrips returns every position closed so far, or none when the
// engine was built with Options.ForgetRoundTrips.
func (e *Engine) RoundTrips() []position.RoundTrip {
	e.rtMu.Lock()
	defer e.rtMu.Unlock()
	return append([]position.RoundTrip(nil), e.roundTrips...)
}

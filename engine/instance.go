package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/strategy"
)

// InstanceSpec describes one strategy instance to the engine.
type InstanceSpec struct {
	Name      string
	ProductID string
	// Strategy is a value of the strategy API or a strategy.Signaler.
	Strategy strategy.Strategy
	// QuoteSize or BaseSize is what one entry buys; exactly one is set.
	QuoteSize decimal.Decimal
	BaseSize  decimal.Decimal
	Exits     exits.Config
}

// Instance is one strategy instance: its strategy, its position and the
// position's protection. Everything in it is owned by the instance's
// goroutine (Run) or, in a backtest, by the loop that calls Drain; other
// goroutines reach it only through its mailbox.
type Instance struct {
	name    string
	product exchange.Product
	spec    InstanceSpec
	// strat is the strategy (a Signaler comes wrapped in
	// strategy.Signals) and hooks its callbacks.
	strat strategy.Strategy
	hooks hooks
	needs *strategy.Needs
	sctx  *stratContext
	// barSubs are the bar subscriptions; barsShort counts those short of
	// their lookback.
	barSubs   []*barSub
	barsShort int
	// tradesOf and quotesOf are the products whose trades and quotes
	// the strategy takes.
	tradesOf, quotesOf []string
	timers             []timerSub
	// working are the strategy's orders that have not ended, by client
	// order id; refusals wait for the end of the callback that caused
	// them.
	working map[string]*workingOrder
	// spareWorking is the record of the last order refused, for the
	// next (newWorking).
	spareWorking *workingOrder
	refusals     []strategy.OrderEvent
	// warming is set while history is fed (WarmUp); warm once it is over
	// and every bar subscription has its lookback.
	warming, warm bool
	// recovering is set while Recover applies what the venue did during
	// the restart: the strategy hears of its orders' events but may place
	// none until protection is re-armed (invariant 4).
	recovering bool
	// quiet is set when the engine has neither an observer nor a
	// journal: the once-a-second report and save then do nothing.
	quiet   bool
	exits   *exits.Manager
	exec    *Executor
	obs     Observer
	log     *slog.Logger
	mailbox *Mailbox
	engine  *Engine

	// lastCloseErr and lastCloseErrAt keep a refused exit from flooding
	// the log.
	lastCloseErr   string
	lastCloseErrAt time.Time
	lastMark       decimal.Decimal
	// lastTickAt is when the last tick arrived (engine clock), kept only
	// with an observer: a bot-watched stop acts only while ticks arrive.
	lastTickAt time.Time
	// watchLimit is how old the feed may get before a bot-watched stop
	// counts as unable to act (the exits' stale_after).
	watchLimit time.Duration
	// entryQuote or entryBase is what one entry buys, rounded to the
	// product's increments once (New).
	entryQuote, entryBase decimal.Decimal
	// nextReport is a second of market time after the last report.
	nextReport time.Time
	conflated  uint64

	msgBuf  []message
	tickBuf []exchange.Tick
	// applied are the orders whose events this round applied, journaled
	// with the exit state by saveProgress. Only the start of a round
	// clears it: a command saving mid-round (Park) saves them too.
	applied []exchange.Order
	// savedStop is the stop last journaled, so that a moved stop is saved
	// without saving on every tick.
	savedStop decimal.Decimal
	// turnedAt is when run last took an event, as nanoseconds since
	// heartbeatEpoch plus one; 0 while run is not running. Written by run,
	// read by any goroutine (LastTurn, the daemon's /healthz).
	turnedAt atomic.Int64
}

// Name returns the instance's name.
func (in *Instance) Name() string { return in.name }

// EntryRetryDelay is how long, in market time, a Signaler waits after a
// refused entry before it asks for another, and a refused exit is logged
// again.
const EntryRetryDelay = strategy.EntryRetryDelay

// IdleInterval is how often an instance's goroutine checks its
// protection while no tick arrives, so that a silent feed is noticed
// (bot-watched stops fall back to a resting stop; time stops still fire).
const IdleInterval = time.Second

// run is the instance's goroutine: it processes the mailbox until ctx ends.
func (in *Instance) run(ctx context.Context) {
	idle := time.NewTicker(IdleInterval)
	defer idle.Stop()
	in.turned()
	defer in.turnedAt.Store(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-in.mailbox.Wake():
			in.process(ctx)
		case <-idle.C:
			in.turned()
			now := in.engine.clock.Now()
			in.exits.OnIdle(ctx, now)
			in.onIdle(ctx, now)
			// A watched stop that can no longer act must show in
			// positions_unprotected with no tick to report it.
			in.report()
		}
	}
}

// process handles everything waiting in the mailbox once: messages first
// (order events change the position the strategy sees), then ticks.
// It reports whether there was anything.
func (in *Instance) process(ctx context.Context) bool {
	in.msgBuf, in.tickBuf = in.mailbox.take(in.msgBuf[:0], in.tickBuf[:0])
	in.applied = in.applied[:0]
	var after []func()
	for i := range in.msgBuf {
		m := in.msgBuf[i]
		switch {
		case m.afterRound != nil:
			after = append(after, m.afterRound)
		case m.command != nil:
			m.command()
		case m.event != nil:
			in.handleEvent(ctx, *m.event, m.purpose)
			in.applied = append(in.applied, m.event.Order)
		}
		in.msgBuf[i] = message{}
	}
	if len(in.msgBuf) > 0 {
		in.saveProgress()
	}
	for i := range in.tickBuf {
		in.handleTick(ctx, &in.tickBuf[i])
	}
	if n := in.mailbox.Conflated(); n != in.conflated {
		in.obs.Conflated(in.name, n-in.conflated)
		in.conflated = n
	}
	for _, f := range after {
		f()
	}
	return len(in.msgBuf)+len(in.tickBuf) > 0
}

func (in *Instance) handleTick(ctx context.Context, t *exchange.Tick) {
	if t.ProductID == in.product.ID {
		if t.Kind == exchange.TradeTick {
			in.lastMark = t.Price
		}
		if !in.engine.nopObs {
			in.lastTickAt = in.engine.clock.Now()
		}
		in.exits.OnTick(ctx, t)
	}
	in.dispatchTick(ctx, t)
	// !Before(nextReport) is Sub(lastReport) >= 1s without Sub's
	// overflow checks, on every tick. Without an observer or a journal
	// there is nothing to report or save.
	if !in.quiet && !t.Time.Before(in.nextReport) {
		in.report()
		in.nextReport = t.Time.Add(time.Second)
		// A trailing or break-even move of a bot-watched stop changes no
		// order; journal it at most once a second of market time.
		if in.exec.journal != nil && !in.exits.Protection().Stop.Equal(in.savedStop) {
			in.applied = in.applied[:0]
			in.saveProgress()
		}
	}
}

func (in *Instance) handleEvent(ctx context.Context, ev exchange.OrderEvent, purpose exchange.Purpose) {
	in.exits.OnOrderEvent(ctx, ev, purpose)
	o := ev.Order
	if f := ev.Fill; f != nil {
		in.log.Info("fill", "strategy", in.name, "purpose", purpose.String(), "side", f.Side, "price", f.Price,
			"size", f.Size, "fee", f.Fee, "liquidity", f.Liquidity, "client_order_id", o.ClientOrderID)
	}
	// The strategy's buys are entries and its sells exits; the exits'
	// own orders are not in its working set and are not reported.
	in.strategyOrderEvent(ctx, ev)
	for _, rt := range in.exits.TakeRoundTrips() {
		in.obs.Exit(rt)
		in.log.Info("position closed", "strategy", in.name, "product", in.product.ID, "exit_reason", rt.ExitReason,
			"entry_price", rt.EntryPrice, "exit_price", rt.ExitPrice, "size", rt.Size, "pnl", rt.PnL, "fees", rt.Fees,
			"holding", rt.Holding.String())
		in.engine.roundTrip(rt)
	}
	in.report()
}

// report publishes the position and its protection to the observer.
func (in *Instance) report() {
	if in.engine.nopObs {
		return
	}
	pos := in.exits.Position()
	prot := in.exits.Protection()
	r := PositionReport{Strategy: in.name, Product: in.product.ID, Size: pos.Size, AvgEntry: pos.AvgEntry,
		Mark: in.lastMark, Realized: pos.RealizedPnL, Fees: pos.Fees, Stop: prot.Stop,
		Protected: !pos.Size.IsPositive() || prot.Resting || (prot.Watched && in.canWatch())}
	if pos.Size.IsPositive() && in.lastMark.IsPositive() {
		r.Unrealized = pos.Unrealized(in.lastMark)
	}
	in.obs.Position(r)
}

// canWatch reports whether a bot-watched stop can act now: ticks arrive
// (within the exits' stale_after) and the venue answers, so that a stop
// reached would be sold. Issue 15, finding 5: a watched stop counted as
// protection with a dead feed or an unreachable exchange.
func (in *Instance) canWatch() bool {
	return !in.lastTickAt.IsZero() && in.engine.clock.Now().Sub(in.lastTickAt) < in.watchLimit &&
		!in.engine.venueDown.Load()
}

// exitOrders is how an instance's exits manager sends orders: through the
// executor, marked as exits so the guard lets them through exposure limits.
type exitOrders struct{ in *Instance }

func (o exitOrders) Place(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error) {
	// The exit rule it is sent for (a strategy sell's own reason: the
	// exits name it among their sells before sending it), journaled with
	// its intent: a restart that learns of its fill from the venue ends
	// the round trip with it.
	reason := o.in.exits.ReasonOf(req.ClientOrderID)
	return o.in.exec.Place(ctx, Intent{Instance: o.in.name, Purpose: exchange.Exit, Reason: reason, Request: req,
		EstimatedPrice: o.in.lastMark})
}

func (o exitOrders) Cancel(ctx context.Context, orderID string) error {
	return o.in.exec.Cancel(ctx, orderID)
}

func (o exitOrders) Edit(ctx context.Context, orderID string, e exchange.OrderEdit) (exchange.Order, error) {
	order, err := o.in.exec.Edit(ctx, orderID, e)
	if errors.Is(err, ErrEditUnsupported) {
		return order, exits.ErrEditUnsupported
	}
	return order, err
}

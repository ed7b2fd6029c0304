package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/bars"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/strategy"
)

// hooks are the strategy's optional parts, found once by type assertion.
type hooks struct {
	bar    strategy.BarHandler
	trade  strategy.TradeHandler
	quote  strategy.QuoteHandler
	order  strategy.OrderHandler
	timer  strategy.TimerHandler
	signal bool // a Signaler behind the Signals adapter
}

// barSub is one bar subscription of an instance and its aggregator.
type barSub struct {
	need strategy.BarNeed
	agg  *bars.Aggregator
	seen int // closed bars delivered, history included
}

// timerSub is one timer of an instance.
type timerSub struct {
	period time.Duration
	next   time.Time
}

// workingOrder is one of the strategy's own orders that has not ended.
type workingOrder struct {
	order exchange.Order
}

// setupStrategy finds the strategy's parts and subscriptions. The
// strategy of an instance is given as a Signaler or as a value of the
// strategy API; a Signaler is wrapped in strategy.Signals.
func (in *Instance) setupStrategy(s strategy.Strategy) error {
	s = strategy.Adapt(s)
	in.strat = s
	h := &in.hooks
	h.bar, _ = s.(strategy.BarHandler)
	h.trade, _ = s.(strategy.TradeHandler)
	h.quote, _ = s.(strategy.QuoteHandler)
	h.order, _ = s.(strategy.OrderHandler)
	h.timer, _ = s.(strategy.TimerHandler)
	_, h.signal = s.(*strategy.Signals)
	if h.bar == nil && h.trade == nil && h.quote == nil && h.order == nil && h.timer == nil {
		return fmt.Errorf("strategy %T has no callback (OnBar, OnTrade, OnQuote, OnOrder, OnTimer or OnTick)", s)
	}
	n := strategy.NeedsOf(s, in.product.ID)
	if err := n.Err(); err != nil {
		return err
	}
	in.needs = n
	if stop := n.InventoryStop(); stop.IsPositive() {
		if err := in.inventoryExits(stop); err != nil {
			return err
		}
	}
	if h.bar != nil {
		for _, b := range n.BarNeeds() {
			in.barSubs = append(in.barSubs, &barSub{need: b, agg: bars.New(b.Product, b.Interval, bars.Options{ClosesOnly: b.ClosesOnly})})
			if b.Lookback > 0 {
				in.barsShort++
			}
		}
	}
	in.tradesOf, in.quotesOf = n.TradeProducts(), n.QuoteProducts()
	if h.timer != nil {
		for _, p := range n.Timers() {
			in.timers = append(in.timers, timerSub{period: p})
		}
	}
	in.working = map[string]*workingOrder{}
	in.sctx = &stratContext{in: in, log: in.log.With("strategy", in.name, "product", in.product.ID)}
	in.warm = in.barsShort == 0
	return nil
}

// inventoryExits makes an inventory strategy's stop the instance's
// exits.stop_loss. The exits that act on the average entry of the whole
// position (take-profit, trailing, break-even) would sell the lots the
// strategy sells one by one, so they are refused, as is a stop of the
// user's own beside the strategy's.
func (in *Instance) inventoryExits(stop decimal.Decimal) error {
	x := &in.spec.Exits
	switch {
	case x.StopLoss != nil:
		return fmt.Errorf("exits.stop_loss: the strategy sets the inventory's stop (%s) from its params; remove exits.stop_loss", stop)
	case len(x.TakeProfit) > 0 || x.TrailingStop != nil || x.BreakEven != nil:
		return errors.New("exits: take_profit, trailing_stop and break_even act on the whole inventory and would sell the lots the strategy sells itself; " +
			"an inventory strategy allows only placement, time_stop and the stop settings")
	}
	x.StopLoss = &exits.StopLoss{Price: stop}
	return nil
}

// reads reports whether the strategy takes ticks of product.
func (in *Instance) reads(product string) bool {
	return product == in.product.ID || slices.Contains(in.needs.Products(), product)
}

// noteWarm sets warm once the conditions hold, and logs it once.
func (in *Instance) noteWarm(now time.Time) {
	if in.warm || in.warming || in.barsShort > 0 {
		return
	}
	in.warm = true
	in.log.Info("strategy warm", "strategy", in.name, "product", in.product.ID, "at", now.UTC().Format(time.RFC3339))
}

// dispatchTick runs the strategy's part of one tick: bars the clock or the
// trade closes, then the trade or quote callback, then timers due.
func (in *Instance) dispatchTick(ctx context.Context, t *exchange.Tick) {
	sc := in.sctx
	sc.ctx, sc.tick = ctx, t
	// advance, fireTimers and flushRefusals are called only when they
	// have something to look at: most instances have no bars, no timers
	// and no refusal waiting, and the three calls for nothing were some
	// 50 instructions of every tick of a backtest.
	if len(in.barSubs) > 0 {
		in.advance(t.Time)
	}
	if t.Kind == exchange.TradeTick {
		for _, b := range in.barSubs {
			if b.need.Product == t.ProductID && b.agg.Add(t) {
				in.deliverBar(b)
			}
		}
		if in.hooks.trade != nil && slices.Contains(in.tradesOf, t.ProductID) {
			in.hooks.trade.OnTrade(sc, t)
		}
	} else if in.hooks.quote != nil && slices.Contains(in.quotesOf, t.ProductID) {
		in.hooks.quote.OnQuote(sc, t)
	}
	if !in.warming && len(in.timers) > 0 {
		in.fireTimers(t.Time)
	}
	sc.tick = nil
	if len(in.refusals) > 0 {
		in.flushRefusals()
	}
}

// advance closes the bars whose end the clock has reached.
func (in *Instance) advance(now time.Time) {
	for _, b := range in.barSubs {
		if b.agg.Advance(now) {
			in.deliverBar(b)
		}
	}
}

func (in *Instance) deliverBar(b *barSub) {
	b.seen++
	if b.seen == b.need.Lookback {
		in.barsShort--
		in.noteWarm(b.agg.Last().End())
	}
	in.hooks.bar.OnBar(in.sctx, b.agg.Last())
}

func (in *Instance) fireTimers(now time.Time) {
	for i := range in.timers {
		tm := &in.timers[i]
		if tm.next.IsZero() {
			tm.next = now.Add(tm.period)
			continue
		}
		if !now.Before(tm.next) {
			for !now.Before(tm.next) {
				tm.next = tm.next.Add(tm.period)
			}
			in.hooks.timer.OnTimer(in.sctx, now)
		}
	}
}

// onIdle runs the clock-driven parts of the strategy while no tick comes.
func (in *Instance) onIdle(ctx context.Context, now time.Time) {
	if len(in.barSubs) == 0 && len(in.timers) == 0 {
		return
	}
	in.sctx.ctx = ctx
	in.advance(now)
	in.fireTimers(now)
	in.flushRefusals()
}

// strategyOrderEvent tells the strategy about an event of one of its own
// orders.
func (in *Instance) strategyOrderEvent(ctx context.Context, ev exchange.OrderEvent) {
	o := ev.Order
	w, ok := in.working[o.ClientOrderID]
	if !ok {
		return
	}
	w.order = o
	terminal := o.Status.Terminal()
	if terminal {
		delete(in.working, o.ClientOrderID)
	}
	if in.hooks.order == nil {
		return
	}
	in.sctx.ctx = ctx
	e := strategy.OrderEvent{ClientOrderID: o.ClientOrderID, Order: o, Fill: ev.Fill}
	switch {
	case ev.Fill != nil && o.Status == exchange.StatusFilled:
		e.Kind = strategy.Filled
	case ev.Fill != nil:
		e.Kind = strategy.PartiallyFilled
		in.hooks.order.OnOrder(in.sctx, e)
		if !terminal {
			return
		}
		e.Fill = nil
		e.Kind = strategy.Cancelled
	case terminal && o.Status != exchange.StatusFilled:
		e.Kind = strategy.Cancelled
		if o.Status == exchange.StatusFailed {
			e.Kind, e.Reason = strategy.Refused, "the venue failed the order"
		}
	default:
		return
	}
	in.hooks.order.OnOrder(in.sctx, e)
	in.flushRefusals()
}

// flushRefusals tells the strategy of the orders refused during its last
// callback, after it returned (a callback is never re-entered), and of
// those refused during these calls (an order asked for again at once),
// in order. It walks the list by index and empties it in place at the
// end: taking from its front shrank the capacity by one a refusal, so
// that the next refusal's append allocated a new array (a dca or grid
// refused on every trade while the guard is REDUCING).
func (in *Instance) flushRefusals() {
	for i := 0; i < len(in.refusals); i++ {
		if in.hooks.order != nil {
			in.hooks.order.OnOrder(in.sctx, in.refusals[i])
		}
	}
	// The reasons' text is not kept alive by the array.
	clear(in.refusals)
	in.refusals = in.refusals[:0]
}

// stratContext is the strategy.Context of an instance, valid during a
// callback on the instance's goroutine.
type stratContext struct {
	in   *Instance
	ctx  context.Context
	tick *exchange.Tick // the tick being handled, nil in other callbacks
	// log is the engine's logger naming the instance and its product, as
	// the engine's own lines about the instance do: a strategy's line
	// must say whose it is.
	log *slog.Logger
}

func (c *stratContext) Now() time.Time            { return c.in.engine.clock.Now() }
func (c *stratContext) Log() *slog.Logger         { return c.log }
func (c *stratContext) Product() exchange.Product { return c.in.product }
func (c *stratContext) Warm() bool                { return c.in.warm }

func (c *stratContext) Position() strategy.PositionView {
	size, avg := c.in.exits.Holding()
	return strategy.PositionView{Size: size, AvgEntry: avg, Pending: len(c.in.working) > 0, Dust: c.in.exits.Dust()}
}

func (c *stratContext) Balance(currency string) (decimal.Decimal, error) {
	bals, err := c.in.engine.venue.Balances(c.ctx)
	if err != nil {
		return decimal.Decimal{}, err
	}
	for _, b := range bals {
		if b.Currency == currency {
			return b.Available, nil
		}
	}
	return decimal.Decimal{}, nil
}

func (c *stratContext) OpenOrders() []exchange.Order {
	out := make([]exchange.Order, 0, len(c.in.working))
	for _, w := range c.in.working {
		out = append(out, w.order)
	}
	slices.SortFunc(out, func(a, b exchange.Order) int { return compareIDs(a.ClientOrderID, b.ClientOrderID) })
	return out
}

// compareIDs orders client order ids by length, then text: the sequence
// number at their end then sorts numerically.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// errRecovering refuses a strategy's orders while recovery re-arms
// protection.
var errRecovering = errors.New("orders wait until recovery has re-armed protection")

// errStopping refuses entries while the daemon stops.
var errStopping = errors.New("entries stopped: the daemon is stopping")

func (c *stratContext) Buy(o strategy.Order) (string, error) {
	return c.in.buy(c.ctx, c.tick, o)
}

func (c *stratContext) Sell(o strategy.Order) (string, error) {
	return c.in.sell(c.ctx, c.tick, o)
}

func (c *stratContext) Close(reason string) error {
	in := c.in
	if size, _ := in.exits.Holding(); !size.IsPositive() {
		return nil
	}
	now := in.engine.clock.Now()
	if c.tick != nil {
		now = c.tick.Time
	}
	err := in.exits.Close(c.ctx, reason)
	if err != nil {
		// A strategy asks again on every tick while the exit is refused;
		// the error is logged once per retry window.
		if msg := err.Error(); msg != in.lastCloseErr || now.Sub(in.lastCloseErrAt) >= EntryRetryDelay {
			if errors.Is(err, exits.ErrStopping) || errors.Is(err, exits.ErrExitOver) {
				// Not a failure: the daemon is stopping with the stop
				// resting on the venue, or an exit order filled as the
				// signal came, and its events decide what is left.
				in.log.Info("exit on signal deferred", "strategy", in.name, "reason", err)
			} else {
				in.log.Error("exit on signal failed", "strategy", in.name, "error", err)
			}
			in.lastCloseErr, in.lastCloseErrAt = msg, now
		}
	}
	return err
}

func (c *stratContext) Cancel(clientOrderID string) error {
	w, ok := c.in.working[clientOrderID]
	if !ok {
		return fmt.Errorf("cancel %s: not a working order of strategy %s", clientOrderID, c.in.name)
	}
	if w.order.ID == "" {
		return fmt.Errorf("cancel %s: the venue has not acknowledged the order yet", clientOrderID)
	}
	return c.in.exec.Cancel(c.ctx, w.order.ID)
}

// buy places a strategy's buy: an entry, protected by the exits once
// filled. t is the tick that caused it, nil when none did.
func (in *Instance) buy(ctx context.Context, t *exchange.Tick, o strategy.Order) (string, error) {
	if !in.warm {
		return "", strategy.ErrNotWarm
	}
	if in.recovering {
		return "", errRecovering
	}
	if !in.engine.entriesAllowed() {
		return "", errStopping
	}
	ref := in.lastMark
	var received time.Time
	if t != nil {
		received = t.Received
		if t.Kind == exchange.TradeTick {
			ref = t.Price
		}
	}
	req, err := in.orderRequest(exchange.Buy, o)
	if err != nil {
		return "", err
	}
	if req.Type == exchange.Limit {
		ref = req.LimitPrice
	}
	if err := in.sizeOrder(ctx, &req, o.Size, ref); err != nil {
		return "", err
	}
	stopRef := ref
	if t != nil && t.Kind == exchange.QuoteTick && t.Bid.IsPositive() && (!stopRef.IsPositive() || t.Bid.LessThan(stopRef)) {
		stopRef = t.Bid // a sell stop must be below the bid
	}
	if err := in.checkFixedStop(stopRef); err != nil {
		return "", err
	}
	id, err := in.exec.NextClientOrderID(in.name)
	if err != nil {
		in.log.Error("no client order id; entry skipped", "strategy", in.name, "error", err)
		return "", err
	}
	req.ClientOrderID = id
	if req.Type == exchange.Market && t != nil {
		if att, ok := in.exits.Attach(t.Price); ok {
			req.Attached = &att
		}
	}
	in.working[id] = in.newWorking(req)
	in.exits.NoteEntry(id, o.Reason)
	// Enabled first: a backtest discards the log, and boxing the
	// attributes would cost more than the rest of a refused entry.
	if in.log.Enabled(ctx, slog.LevelInfo) {
		in.log.Info("entry", entryLogAttrs(in.name, in.product.ID, req, o.Reason)...)
	}
	placed, err := in.exec.Place(ctx, Intent{Instance: in.name, Purpose: exchange.Entry, Reason: o.Reason, Request: req,
		TickReceived: received, EstimatedPrice: in.lastMark})
	if err != nil && !errors.Is(err, ErrInFlight) {
		in.exits.ForgetEntry(id)
		in.notPlaced(ctx, id, "entry not placed", err)
		if f := in.engine.onEntryNotPlaced; f != nil {
			f(in.name, err)
		}
		return id, err
	}
	in.acknowledged(id, placed)
	return id, nil
}

// notPlaced forgets a strategy order that was refused (no order exists
// under its id) and tells the strategy after its callback returns.
func (in *Instance) notPlaced(ctx context.Context, id, msg string, err error) {
	if w := in.working[id]; w != nil {
		delete(in.working, id)
		// Nothing else holds it: the order never existed.
		*w = workingOrder{}
		in.spareWorking = w
	}
	if in.log.Enabled(ctx, slog.LevelWarn) {
		in.log.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.String("strategy", in.name),
			slog.String("client_order_id", id), slog.Any("error", err))
	}
	// The reason's text is made only for a strategy that listens: a
	// Signaler refused on every cross would pay for it each time.
	if in.hooks.order != nil {
		in.refusals = append(in.refusals, strategy.OrderEvent{Kind: strategy.Refused, ClientOrderID: id, Reason: err.Error()})
	}
}

// acknowledged keeps the venue's view of a strategy order it accepted.
func (in *Instance) acknowledged(id string, placed exchange.Order) {
	if w, ok := in.working[id]; ok && placed.ID != "" && w.order.ID == "" {
		w.order = placed
	}
}

// newWorking returns the working order of a request about to be placed,
// in the memory of the last one refused when there is one: a backtest
// whose guard is REDUCING has its strategy's entries refused by the
// thousand, and each would otherwise allocate the record anew.
func (in *Instance) newWorking(req exchange.OrderRequest) *workingOrder {
	w := in.spareWorking
	if w == nil {
		w = new(workingOrder)
	}
	in.spareWorking = nil
	*w = workingOrder{order: exchange.Order{OrderRequest: req, Status: exchange.StatusPending}}
	return w
}

// orderRequest is the request of a strategy's order on side, unsized:
// a market order is immediate or cancel, a limit rests until cancelled at
// its price rounded away from the market (down for a buy, up for a sell).
func (in *Instance) orderRequest(side exchange.Side, o strategy.Order) (exchange.OrderRequest, error) {
	req := exchange.OrderRequest{ProductID: in.product.ID, Side: side}
	switch o.Type {
	case strategy.Market:
		req.Type, req.TimeInForce = exchange.Market, exchange.ImmediateOrCancel
	case strategy.Limit:
		if !o.Price.IsPositive() {
			return req, fmt.Errorf("limit %s: price must be positive, got %s", strings.ToLower(string(side)), o.Price)
		}
		req.Type, req.TimeInForce = exchange.Limit, exchange.GoodTilCancelled
		req.LimitPrice, req.PostOnly = in.product.RoundLimit(side, o.Price), o.PostOnly
	default:
		return req, fmt.Errorf("%s: unknown order type %d", strings.ToLower(string(side)), o.Type)
	}
	return req, nil
}

// checkFixedStop refuses an entry at price ref whose fixed stop
// (exits.stop_loss.price) is at or above it: the venue would refuse the
// stop, or the bot would sell at once, and every entry would be an
// instant loss (issue 15, finding 4). The refusal is logged once per
// cause and period, as the guard's are.
func (in *Instance) checkFixedStop(ref decimal.Decimal) error {
	sl := in.spec.Exits.StopLoss
	if sl == nil || !sl.Price.IsPositive() || !ref.IsPositive() || sl.Price.LessThan(ref) {
		return nil
	}
	err := &FixedStopRefusal{Stop: sl.Price, Market: ref}
	in.exec.logRefusal(slog.LevelWarn, refusalCause{"stop", in.name, exchange.Entry, "fixed_stop_above_market"},
		"entry refused: its fixed stop is not below the market", func() []slog.Attr {
			return []slog.Attr{slog.String("strategy", in.name), slog.String("product", in.product.ID),
				slog.Any("stop_loss_price", sl.Price), slog.Any("market", ref)}
		})
	return err
}

// FixedStopRefusal is the error of an entry refused because its fixed
// stop (exits.stop_loss.price) is at or above the entry's price.
type FixedStopRefusal struct{ Stop, Market decimal.Decimal }

// Error implements error.
func (r *FixedStopRefusal) Error() string {
	return "entry refused: exits.stop_loss.price " + r.Stop.String() + " is at or above the market " + r.Market.String() +
		"; the stop would be refused and the position sold at once (set a price below the market, or use percent)"
}

// sizeOrder sets the request's size from the strategy's Size (the
// instance's configured size when zero), rounded to the product's
// increments. A limit order is sized in base: a quote size becomes base
// at its price.
func (in *Instance) sizeOrder(ctx context.Context, req *exchange.OrderRequest, s strategy.Size, price decimal.Decimal) error {
	quote, base := in.entryQuote, in.entryBase
	n := 0
	for _, v := range []decimal.Decimal{s.Base, s.Quote, s.Equity} {
		if !v.IsZero() {
			n++
			if v.IsNegative() {
				return fmt.Errorf("order size must be positive, got %s", v)
			}
		}
	}
	switch {
	case n > 1:
		return errors.New("order size: give one of base, quote or equity")
	case !s.Base.IsZero():
		quote, base = decimal.Decimal{}, in.product.RoundSize(s.Base)
	case !s.Quote.IsZero():
		quote, base = in.product.RoundQuoteSize(s.Quote), decimal.Decimal{}
	case !s.Equity.IsZero():
		if s.Equity.GreaterThan(decimal.NewFromInt(1)) {
			return fmt.Errorf("order size: equity is a fraction of at most 1, got %s", s.Equity)
		}
		eq, err := in.equity(ctx)
		if err != nil {
			return fmt.Errorf("order size: equity: %w", err)
		}
		quote, base = in.product.RoundQuoteSize(eq.Mul(s.Equity)), decimal.Decimal{}
	}
	if req.Type == exchange.Limit && base.IsZero() {
		if !price.IsPositive() {
			return errors.New("order size: no price to turn the quote size into base")
		}
		quote, base = decimal.Decimal{}, in.product.RoundSize(quote.Div(price))
	}
	if !quote.IsPositive() && !base.IsPositive() {
		return errors.New("order size rounds to zero at the product's increments")
	}
	req.QuoteSize, req.BaseSize = quote, base
	return nil
}

// equity is the account's value in the product's quote currency: the
// quote balance, available and held, plus the base balance at the last
// trade price.
func (in *Instance) equity(ctx context.Context) (decimal.Decimal, error) {
	bals, err := in.engine.venue.Balances(ctx)
	if err != nil {
		return decimal.Decimal{}, err
	}
	var eq decimal.Decimal
	for _, b := range bals {
		switch b.Currency {
		case in.product.QuoteCurrency:
			eq = eq.Add(b.Total())
		case in.product.BaseCurrency:
			eq = eq.Add(b.Total().Mul(in.lastMark))
		}
	}
	return eq, nil
}

// Strategy returns the instance's strategy as configured (a Signaler
// wrapped in strategy.Signals is returned wrapped).
func (in *Instance) Strategy() strategy.Strategy { return in.strat }

// entryLogAttrs are an entry's log attributes: only the sizes and price
// the order has, so that a quote-sized market order does not read as a
// zero base size at a zero price.
func entryLogAttrs(instance, product string, req exchange.OrderRequest, reason string) []any {
	attrs := []any{"strategy", instance, "product", product, "client_order_id", req.ClientOrderID, "type", req.Type}
	if !req.QuoteSize.IsZero() {
		attrs = append(attrs, "quote_size", req.QuoteSize)
	}
	if !req.BaseSize.IsZero() {
		attrs = append(attrs, "base_size", req.BaseSize)
	}
	if !req.LimitPrice.IsZero() {
		attrs = append(attrs, "limit_price", req.LimitPrice)
	}
	return append(attrs, "reason", reason)
}

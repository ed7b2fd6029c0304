package strategy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

func init() {
	Register(Type{
		Name:    "dca",
		Summary: "buy on a schedule, rest safety buys under the average entry on dips, sell all at a take-profit over the average entry",
		NewParams: func() Params {
			return &DCAParams{Every: 24 * time.Hour, OrderQuote: decimal.NewFromInt(100), SafetyOrders: 3, SafetyStepPercent: 2,
				SafetyScale: 1.5, TakeProfitPercent: 1.5}
		},
	})
}

// DCAParams configures dca.
type DCAParams struct {
	Every             time.Duration   `yaml:"every" doc:"time between scheduled buys (market time in a backtest)"`
	OrderQuote        decimal.Decimal `yaml:"order_quote" doc:"quote spent by each scheduled buy"`
	SafetyOrders      int             `yaml:"safety_orders" doc:"safety buys per cycle at most; 0 for none"`
	SafetyStepPercent float64         `yaml:"safety_step_percent" doc:"percent under the average entry where the next safety buy rests"`
	SafetyScale       float64         `yaml:"safety_scale" doc:"each safety buy spends this times the one before (the first: order_quote)"`
	TakeProfitPercent float64         `yaml:"take_profit_percent" doc:"percent over the average entry where a trade sells the whole position"`
}

// Validate implements Params.
func (p *DCAParams) Validate() []error {
	var errs []error
	if p.Every < time.Minute {
		errs = append(errs, fmt.Errorf("every: must be at least 1m, got %s", p.Every))
	}
	if p.OrderQuote.LessThan(decimal.NewFromInt(1)) {
		errs = append(errs, fmt.Errorf("order_quote: must be at least 1, got %s", p.OrderQuote))
	}
	errs = atLeast(errs, "safety_orders", float64(p.SafetyOrders), 0)
	if p.SafetyOrders > 0 {
		errs = atLeast(errs, "safety_step_percent", p.SafetyStepPercent, 0.1)
		errs = atLeast(errs, "safety_scale", p.SafetyScale, 1)
	}
	return atLeast(errs, "take_profit_percent", p.TakeProfitPercent, 0.1)
}

// Build implements Params.
func (p *DCAParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	one, pct := decimal.NewFromInt(1), func(f float64) decimal.Decimal {
		return decimal.NewFromFloat(f).Div(decimal.NewFromInt(100))
	}
	return &DCA{p: *p, tp: one.Add(pct(p.TakeProfitPercent)), step: one.Sub(pct(p.SafetyStepPercent)),
		scale: decimal.NewFromFloat(p.SafetyScale)}, nil
}

// safetyQuote is what safety buy n (from 1) of a cycle spends:
// orderQuote × scale^n.
func safetyQuote(orderQuote, scale decimal.Decimal, n int) decimal.Decimal {
	quote := orderQuote
	for range n {
		quote = quote.Mul(scale)
	}
	return quote
}

// DCA is dollar-cost averaging with safety orders: a market buy of
// order_quote every period; while a position is open, one limit buy rests
// safety_step_percent under its average entry (each larger by
// safety_scale, up to safety_orders per cycle); a trade at
// take_profit_percent over the average entry sells the whole position
// and starts a new cycle. The instance's exits protect the position as a
// whole (a stop under the average entry, for example). A cycle ends when
// the position is flat again, whatever sold it (the take-profit, the
// exits' stop, the kill switch), or holds only dust (less than the
// product's minimum order size, which no sale can sell): its resting
// safety buy is cancelled and the next cycle counts its safety buys from
// none. The first callback to see that ends it, a trade, a timer or an
// event of the strategy's own orders (ended).
//
// The cycle survives a restart: its state (dcaState) is journaled with
// the instance's (Stateful), and the first callback after a start checks
// it against the position and the strategy's open orders, which recovery
// has brought back from the journal and the venue (sync): a safety buy
// that filled while the daemon was down is counted, a resting one is kept
// (or adopted, if the run that placed it died before saving its id) and
// never placed twice, and one resting at a price the recovered average
// entry no longer asks for is replaced.
type DCA struct {
	p DCAParams
	// tp, step and scale are the take-profit's and the safety buy's
	// factors of the average entry and the safety buys' growth, decimal
	// so that no float64 reaches an order's price or size.
	tp, step, scale decimal.Decimal
	st              dcaState
	// replacing is set while the resting safety buy is cancelled to rest
	// under a new average entry; its cancellation brings rest back.
	replacing bool
	// synced is set once the cycle has been checked against the position
	// and the open orders after a start (sync).
	synced bool
	// retry is what a refusal left to ask again, from retry.at on.
	retry dcaRetry
	// cancels are the safety buys dca has asked the venue to cancel and
	// not yet heard the end of (cancel): never forgotten, so that one
	// that fills first is counted, and no other safety buy is placed
	// while one may still rest.
	cancels []dcaCancel
	// last is the newest trade's price, at which the position's worth
	// is checked against the venue's minimum (sellable); zero until the
	// first trade after a start.
	last decimal.Decimal
}

// dcaCancel is a safety buy being cancelled; failed: the last ask did
// not reach the venue, and is made again after the retry's wait.
type dcaCancel struct {
	id     string
	failed bool
}

// dcaRetryFirst and dcaRetryMax bound the back-off between the asks of
// an order refused (by the risk guard or the venue): a refusal repeated
// on every trade would flood the guard, the venue and the log, but the
// usual one, at the first trade after a start (the market channel's
// first trade comes before the user channel is reconciled and the guard
// refuses entries as stale data), passes within seconds.
const (
	dcaRetryFirst = time.Second
	dcaRetryMax   = time.Minute
)

// dcaRetry is what dca asks again after a refusal or a failed cancel,
// at the first trade or timer from at on (askAgainIfDue): each failure
// in a row doubles the wait, from dcaRetryFirst up to dcaRetryMax; an
// order placed starts it over.
type dcaRetry struct {
	// buy: a scheduled buy was refused and is still due (until the next
	// period's buy takes its place).
	buy bool
	// safety: a safety buy was refused while none rests.
	safety bool
	// cancel: a cancel failed (dcaCancel.failed).
	cancel bool
	at     time.Time
	wait   time.Duration
	// buyID is the scheduled buy asked last, whose refusal by the venue
	// (after it was sent) makes it due again; lastBuy is the state's
	// LastBuy before it was asked, restored then: a refused buy bought
	// nothing, and a restart must find it still due.
	buyID   string
	lastBuy time.Time
}

// refused books a refusal at now: the next ask waits. Refusals while it
// waits already (the scheduled buy's and the safety buy's at the same
// trade) count once.
func (r *dcaRetry) refused(now time.Time) {
	if now.Before(r.at) {
		return
	}
	r.wait = min(max(2*r.wait, dcaRetryFirst), dcaRetryMax)
	r.at = now.Add(r.wait)
}

// due reports whether something refused is to be asked again at now.
func (r *dcaRetry) due(now time.Time) bool {
	return (r.buy || r.safety || r.cancel) && !now.Before(r.at)
}

// dcaState is what the journal keeps of a dca's cycle (Stateful).
type dcaState struct {
	// Safety is the resting safety buy's client order id.
	Safety string `json:"safety,omitempty"`
	// Used counts the safety buys of this cycle that filled.
	Used int `json:"used"`
	// InCycle is set once a buy of the cycle has filled and the
	// position holds what a sale can sell; the cycle ends when it no
	// longer does (flat again, or dust).
	InCycle bool `json:"in_cycle,omitempty"`
	// Closing is set once the take-profit's sale has been asked for.
	Closing bool `json:"closing,omitempty"`
	// Cycles counts the cycles ended.
	Cycles int `json:"cycles"`
	// LastBuy is when the last scheduled buy was placed (market time):
	// after a restart a buy due while the daemon was down is placed once,
	// and one placed just before the kill is not placed again.
	LastBuy time.Time `json:"last_buy,omitzero"`
}

// Needs implements Setup: the product's trades (for the take-profit),
// the schedule, and the take-profit's reason.
func (s *DCA) Needs(n *Needs) {
	n.Trades("")
	n.Every(s.p.Every)
	n.Closes(dcaTakeProfit)
}

// dcaTakeProfit is the reason a DCA closes its position under at its
// take-profit: the exit rule's name, since it acts as one.
const dcaTakeProfit = "take_profit"

// OnTimer implements TimerHandler: the scheduled buy, in a new cycle if
// the last one is over, then what a refusal left to ask again, if its
// wait is over: on a quiet market the timer may come long before the
// next trade.
func (s *DCA) OnTimer(ctx Context, now time.Time) {
	s.look(ctx, false) // this timer is the schedule's buy: no catching up besides it
	if !s.st.Closing {
		s.scheduledBuy(ctx, now) // takes the place of one refused before
	}
	s.askAgainIfDue(ctx)
}

// look begins the trade and timer callbacks: once after a start, the
// check of the cycle (sync; catchUp: with the buy that fell due); then
// the cycle's end, if the position no longer holds anything a sale can
// sell, whichever callback sees it first.
func (s *DCA) look(ctx Context, catchUp bool) {
	if !s.synced {
		s.sync(ctx, catchUp)
	}
	s.endIfSold(ctx)
}

// endIfSold ends the cycle once its position is flat or only dust:
// before a scheduled buy, which would otherwise begin the next position
// with the old cycle's safety buys used up and its safety buy resting.
// Dust is the exits' answer (PositionView.Open), judged at the price they
// would sell at: a rest they will not sell ends the cycle even where
// dca's last trade would have called it sellable (exits triggered by the
// bid), or the cycle would wait for a sale no one sends.
func (s *DCA) endIfSold(ctx Context) {
	if s.st.InCycle && !ctx.Position().Open() {
		s.endCycle(ctx)
	}
}

// sellable reports whether pos holds what an order can sell at price:
// not dust by the venue's minimums (exchange.Product.Dust, the rule the
// exits sell by: rounded down to the size increment, at least the
// minimum order size and, at a known price, worth the minimum order
// value). Dust stays in the position (the exits watch it and sell it
// with the next sale that can be placed) but no sale of dca's would be
// taken. Decimal throughout: no order follows from a float comparison.
//
// The position held is judged by the exits (PositionView.Open, at the
// price they would sell at), so that dca never waits for a sale they
// will not send; sellable is for a size no one holds (count's position
// before a buy), which needs a price of its own.
func sellable(pos PositionView, p exchange.Product, price decimal.Decimal) bool {
	return !p.Dust(pos.Size, price)
}

// scheduledBuy places the scheduled buy (this period's takes the place
// of one refused before). LastBuy is set before the order is sent, so
// that the state journaled with the order's events, or a journaled
// order found by recovery, tells a restarted run it was asked; a refusal
// sets it back and asks again later.
func (s *DCA) scheduledBuy(ctx Context, now time.Time) {
	prev := s.st.LastBuy
	s.st.LastBuy, s.retry.buy, s.retry.buyID = now, false, ""
	id, err := ctx.Buy(Order{Type: Market, Size: Size{Quote: s.p.OrderQuote}, Reason: "dca: scheduled buy"})
	if err != nil {
		// Its Refused event, if one comes, finds no buyID: booked once.
		s.st.LastBuy, s.retry.buy = prev, true
		s.retry.refused(ctx.Now())
		return
	}
	s.retry.buyID, s.retry.lastBuy, s.retry.wait = id, prev, 0
}

// askAgain asks for what was refused, now that its wait is over: the
// failed cancels, the due scheduled buy, and a safety buy if none rests
// or is being replaced. No buy while the take-profit's sale is under way
// (no scheduled buy then, and its safety buy is cancelled); a due buy
// waits for the cycle's end, as it would have waited for the next timer.
func (s *DCA) askAgain(ctx Context) {
	if s.retry.cancel {
		s.retry.cancel = false
		s.cancelAgain(ctx)
	}
	if s.st.Closing {
		return
	}
	if s.retry.buy {
		ctx.Log().Info("dca: asking again for the scheduled buy that was refused")
		s.scheduledBuy(ctx, ctx.Now())
	}
	if s.retry.safety {
		s.retry.safety = false
		if s.st.Safety == "" && !s.replacing {
			s.rest(ctx)
		}
	}
}

// OnTrade implements TradeHandler: the end of a cycle and the
// take-profit.
func (s *DCA) OnTrade(ctx Context, t *Tick) {
	s.last = t.Price
	s.look(ctx, true)
	// The take-profit asks the exits to close what they can sell.
	if pos := ctx.Position(); !s.st.Closing && pos.Open() && !t.Price.LessThan(pos.AvgEntry.Mul(s.tp)) {
		s.st.Closing = true
		if s.st.Safety != "" {
			s.cancel(ctx, s.st.Safety)
		}
		_ = ctx.Close(dcaTakeProfit)
	}
	s.askAgainIfDue(ctx)
}

// askAgainIfDue ends the trade and timer callbacks: what a refusal or a
// failed cancel left is asked again at whichever comes first once its
// wait is over, never before.
func (s *DCA) askAgainIfDue(ctx Context) {
	if s.retry.due(ctx.Now()) {
		s.askAgain(ctx)
	}
}

// endCycle starts a new cycle once the position is flat: a safety buy
// still resting (the exits' stop sold the position under it) would
// otherwise open the next position at the old cycle's price.
func (s *DCA) endCycle(ctx Context) {
	if s.st.Safety != "" {
		s.cancel(ctx, s.st.Safety) // no longer named, still counted if it fills first
	}
	cycles := s.st.Cycles
	if s.st.InCycle {
		cycles++
	}
	s.st = dcaState{Cycles: cycles, LastBuy: s.st.LastBuy}
	s.replacing, s.retry.safety = false, false
}

// OnOrder implements OrderHandler: after a fill, the next safety buy
// rests under the new average entry. Before the first trade or timer
// after a start, recovery is applying what the venue did while the
// daemon was down: the events are counted, and sync acts on them once
// recovery is over (no order may be placed during it).
func (s *DCA) OnOrder(ctx Context, e OrderEvent) {
	ours, gone := s.count(e, ctx.Position(), ctx.Product(), ctx.Now())
	if !s.synced {
		return
	}
	s.endIfSold(ctx)
	switch e.Kind {
	case Filled:
		if !s.st.Closing {
			s.rest(ctx)
		}
	case Cancelled, Refused:
		switch {
		case s.st.Closing:
		case ours && s.replacing:
			s.replacing = false
			s.rest(ctx)
		case gone && s.st.Safety == "" && !s.replacing:
			s.rest(ctx) // it waited for this one to go: never two resting
		}
	}
	if e.Kind == Refused {
		s.venueRefused(e, ours, ctx.Now())
	}
}

// venueRefused books the refusal of an order the venue had been sent
// (ours: the named safety buy, already forgotten by count): it is asked
// again after the wait. A refusal ctx.Buy returned is booked where it
// was asked.
func (s *DCA) venueRefused(e OrderEvent, ours bool, now time.Time) {
	switch {
	case e.ClientOrderID != "" && e.ClientOrderID == s.retry.buyID:
		s.st.LastBuy, s.retry.buy, s.retry.buyID = s.retry.lastBuy, true, ""
	case ours && !s.replacing:
		s.retry.safety = true
	default:
		return
	}
	s.retry.refused(now)
}

// count books an event of the strategy's own orders in the cycle and
// reports whether it is about the safety buy the state names (ours) and
// whether it ended a safety buy being cancelled (gone). pos is the
// position after the event, of product p.
func (s *DCA) count(e OrderEvent, pos PositionView, p exchange.Product, now time.Time) (ours, gone bool) {
	buy := e.Order.Side == exchange.Buy
	// The position before this buy is a size no one holds any more: the
	// exits cannot judge it (PositionView.Dust is theirs for the
	// position held), so it is judged here at dca's last trade, zero
	// during recovery (the base minimum alone).
	if !s.synced && s.st.InCycle && buy && e.Order.Type == exchange.Market && e.Fill != nil &&
		!sellable(PositionView{Size: pos.Size.Sub(e.Order.FilledSize)}, p, s.last) {
		// A scheduled buy that recovery finds filled while the state
		// names a cycle, and that holds the whole position (but dust):
		// the position was sold before it, so the cycle had ended (a
		// trade saw it, in memory) and this buy began the next, but the
		// run died before the end was journaled (the state is saved
		// with order events, and this buy's were the next). Without
		// this the new cycle would go on with the old one's safety buys
		// used up. The old cycle's safety buy, if one rested, stays
		// named: sync replaces it under the new average entry.
		s.st = dcaState{Safety: s.st.Safety, Cycles: s.st.Cycles + 1, LastBuy: s.st.LastBuy}
	}
	ours = e.ClientOrderID == s.st.Safety && s.st.Safety != ""
	leaving := slices.IndexFunc(s.cancels, func(c dcaCancel) bool { return c.id == e.ClientOrderID })
	if leaving >= 0 && e.Kind != PartiallyFilled {
		s.cancels, gone = slices.Delete(s.cancels, leaving, leaving+1), true
	}
	if !s.synced && buy && e.Order.Type == exchange.Market && e.Kind != Refused {
		// A scheduled buy the killed run placed after its state was
		// last saved: it is the last one, not a buy still due, whether
		// it filled in full, in part (a fill, then the rest cancelled)
		// or not at all. A refused one (the venue failed it or never had
		// it) bought nothing: the buy is still due.
		s.st.LastBuy = later(s.st.LastBuy, e.Order, now)
	}
	// A cycle begins once a buy has made the position one a sale can
	// sell (a first fill of dust begins none: it would end at once), by
	// the exits' answer, as the cycle's end is judged (endIfSold).
	inCycle := buy && pos.Open()
	switch e.Kind {
	case Filled:
		if inCycle {
			s.st.InCycle = true
		}
		// dca's only limit buys are safety buys: one that filled while
		// the daemon was down is one even when the state, saved before
		// it was placed, does not name it.
		switch {
		case ours || (!s.synced && buy && e.Order.Type == exchange.Limit):
			s.st.Used++
			s.st.Safety, s.replacing = "", false
		case leaving >= 0:
			// One being cancelled (a second found at a restart, or an
			// ended cycle's) filled first: it bought all the same, in
			// the cycle that holds it.
			s.st.Used++
		}
	case PartiallyFilled:
		if inCycle {
			s.st.InCycle = true
		}
	case Cancelled, Refused:
		if ours {
			s.st.Safety = ""
		}
	}
	return ours, gone
}

// later is the later of last and when scheduled buy o was placed (now
// when the venue did not say).
func later(last time.Time, o exchange.Order, now time.Time) time.Time {
	at := o.CreatedAt
	if at.IsZero() {
		at = now
	}
	if at.After(last) {
		return at
	}
	return last
}

// sync checks the cycle against the position and the strategy's open
// orders once after a start, when orders may be placed again (plan says
// what it finds): it keeps one safety buy and cancels any other, ends
// the cycle of a flat position, replaces a safety buy resting where the
// recovered average entry no longer puts it and places a missing one. A
// take-profit asked for before the restart is asked again by the next
// trade if its price still calls for it (the exits do not sell twice
// what they are already selling). catchUp places the scheduled buy that
// fell due while the daemon was down, once.
func (s *DCA) sync(ctx Context, catchUp bool) {
	s.synced, s.replacing = true, false
	pos, now := ctx.Position(), ctx.Now()
	pl := s.plan(ctx.OpenOrders(), pos, ctx.Product(), now, catchUp)
	s.st.Safety, s.st.LastBuy = "", pl.lastBuy
	if pl.keep != nil {
		if pl.adopted {
			ctx.Log().Info("dca: adopted the resting safety buy of the previous run", "client_order_id", pl.keep.ClientOrderID,
				"price", pl.keep.LimitPrice)
		}
		s.st.Safety = pl.keep.ClientOrderID
	}
	for _, o := range pl.cancel {
		ctx.Log().Warn("dca: cancelling a second resting safety buy found after a restart", "client_order_id", o.ClientOrderID,
			"price", o.LimitPrice)
		s.cancel(ctx, o.ClientOrderID)
	}
	switch {
	case pl.endCycle:
		s.endCycle(ctx)
	case pos.Open():
		s.st.InCycle, s.st.Closing = true, false
		if pl.replace {
			ctx.Log().Info("dca: replacing the resting safety buy under the recovered average entry", "client_order_id",
				pl.keep.ClientOrderID, "price", pl.keep.LimitPrice, "average_entry", pos.AvgEntry, "safety_buys_filled", s.st.Used)
		}
		if pl.keep == nil || pl.replace {
			s.rest(ctx)
		}
	}
	if pl.buy {
		ctx.Log().Info("dca: the scheduled buy fell due while the daemon was down; placing it once", "last", s.st.LastBuy)
		s.scheduledBuy(ctx, now)
	}
}

// syncPlan is what sync finds after a start.
type syncPlan struct {
	// keep is the safety buy kept: the open limit buy the state names,
	// or else the latest (adopted: placed by a run that stopped before
	// it saved the id). cancel are the other open limit buys.
	keep    *exchange.Order
	adopted bool
	cancel  []exchange.Order
	// endCycle: the position is flat, its cycle over.
	endCycle bool
	// replace: keep rests at a price the average entry no longer asks
	// for (and has not filled in part), or beyond safety_orders.
	replace bool
	// lastBuy is when the last scheduled buy was placed: the state's,
	// or a scheduled buy still working (placed after the last save).
	lastBuy time.Time
	// buy: the scheduled buy fell due while the daemon was down.
	buy bool
}

// plan decides sync's work from the restored state, the strategy's open
// orders (as placed), the position (dust by the exits' answer,
// PositionView.Open) and the time alone.
func (s *DCA) plan(open []exchange.Order, pos PositionView, p exchange.Product, now time.Time, catchUp bool) syncPlan {
	pl := syncPlan{lastBuy: s.st.LastBuy}
	var buys []exchange.Order
	for _, o := range open {
		switch {
		case o.Side != exchange.Buy:
		case o.Type == exchange.Limit:
			buys = append(buys, o)
		case o.Type == exchange.Market:
			// Still working, so recovery told the strategy nothing of it.
			pl.lastBuy = later(pl.lastBuy, o, now)
		}
	}
	keep := slices.IndexFunc(buys, func(o exchange.Order) bool { return s.st.Safety != "" && o.ClientOrderID == s.st.Safety })
	if keep < 0 && len(buys) > 0 {
		keep, pl.adopted = len(buys)-1, true
	}
	for i := range buys {
		if i == keep {
			pl.keep = &buys[i]
		} else {
			pl.cancel = append(pl.cancel, buys[i])
		}
	}
	if pos.Open() {
		// A safety buy that has filled in part moved the average entry
		// itself and rests on, as it would have without the restart.
		want := p.RoundPriceDown(pos.AvgEntry.Mul(s.step))
		pl.replace = pl.keep != nil && (s.st.Used >= s.p.SafetyOrders ||
			!pl.keep.LimitPrice.Equal(want) && !pl.keep.FilledSize.IsPositive())
	} else {
		pl.endCycle = s.st.InCycle || pl.keep != nil
	}
	// Not while a take-profit was asked for: the sale may still be
	// under way; the next timer buys.
	pl.buy = catchUp && !s.st.Closing && !pl.lastBuy.IsZero() && !now.Before(pl.lastBuy.Add(s.p.Every))
	return pl
}

// rest places the next safety buy under the average entry, or cancels
// the resting one first (its cancellation brings rest back).
func (s *DCA) rest(ctx Context) {
	pos := ctx.Position()
	if s.st.Safety != "" {
		s.replacing = true
		s.cancel(ctx, s.st.Safety)
		return
	}
	if s.st.Used >= s.p.SafetyOrders || !pos.Open() || len(s.cancels) > 0 {
		// One being cancelled may still rest: the next waits for its end.
		return
	}
	quote := safetyQuote(s.p.OrderQuote, s.scale, s.st.Used+1)
	id, err := ctx.Buy(Order{Type: Limit, Price: pos.AvgEntry.Mul(s.step), Size: Size{Quote: quote},
		Reason: fmt.Sprintf("dca: safety buy %d", s.st.Used+1)})
	if err != nil {
		// Refused (its Refused event names no safety buy: booked once).
		// Without asking again, the cycle would rest none until the next
		// fill, which may never come without it.
		s.retry.safety = true
		s.retry.refused(ctx.Now())
		return
	}
	s.st.Safety, s.retry.wait = id, 0
}

// cancel asks the venue to cancel safety buy id, unless that was asked
// already and its end is awaited. The safety buy is kept in cancels
// until its end is heard (count); a failed ask is made again after the
// retry's wait. An order that has already ended is no failure: its last
// events are on their way.
func (s *DCA) cancel(ctx Context, id string) {
	i := slices.IndexFunc(s.cancels, func(c dcaCancel) bool { return c.id == id })
	if i < 0 {
		s.cancels, i = append(s.cancels, dcaCancel{id: id}), len(s.cancels)
	} else if !s.cancels[i].failed {
		return
	}
	err := ctx.Cancel(id)
	s.cancels[i].failed = err != nil && !errors.Is(err, exchange.ErrOrderDone)
	if s.cancels[i].failed {
		ctx.Log().Warn("dca: the cancel of a safety buy failed; asking again", "client_order_id", id, "error", err)
		s.retry.cancel = true
		s.retry.refused(ctx.Now())
	}
}

// cancelAgain asks again for the cancels that failed. A safety buy no
// longer among the open orders has ended, as its last event told (count).
func (s *DCA) cancelAgain(ctx Context) {
	open := ctx.OpenOrders()
	s.cancels = slices.DeleteFunc(s.cancels, func(c dcaCancel) bool {
		return !slices.ContainsFunc(open, func(o exchange.Order) bool { return o.ClientOrderID == c.id })
	})
	for _, c := range slices.Clone(s.cancels) {
		if c.failed {
			s.cancel(ctx, c.id)
		}
	}
}

// MarshalState implements Stateful: the cycle.
func (s *DCA) MarshalState() ([]byte, error) { return json.Marshal(&s.st) }

// UnmarshalState implements Stateful. The restored cycle is checked
// against the position and the open orders at the first callback
// (sync); a change of params needs nothing more (a safety buy at another
// step is replaced there, and safety_orders bounds the next one).
func (s *DCA) UnmarshalState(b []byte) error {
	var st dcaState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	s.st, s.synced, s.replacing, s.retry, s.cancels = st, false, false, dcaRetry{}, nil
	return nil
}

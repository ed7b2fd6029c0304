package strategy

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

func init() {
	Register(Type{
		Name: "grid",
		Summary: "a ladder of resting limit buys between lower and upper, each lot sold one level up and its buy placed again; " +
			"a stop under the range sells the inventory and stops the grid",
		NewParams: func() Params { return &GridParams{Levels: 10, StopPercent: 3, PostOnly: true} },
	})
}

// GridParams configures grid.
type GridParams struct {
	Lower       decimal.Decimal `yaml:"lower" doc:"price of the lowest level (quote currency); required"`
	Upper       decimal.Decimal `yaml:"upper" doc:"price of the highest level; required, above lower"`
	Levels      int             `yaml:"levels" doc:"price levels from lower to upper, evenly spaced (2 to 200); each but the top buys one lot of the instance's size"`
	StopPrice   decimal.Decimal `yaml:"stop_price" doc:"the inventory's stop: at or under it everything held is sold and the grid stops (0: use stop_percent)"`
	StopPercent float64         `yaml:"stop_percent" doc:"the stop this percent under lower, when stop_price is 0"`
	PostOnly    bool            `yaml:"post_only" doc:"buys and sells rest as maker only (a sell whose level the price has passed goes as a plain limit)"`
}

// Validate implements Params.
func (p *GridParams) Validate() []error {
	var errs []error
	if !p.Lower.IsPositive() {
		errs = append(errs, fmt.Errorf("lower: must be a positive price, got %s", p.Lower))
	}
	if !p.Upper.GreaterThan(p.Lower) {
		errs = append(errs, fmt.Errorf("upper: must be above lower (%s), got %s", p.Lower, p.Upper))
	}
	if p.Levels < 2 || p.Levels > maxGridLevels {
		errs = append(errs, fmt.Errorf("levels: must be 2 to %d, got %d", maxGridLevels, p.Levels))
	}
	switch {
	case p.StopPrice.IsNegative():
		errs = append(errs, fmt.Errorf("stop_price: must be positive or 0, got %s", p.StopPrice))
	case p.StopPrice.IsPositive() && p.StopPrice.GreaterThanOrEqual(p.Lower):
		errs = append(errs, fmt.Errorf("stop_price: must be under lower (%s), got %s", p.Lower, p.StopPrice))
	case p.StopPrice.IsZero() && (p.StopPercent < 0.1 || p.StopPercent >= 100):
		errs = append(errs, fmt.Errorf("stop_percent: must be from 0.1 to under 100 when stop_price is 0, got %s", num(p.StopPercent)))
	}
	return errs
}

// maxGridLevels bounds a ladder: every level below the price rests an
// order, and a venue limits the open orders of an account (Coinbase:
// 500 per product).
const maxGridLevels = 200

// Build implements Params.
func (p *GridParams) Build() (Strategy, error) {
	if errs := p.Validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	stop := p.StopPrice
	if stop.IsZero() {
		stop = p.Lower.Mul(decimal.NewFromInt(1).Sub(decimal.NewFromFloat(p.StopPercent).Div(decimal.NewFromInt(100))))
	}
	return &Grid{p: *p, stop: stop, prices: gridPrices(p.Lower, p.Upper, p.Levels)}, nil
}

// gridPrices returns levels prices from lower to upper, evenly spaced.
// The engine rounds each order's price to the product's increment.
func gridPrices(lower, upper decimal.Decimal, levels int) []decimal.Decimal {
	step := upper.Sub(lower).Div(decimal.NewFromInt(int64(levels - 1)))
	out := make([]decimal.Decimal, levels)
	for i := range out {
		out[i] = lower.Add(step.Mul(decimal.NewFromInt(int64(i))))
	}
	out[levels-1] = upper // exact, whatever the division left
	return out
}

// gridRetryDelay is how long, in market time, a level waits after an
// order of it was refused before it asks again: a refusal repeated on
// every trade would flood the guard, the venue and the log.
const gridRetryDelay = time.Minute

// Grid is a spot grid: levels prices from lower to upper. Each level but
// the top owns one slot: while it holds nothing and the price is above
// it, a limit buy of the instance's size rests at its price; once that
// buy has filled, a limit sell of exactly what it bought rests one level
// up (Context.Sell); when the sell fills, the slot's buy is placed again.
// The grid starts with quote only: it buys at the levels under the price
// and holds nothing for the levels above.
//
// Out of the range: above upper nothing new is bought (every buy rests
// under the price) and the sells fill as the price passes them; at or
// under the stop (stop_price, or stop_percent under lower) the
// instance's exits sell the whole inventory at market (the grid declares
// the stop with Needs.Inventory; the bot watches it for the part held by
// the resting sells) and the grid cancels its buys and stops for good:
// it places nothing more, after a restart too, until it is configured
// with another range.
//
// The stop ends a grid that is armed: one that has seen a trade over its
// stop, or holds something (a lot, an order, a position) from an earlier
// run, whatever its saved state says. A grid that holds nothing and has
// seen no trade over its stop (a new grid started under it) buys
// nothing and waits for a trade over the stop, saying so once in the
// log: it does not buy into a market that is already under its stop,
// and it has nothing for the stop to sell.
//
// The grid works from its slots and the open orders on every trade
// rather than from events alone, so that an order refused, cancelled
// (the daemon cancels the resting sells when it stops, so that the stop
// covers the whole inventory) or unknown after a restart is placed again
// exactly once, and an order found open after a restart is adopted by
// its side and price, never doubled.
type Grid struct {
	p      GridParams
	stop   decimal.Decimal
	prices []decimal.Decimal
	st     gridState
	// synced is set once the slots have been checked against the open
	// orders after a start (adopt).
	synced bool
	// waitLogged is set once the log has said that the grid waits under
	// its stop, so that it says so once a run, not on every trade.
	waitLogged bool
	// sharedOut is the position flat last shared out among the free lots,
	// and shared says that nothing it read has changed since: no event
	// of the grid's orders, no order placed, no restart. flat is asked on
	// every trade while the position is dust, until a level buys: with
	// the same position and the same orders it would do the same work
	// (a copy of the open orders, sorted) for the same lots.
	sharedOut decimal.Decimal
	shared    bool
}

// gridState is what the journal keeps of a grid (Stateful).
type gridState struct {
	// Range names the params the slots were made for; a state of another
	// range is dropped at start.
	Range string `json:"range"`
	// Armed: a trade above the stop has been seen, or the grid held
	// something at a start; the stop ends an armed grid, and an unarmed
	// one waits (Grid). Always written. A state without it was saved by
	// an earlier version (one from before it, whose grid stopped at its
	// stop whatever it had seen, or one that left it out when false); it
	// loads unarmed, and adopt arms the grid if it holds anything, the
	// only grid the stop has something to end: one that holds nothing
	// waits under its stop, as a new grid does, instead of stopping for
	// good.
	Armed   bool       `json:"armed"`
	Stopped bool       `json:"stopped,omitempty"`
	Slots   []gridSlot `json:"slots"`
	// Sold counts the lots sold one level up, for the log and tests.
	Sold int `json:"sold"`
}

// gridSlot is one level's lot: what its buy bought and the level's open
// orders (client order ids).
type gridSlot struct {
	Held    decimal.Decimal `json:"held"`
	Buy     string          `json:"buy,omitempty"`
	Sell    string          `json:"sell,omitempty"`
	RetryAt time.Time       `json:"retry_at,omitzero"`
}

func (g *Grid) rangeKey() string {
	return g.p.Lower.String() + "-" + g.p.Upper.String() + "/" + fmt.Sprint(g.p.Levels)
}

func (g *Grid) slots() []gridSlot {
	if g.st.Slots == nil {
		g.st = gridState{Range: g.rangeKey(), Slots: make([]gridSlot, len(g.prices)-1)}
	}
	return g.st.Slots
}

// Needs implements Setup: the product's trades, the inventory's stop,
// and the reason of its own sales.
func (g *Grid) Needs(n *Needs) {
	n.Trades("")
	n.Inventory(g.stop)
	n.Closes(gridSellReason)
}

// gridSellReason is the reason of a grid's limit sell of a lot.
const gridSellReason = "grid_sell"

// Stop returns the inventory's stop price.
func (g *Grid) Stop() decimal.Decimal { return g.stop }

// OnTrade implements TradeHandler: the stop, then the ladder.
func (g *Grid) OnTrade(ctx Context, t *Tick) {
	slots := g.slots()
	if !g.synced {
		g.adopt(ctx)
	}
	if g.st.Stopped {
		return
	}
	if t.Price.LessThanOrEqual(g.stop) {
		if g.st.Armed {
			g.halt(ctx, t.Price)
		} else if !g.waitLogged {
			g.waitLogged = true
			ctx.Log().Warn("grid waiting: the price is at or under the inventory's stop; it buys nothing until a trade over the stop",
				"price", t.Price, "stop", g.stop)
		}
		return
	}
	g.st.Armed = true
	if pos := ctx.Position(); !pos.Open() {
		g.flat(ctx, pos.Size) // flat, or dust
	}
	p := ctx.Product()
	now := ctx.Now()
	for i := range slots {
		s := &slots[i]
		if s.Buy != "" || s.Sell != "" || now.Before(s.RetryAt) {
			continue
		}
		// A lot the venue would refuse to sell (dust at its level's
		// price) stays in its slot: the level buys again, and the lot
		// is sold with what that buy adds to it.
		if s.Held.IsPositive() && !p.Dust(s.Held, p.RoundLimit(exchange.Sell, g.prices[i+1])) {
			g.placeSell(ctx, i, t.Price)
		} else if t.Price.GreaterThan(g.prices[i]) {
			g.placeBuy(ctx, i)
		}
	}
}

func (g *Grid) placeBuy(ctx Context, i int) {
	g.shared = false
	s := &g.st.Slots[i]
	id, err := ctx.Buy(Order{Type: Limit, Price: g.prices[i], PostOnly: g.p.PostOnly, Reason: "grid_buy"})
	if id != "" {
		s.Buy = id
	}
	if err != nil {
		s.RetryAt = ctx.Now().Add(gridRetryDelay)
	}
}

func (g *Grid) placeSell(ctx Context, i int, price decimal.Decimal) {
	g.shared = false
	s := &g.st.Slots[i]
	level := g.prices[i+1]
	// A post-only sell at a level the price has passed would be refused
	// as taking liquidity; as a plain limit it sells at the level or
	// better at once.
	postOnly := g.p.PostOnly && price.LessThan(level)
	id, err := ctx.Sell(Order{Type: Limit, Price: level, PostOnly: postOnly, Size: Size{Base: s.Held}, Reason: gridSellReason})
	if id != "" {
		s.Sell = id
	}
	if err != nil {
		s.RetryAt = ctx.Now().Add(gridRetryDelay)
	}
}

// flat forgets the lots of a position that is not open, held at most
// (flat, or dust: PositionView.Dust, exchange.Product.Dust): something
// else sold them (the kill switch's flatten, a time stop), and a sale of
// the exits that the market filled in part can leave dust. The lots of
// slots with no order keep no more between them than is held beside
// the grid's sells still resting, so the dust stays in a lot and is
// sold with the lot its level buys next. Without it the grid would ask
// to sell what it no longer holds, refused every minute, and that level
// would never buy again.
//
// A flat grid (asked on every trade while it holds nothing) has no dust
// to share out: its free lots are emptied without copying its open
// orders. Dust is shared out once for each change of the position or of
// the grid's orders (sharedOut), not on every trade.
func (g *Grid) flat(ctx Context, held decimal.Decimal) {
	if held.IsPositive() {
		if g.shared && fastdecimal.Compare(held, g.sharedOut) == 0 {
			return
		}
		g.sharedOut, g.shared = held, true
		for _, o := range ctx.OpenOrders() {
			if o.Side == exchange.Sell {
				held = held.Sub(o.BaseSize.Sub(o.FilledSize))
			}
		}
	}
	for i := range g.st.Slots {
		if s := &g.st.Slots[i]; s.Sell == "" && s.Buy == "" {
			if !held.IsPositive() {
				s.Held = decimal.Zero
				continue
			}
			s.Held = decimal.Min(s.Held, held)
			held = held.Sub(s.Held)
		}
	}
}

// halt ends the grid at the stop: its buys are cancelled, its sells and
// the inventory are the exits' to sell (they cancel the sells first).
func (g *Grid) halt(ctx Context, price decimal.Decimal) {
	g.st.Stopped, g.shared = true, false
	for i := range g.st.Slots {
		s := &g.st.Slots[i]
		if s.Buy != "" {
			_ = ctx.Cancel(s.Buy)
		}
		s.Held = decimal.Zero
	}
	ctx.Log().Warn("grid stopped: the price reached the inventory's stop; the exits sell what is held and the grid places nothing more "+
		"until it is given another range", "price", price, "stop", g.stop, "lots_sold", g.st.Sold)
}

// adopt checks the slots against the strategy's open orders once after a
// start: an order a slot names that is no longer open ended while no one
// listened (the slot is placed again), and an open order no slot names
// (placed by a run that stopped before its state was saved) is adopted
// by its side and price. A grid that then holds something is armed.
func (g *Grid) adopt(ctx Context) {
	g.synced, g.shared = true, false
	open := map[string]bool{}
	for _, o := range ctx.OpenOrders() {
		open[o.ClientOrderID] = true
	}
	slots := g.st.Slots
	named := map[string]bool{}
	for i := range slots {
		if slots[i].Buy != "" && !open[slots[i].Buy] {
			slots[i].Buy = ""
		}
		if slots[i].Sell != "" && !open[slots[i].Sell] {
			slots[i].Sell = ""
		}
		named[slots[i].Buy], named[slots[i].Sell] = true, true
	}
	p := ctx.Product()
	for _, o := range ctx.OpenOrders() {
		if named[o.ClientOrderID] {
			continue
		}
		if i := g.slotOf(o.Side == exchange.Buy, o.LimitPrice, p.RoundPriceDown, p.RoundPriceUp); i >= 0 {
			if o.Side == exchange.Buy && slots[i].Buy == "" {
				slots[i].Buy = o.ClientOrderID
			} else if o.Side == exchange.Sell && slots[i].Sell == "" {
				slots[i].Sell = o.ClientOrderID
				if !slots[i].Held.IsPositive() {
					slots[i].Held = o.BaseSize.Sub(o.FilledSize)
				}
			}
			ctx.Log().Info("grid: adopted an open order of the previous run", "client_order_id", o.ClientOrderID,
				"side", o.Side, "price", o.LimitPrice)
		}
	}
	if !g.st.Armed && g.holds(ctx) {
		g.st.Armed = true
	}
}

// holds reports whether the grid has anything for its stop to end: a
// lot or an order in a slot, a lot sold, or an open position. Only an
// armed grid buys, so a grid that holds something was armed by an
// earlier run, even one whose state says otherwise (a crash before the
// state was first saved; a state of another range, dropped).
func (g *Grid) holds(ctx Context) bool {
	if g.st.Sold > 0 || ctx.Position().Open() || len(ctx.OpenOrders()) > 0 {
		return true
	}
	for _, s := range g.st.Slots {
		if s.Held.IsPositive() || s.Buy != "" || s.Sell != "" {
			return true
		}
	}
	return false
}

// slotOf returns the slot of an order by side and price: a buy at a
// level's price (rounded down, as the engine rounds buys), a sell one
// level up (rounded up); -1 for none.
func (g *Grid) slotOf(buy bool, price decimal.Decimal, down, up func(decimal.Decimal) decimal.Decimal) int {
	for i := 0; i+1 < len(g.prices); i++ {
		if buy && down(g.prices[i]).Equal(price) || !buy && up(g.prices[i+1]).Equal(price) {
			return i
		}
	}
	return -1
}

// OnOrder implements OrderHandler: fills grow or shrink a slot's lot;
// an order that ended frees its slot, which the next trade fills again.
func (g *Grid) OnOrder(ctx Context, e OrderEvent) {
	g.shared = false // the lots or the open orders may change
	slots := g.slots()
	i, buy := g.find(ctx, e)
	if i < 0 {
		return
	}
	s := &slots[i]
	if e.Fill != nil && !g.st.Stopped {
		if buy {
			s.Held = s.Held.Add(e.Fill.Size)
		} else {
			s.Held = decimal.Max(s.Held.Sub(e.Fill.Size), decimal.Zero)
		}
	}
	switch e.Kind {
	case Filled, Cancelled, Refused:
		if buy {
			s.Buy = ""
		} else {
			s.Sell = ""
			if e.Kind == Filled {
				g.st.Sold++
				s.Held = decimal.Zero // the lot is sold: the level buys again
			}
		}
		if e.Kind == Refused {
			s.RetryAt = ctx.Now().Add(gridRetryDelay)
		}
	}
}

// find returns the slot an event is about, by the id the slot names, or
// by the order's side and price for an order adopted after a restart.
func (g *Grid) find(ctx Context, e OrderEvent) (int, bool) {
	for i, s := range g.st.Slots {
		switch e.ClientOrderID {
		case s.Buy:
			return i, true
		case s.Sell:
			return i, false
		}
	}
	if e.Order.ClientOrderID == "" {
		return -1, false
	}
	p := ctx.Product()
	buy := e.Order.Side == exchange.Buy
	return g.slotOf(buy, e.Order.LimitPrice, p.RoundPriceDown, p.RoundPriceUp), buy
}

// MarshalState implements Stateful.
func (g *Grid) MarshalState() ([]byte, error) {
	g.slots()
	return json.Marshal(&g.st)
}

// UnmarshalState implements Stateful. A state made for another range
// (the config changed) is dropped: the new ladder starts from its open
// orders, which it adopts where they fit. A state without armed loads
// unarmed; adopt arms the grid if it holds anything (gridState.Armed).
func (g *Grid) UnmarshalState(b []byte) error {
	var st gridState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	if st.Range != g.rangeKey() || len(st.Slots) != len(g.prices)-1 {
		return errors.New("grid state of another range (" + st.Range + "); starting from the open orders")
	}
	g.st, g.synced, g.shared = st, false, false
	return nil
}

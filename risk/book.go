package risk

import (
	"math"
	"math/bits"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// productBook is what the guard knows of one product: its market (for the
// collar, stale data and marking positions), its scope counters, the
// strategies holding it and its stop-loss cooldown. The guard's mutex
// protects it.
type productBook struct {
	id  string
	idx int
	lim *limits // per_product, or this product's override
	scope

	last, bid, ask, mark       decimal.Decimal
	midU                       int64 // mid in units, for the collar
	hasLast, hasQuote, hasMark bool
	// tradedSinceQuote is set by a trade and cleared by a quote: whether
	// the last trade may have gone through the quote (takePrice).
	tradedSinceQuote bool
	seen             bool
	// size is the account's signed position in the product, the sum of
	// its cells' sizes: it marks the account's value on each tick.
	size decimal.Decimal
	// seenAt is the receipt time of the last usable tick. It is kept as
	// the tick has it and converted to nanoseconds only when an entry is
	// checked (fresh): ticks are many, entries few.
	seenAt    time.Time
	resyncing bool

	holders []*cell // cells with a non-zero position, for marking on ticks

	stops         []int64 // stop-loss round trips within the cooldown window
	cooldownUntil int64
}

// strategyBook is one strategy instance's scope and its positions, one
// cell per product indexed by productBook.idx.
type strategyBook struct {
	name string
	lim  *limits // per_strategy, or this strategy's override
	scope
	cells []*cell
}

// cell is one strategy's position in one product. value is |size x
// mark| in units; exposure is value plus the notional reserved by the
// strategy's open entries on the product.
type cell struct {
	strat    *strategyBook
	prod     *productBook
	size     decimal.Decimal // base, signed
	cost     decimal.Decimal // cost basis of size, quote, signed
	value    int64
	exposure int64
	holding  bool // listed in prod.holders
}

func (g *Guard) product(id string) *productBook {
	if p := g.products[id]; p != nil {
		return p
	}
	lim := &g.prodLim
	if o, ok := g.cfg.Products[id]; ok {
		l := compile(o.Apply(g.cfg.PerProduct))
		lim = &l
	}
	p := &productBook{id: id, idx: g.nproducts, lim: lim, scope: newScope(*lim)}
	g.nproducts++
	g.products[id] = p
	return p
}

func (g *Guard) strategy(name string) *strategyBook {
	if s := g.strategies[name]; s != nil {
		return s
	}
	lim := &g.stratLim
	if o, ok := g.cfg.Strategies[name]; ok {
		l := compile(o.Apply(g.cfg.PerStrategy))
		lim = &l
	}
	s := &strategyBook{name: name, lim: lim, scope: newScope(*lim)}
	g.strategies[name] = s
	return s
}

func (s *strategyBook) cell(p *productBook) *cell {
	if p.idx >= len(s.cells) {
		grown := make([]*cell, p.idx+1)
		copy(grown, s.cells)
		s.cells = grown
	}
	c := s.cells[p.idx]
	if c == nil {
		c = &cell{strat: s, prod: p}
		s.cells[p.idx] = c
	}
	return c
}

// reference is the collar's reference price: the last trade or the mid,
// as configured, falling back to the other.
func (p *productBook) reference(preferMid bool) (int64, bool) {
	if preferMid && p.hasQuote {
		return p.midU, true
	}
	if p.hasLast {
		// Converted here rather than on every trade: orders are rare,
		// trades are not.
		return toUnits(p.last), true
	}
	if p.hasQuote {
		return p.midU, true
	}
	return 0, false
}

func (p *productBook) mid() decimal.Decimal {
	return p.bid.Add(p.ask).Div(decimal.NewFromInt(2))
}

// marketPrice estimates what a market order pays: the ask for a buy, the
// bid for a sell, else the mark.
func (p *productBook) marketPrice(side exchange.Side) decimal.Decimal {
	if p.hasQuote {
		if side == exchange.Buy {
			return p.ask
		}
		return p.bid
	}
	return p.mark
}

// takePrice is the price a market order of side takes now, where the
// venue judges its size: the best ask for a buy, the best bid for a sell,
// unless the last trade came after it and went through it
// (exchange.QuoteTaken, the rule the simulated exchange fills by and the
// exits judge a sale by), else the last trade; zero when neither is known.
func (p *productBook) takePrice(side exchange.Side) decimal.Decimal {
	if p.hasQuote {
		quote := p.ask
		if side == exchange.Sell {
			quote = p.bid
		}
		if !p.hasLast || !exchange.QuoteTaken(side, quote, p.last, p.tradedSinceQuote) {
			return quote
		}
	}
	if p.hasLast {
		return p.last
	}
	return decimal.Decimal{}
}

// OnTick records a product's last trade or best bid and ask: the collar's
// reference, the stale-data clock and the mark of open positions, whose
// change in value is checked against the loss limits at once. It only
// reads *t (a Tick is some 180 bytes; the pointer spares a copy per tick).
func (g *Guard) OnTick(t *exchange.Tick) {
	if g.mu.off {
		// One goroutine (SingleGoroutine): there is no lock to release
		// should onTick panic, and the deferred call, a closure called
		// indirectly, was a fifth of the guard's time on a backtest's
		// tick. unlock still reports the state changes the tick made.
		g.onTick(t)
		g.unlock()
		return
	}
	g.mu.Lock()
	defer g.unlock()
	g.onTick(t)
}

// onTick is OnTick's work; the caller holds mu.
func (g *Guard) onTick(t *exchange.Tick) {
	g.rollOnTick()
	// Ticks come in runs of one product: the last one's book is reused
	// without a map lookup.
	p := g.lastTicked
	if p == nil || p.id != t.ProductID {
		p = g.product(t.ProductID)
		g.lastTicked = p
	}
	at := t.Received
	if at.IsZero() {
		at = t.Time
	}
	var mark decimal.Decimal
	switch t.Kind {
	case exchange.TradeTick:
		if !t.Price.IsPositive() {
			return
		}
		p.last, p.hasLast, p.tradedSinceQuote = t.Price, true, true
		mark = t.Price
	case exchange.QuoteTick:
		if !t.Bid.IsPositive() || !t.Ask.IsPositive() {
			return
		}
		p.bid, p.ask, p.hasQuote, p.tradedSinceQuote = t.Bid, t.Ask, true, false
		p.midU = (toUnits(t.Bid) + toUnits(t.Ask)) / 2
		mark = p.mid()
	default:
		return
	}
	// Only a usable tick proves the feed alive.
	p.seen, p.seenAt = true, at
	g.setMark(p, mark)
}

// setMark moves a product's mark price: the account's mark value moves by
// its position times the change, each holder's exposure is revalued, and
// the loss limits are checked against the new PnL.
func (g *Guard) setMark(p *productBook, mark decimal.Decimal) {
	if len(p.holders) == 0 && p.size.IsZero() {
		// Nothing held: the mark moves no value and no limit. A mark
		// equal in value keeps its old form, as below; with the same
		// exponent that is the new form, so no comparison is needed.
		if !p.hasMark || p.mark.Exponent() == mark.Exponent() || !p.mark.Equal(mark) {
			p.mark, p.hasMark = mark, true
		}
		return
	}
	if p.hasMark && p.mark.Equal(mark) {
		return
	}
	if p.hasMark && !p.size.IsZero() {
		g.markValue = g.markValue.Add(markMove(p.size, mark, p.mark))
	}
	p.mark, p.hasMark = mark, true
	if len(p.holders) == 0 {
		return
	}
	for _, c := range p.holders {
		g.revalue(c)
	}
	g.evalLoss()
}

// markMove is size.Mul(mark.Sub(prev)), the change in a position's value
// when its mark moves, computed in int64 when the coefficients allow:
// the same coefficient and exponent as the decimal expression (which
// subtracts at the smaller exponent and multiplies coefficients, adding
// exponents), in one allocation instead of three on every tick of a
// held product.
func markMove(size, mark, prev decimal.Decimal) decimal.Decimal {
	if size.NumDigits() > 18 || mark.NumDigits() > 18 || prev.NumDigits() > 18 {
		return size.Mul(mark.Sub(prev))
	}
	cm, cp := mark.CoefficientInt64(), prev.CoefficientInt64()
	em, ep := mark.Exponent(), prev.Exponent()
	if em > ep {
		var ok bool
		if cm, ok = fastdecimal.ScaleInt64(cm, int64(em)-int64(ep)); !ok {
			return size.Mul(mark.Sub(prev))
		}
		em = ep
	} else if em < ep {
		var ok bool
		if cp, ok = fastdecimal.ScaleInt64(cp, int64(ep)-int64(em)); !ok {
			return size.Mul(mark.Sub(prev))
		}
	}
	diff := cm - cp
	if (cm >= 0) != (cp >= 0) && (diff >= 0) != (cm >= 0) {
		return size.Mul(mark.Sub(prev)) // the subtraction overflowed
	}
	cs := size.CoefficientInt64()
	hi, lo := bits.Mul64(uint64(absInt64(cs)), uint64(absInt64(diff)))
	if hi != 0 || lo > math.MaxInt64 {
		return size.Mul(mark.Sub(prev))
	}
	prod := int64(lo)
	if (cs < 0) != (diff < 0) {
		prod = -prod
	}
	return decimal.New(prod, size.Exponent()+em)
}

func absInt64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// SetResyncing marks a product's feed as resyncing (after a sequence gap
// or a reconnect) or caught up; entries on it wait while it resyncs.
func (g *Guard) SetResyncing(productID string, resyncing bool) {
	g.mu.Lock()
	defer g.unlock()
	g.product(productID).resyncing = resyncing
}

// SetOrderUpdatesUnseen says that the venue's order updates cannot be
// seen (reason: the user channel is down, or reconnected and its missed
// messages are being fetched over REST), or, with "", that they can again.
// Entries on every product wait meanwhile: an entry whose fill nobody sees
// is a position nobody protects. Exits still pass.
func (g *Guard) SetOrderUpdatesUnseen(reason string) {
	g.mu.Lock()
	defer g.unlock()
	g.unseen = reason
}

// revalue sets a position's value in units at its product's mark and
// carries the change into every scope's exposure.
func (g *Guard) revalue(c *cell) {
	v := notionalUnits(c.size, c.prod.mark)
	d := v - c.value
	if d == 0 {
		return
	}
	c.value = v
	c.exposure += d
	c.strat.exposure += d
	c.prod.exposure += d
	g.acct.exposure += d
}

// OnFill applies one fill: the filled part of the reservation's notional
// becomes position exposure, the strategy's position and cost basis move,
// and realized PnL (after the fee, in quote currency) counts toward the
// loss limits. r may be nil for a fill of an order the guard did not see
// (an attached bracket, or one placed before a restart).
func (g *Guard) OnFill(strategy, productID string, side exchange.Side, size, price, fee decimal.Decimal, r *Reservation) {
	g.OnJournaledFill(0, strategy, productID, side, size, price, fee, r)
}

// OnJournaledFill is OnFill for a fill the journal numbered seq, which it
// books and records as the last fill booked (Counters.FillSeq) in one
// step: a snapshot includes the fill and names its number, or does
// neither. The caller books fills in the order the journal numbered them,
// so that every fill numbered up to the last one booked is booked
// (engine.Executor.bookFill). seq 0 is a fill the journal did not number
// (none, or one that numbers fills later), which leaves the last number
// as it was.
func (g *Guard) OnJournaledFill(seq uint64, strategy, productID string, side exchange.Side, size, price, fee decimal.Decimal, r *Reservation) {
	if !size.IsPositive() || !price.IsPositive() || !side.Valid() {
		if seq > 0 {
			g.mu.Lock()
			g.fillSeq = max(g.fillSeq, seq)
			g.unlock()
		}
		return
	}
	g.mu.Lock()
	defer g.unlock()
	g.fillSeq = max(g.fillSeq, seq)
	g.roll(g.clk.Now())
	var c *cell
	if r != nil && r.c != nil && r.c.strat.name == strategy && r.c.prod.id == productID {
		c = r.c
	} else {
		c = g.strategy(strategy).cell(g.product(productID))
	}
	if r != nil {
		r.filled = true
		if !r.exit && !r.ended && r.remaining > 0 {
			unit := r.price
			if unit.IsZero() {
				unit = price
			}
			used := min(notionalUnits(size, unit), r.remaining)
			r.remaining -= used
			g.unreserve(r, used)
		}
	}
	p := c.prod
	if !p.hasMark {
		p.mark, p.hasMark = price, true
	}
	qty := size
	if side == exchange.Sell {
		qty = size.Neg()
	}
	g.markValue = g.markValue.Add(qty.Mul(p.mark))
	p.size = p.size.Add(qty)
	realized := g.applyFill(c, qty, price).Sub(fee)
	g.realizedToday = g.realizedToday.Add(realized)
	g.realizedTotal = g.realizedTotal.Add(realized)
	g.track(c)
	g.revalue(c)
	g.evalLoss()
}

// applyFill moves a position by qty (signed base) at price on average
// cost and returns the PnL realized by the part that closed.
func (g *Guard) applyFill(c *cell, qty, price decimal.Decimal) decimal.Decimal {
	var realized decimal.Decimal
	if !c.size.IsZero() && c.size.Sign() != qty.Sign() {
		closed := decimal.Min(qty.Abs(), c.size.Abs())
		var closedCost decimal.Decimal
		if closed.Equal(c.size.Abs()) {
			closedCost = c.cost
		} else {
			closedCost = c.cost.Mul(closed).Div(c.size.Abs())
		}
		// A long closes by selling: proceeds minus cost. A short closes by
		// buying: its (negative) cost minus what the buy pays.
		if c.size.IsPositive() {
			realized = closed.Mul(price).Sub(closedCost)
			c.size = c.size.Sub(closed)
			qty = qty.Add(closed)
		} else {
			realized = closedCost.Neg().Sub(closed.Mul(price))
			c.size = c.size.Add(closed)
			qty = qty.Sub(closed)
		}
		c.cost = c.cost.Sub(closedCost)
		g.cost = g.cost.Sub(closedCost)
		if c.size.IsZero() {
			g.cost = g.cost.Sub(c.cost)
			c.cost = decimal.Zero
		}
	}
	if !qty.IsZero() {
		add := qty.Mul(price)
		c.size = c.size.Add(qty)
		c.cost = c.cost.Add(add)
		g.cost = g.cost.Add(add)
	}
	return realized
}

// track keeps prod.holders listing exactly the cells with a position.
func (g *Guard) track(c *cell) {
	p := c.prod
	switch {
	case !c.size.IsZero() && !c.holding:
		p.holders = append(p.holders, c)
		c.holding = true
	case c.size.IsZero() && c.holding:
		for i, h := range p.holders {
			if h == c {
				last := len(p.holders) - 1
				p.holders[i] = p.holders[last]
				p.holders[last] = nil
				p.holders = p.holders[:last]
				break
			}
		}
		c.holding = false
	}
}

// Position returns what the guard knows of a strategy's position in a
// product: base size (negative for a short) and cost basis in quote.
func (g *Guard) Position(strategy, productID string) (size, cost decimal.Decimal) {
	g.mu.Lock()
	defer g.unlock()
	s, p := g.strategies[strategy], g.products[productID]
	if s == nil || p == nil || p.idx >= len(s.cells) || s.cells[p.idx] == nil {
		return decimal.Zero, decimal.Zero
	}
	c := s.cells[p.idx]
	return c.size, c.cost
}

// SetPosition replaces what the guard knows of a strategy's position, for
// the engine to reconcile it with the journal or the exchange after a
// restart, before any exit is checked against it. The change in cost
// basis is not PnL.
func (g *Guard) SetPosition(strategy, productID string, size, cost decimal.Decimal) {
	g.mu.Lock()
	defer g.unlock()
	g.setPosition(strategy, productID, size, cost)
}

func (g *Guard) setPosition(strategy, productID string, size, cost decimal.Decimal) {
	if size.IsZero() {
		cost = decimal.Zero // a flat position has no cost basis left
	}
	c := g.strategy(strategy).cell(g.product(productID))
	p := c.prod
	if !p.hasMark && !size.IsZero() {
		// Without a price yet, value the position at its cost so that the
		// restart itself shows no unrealized PnL.
		p.mark, p.hasMark = cost.Div(size), true
	}
	delta := size.Sub(c.size)
	g.markValue = g.markValue.Add(delta.Mul(p.mark))
	p.size = p.size.Add(delta)
	g.cost = g.cost.Sub(c.cost).Add(cost)
	c.size, c.cost = size, cost
	g.track(c)
	g.revalue(c)
}

package sim

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// bracketStopFactor is Coinbase's rule for a triggered bracket: its stop
// becomes a limit 5 % below the trigger for a sell.
var bracketStopFactor = decimal.New(95, -2)

// OnTick feeds one market event: a trade sets the last trade price, fills
// resting orders it trades through and triggers stops; a quote sets the
// best bid and ask and fills resting orders it crosses. A trade tick that
// also carries a bid or ask (as Coinbase's ticker channel does) updates
// the quote too. Ticks for products not listed, and non-positive prices or
// prices at an absurd scale (exponent beyond ±64), are ignored. With
// nothing resting on the product it does not allocate. It only reads *t
// (a Tick is some 180 bytes; the pointer spares a copy per tick).
func (x *Exchange) OnTick(t *exchange.Tick) {
	if t.Kind != exchange.TradeTick && t.Kind != exchange.QuoteTick {
		return
	}
	x.mu.Lock()
	// Ticks come in runs of one product: the last one's book is reused
	// without a map lookup.
	b := x.lastBook
	if b == nil || b.product.ID != t.ProductID {
		if b = x.books[t.ProductID]; b == nil {
			x.mu.Unlock()
			return
		}
		x.lastBook = b
	}
	trade := t.Kind == exchange.TradeTick && t.Price.IsPositive() && sane(t.Price)
	if trade {
		b.last, b.hasLast = t.Price, true
		b.tradedSinceBid, b.tradedSinceAsk = true, true
	}
	// A quote the tick carries is current, whatever the trade beside it.
	quote := false
	if t.Bid.IsPositive() && sane(t.Bid) {
		b.bid, b.hasBid, b.tradedSinceBid, quote = t.Bid, true, false, true
	}
	if t.Ask.IsPositive() && sane(t.Ask) {
		b.ask, b.hasAsk, b.tradedSinceAsk, quote = t.Ask, true, false, true
	}
	if x.partial {
		b.depth.note(t, trade)
	}
	if b.queueDue() {
		x.releaseDue(b) // after the sizes are noted: a released order may take them
	}
	if x.partial {
		if (trade || quote) && !b.empty() {
			x.matchPartial(b, trade, quote)
		}
	} else if (trade || quote) && !b.empty() {
		x.match(b, trade, quote)
	}
	x.unlock()
}

// sane reports whether a price's scale is within maxScale; a broken feed
// must not make every later comparison build enormous numbers.
func sane(p decimal.Decimal) bool {
	e := p.Exponent()
	return e <= maxScale && e >= -maxScale
}

// match fills and triggers what the latest tick reached: the quote first
// (a resting order the book has crossed was filled before the trade), then
// the trade. Callers hold mu.
func (x *Exchange) match(b *book, trade, quote bool) {
	if b.expiring > 0 && x.clk.Now().UnixNano() >= b.nextExpiry {
		x.expire(b)
	}
	if quote {
		if b.hasAsk {
			b.ask = b.norm(b.ask)
			for n := len(b.bids); n > 0 && b.ask.Cmp(b.bids[n-1].resting) <= 0; n = len(b.bids) {
				o := b.bids[n-1]
				x.fill(b, o, o.resting, o.BaseSize, exchange.Maker)
			}
		}
		if b.hasBid {
			b.bid = b.norm(b.bid)
			for n := len(b.asks); n > 0 && b.bid.Cmp(b.asks[n-1].resting) >= 0; n = len(b.asks) {
				o := b.asks[n-1]
				x.fill(b, o, o.resting, o.BaseSize, exchange.Maker)
			}
		}
	}
	if !trade {
		return
	}
	b.last = b.norm(b.last)
	last := b.last
	for n := len(b.bids); n > 0 && last.Cmp(b.bids[n-1].resting) < 0; n = len(b.bids) {
		o := b.bids[n-1]
		x.fill(b, o, o.resting, o.BaseSize, exchange.Maker)
	}
	for n := len(b.asks); n > 0 && last.Cmp(b.asks[n-1].resting) > 0; n = len(b.asks) {
		o := b.asks[n-1]
		x.fill(b, o, o.resting, o.BaseSize, exchange.Maker)
	}
	for n := len(b.stopsDown); n > 0 && last.Cmp(b.stopsDown[n-1].stop) <= 0; n = len(b.stopsDown) {
		x.trigger(b, b.stopsDown[n-1])
	}
	for n := len(b.stopsUp); n > 0 && last.Cmp(b.stopsUp[n-1].stop) >= 0; n = len(b.stopsUp) {
		x.trigger(b, b.stopsUp[n-1])
	}
}

// takePrice returns the price an order of side would take: the best
// opposite quote, or the last trade while no quote is known or when the
// last trade went through it (quoted).
func (b *book) takePrice(side exchange.Side) (decimal.Decimal, bool) {
	switch {
	case b.quoted(side):
		if side == exchange.Buy {
			return b.ask, true
		}
		return b.bid, true
	case b.hasLast:
		return b.last, true
	}
	return decimal.Decimal{}, false
}

// quoted reports whether an order of side takes the best opposite quote:
// one is known and the last trade, if it came after it, did not go
// through it (tradedSinceBid).
func (b *book) quoted(side exchange.Side) bool {
	if side == exchange.Buy {
		return b.hasAsk && !exchange.QuoteTaken(side, b.ask, b.last, b.tradedSinceAsk)
	}
	return b.hasBid && !exchange.QuoteTaken(side, b.bid, b.last, b.tradedSinceBid)
}

// marketable reports whether a limit of side at limit would take
// liquidity now.
func (b *book) marketable(side exchange.Side, limit decimal.Decimal) bool {
	ref, ok := b.takePrice(side)
	if !ok {
		return false
	}
	if side == exchange.Buy {
		return ref.LessThanOrEqual(limit)
	}
	return ref.GreaterThanOrEqual(limit)
}

// slip moves a taking price SlippageBps against side and rounds it to the
// price increment in the worse direction.
func (x *Exchange) slip(p exchange.Product, side exchange.Side, ref decimal.Decimal) decimal.Decimal {
	if side == exchange.Buy {
		if x.slippage.IsPositive() {
			ref = ref.Mul(x.slipUp)
		}
		return p.RoundPriceUp(ref)
	}
	if x.slippage.IsPositive() {
		ref = ref.Mul(x.slipDown)
	}
	return p.RoundPriceDown(ref)
}

// take fills o, a limit at limit that is marketable, as taker at the best
// price after slippage, never beyond limit.
func (x *Exchange) take(b *book, o *order, limit decimal.Decimal) {
	ref, _ := b.takePrice(o.Side)
	price := x.capped(b.product, o.Side, ref, limit)
	if !x.partial {
		x.fill(b, o, price, o.BaseSize, exchange.Taker)
		return
	}
	if size := b.takeSize(o.Side, o.unfilled()); size.IsPositive() {
		x.fill(b, o, price, size, exchange.Taker)
	}
}

// activate works o as a limit at limit: it takes liquidity if it can,
// else rests (or, immediate-or-cancel and fill-or-kill, is cancelled).
func (x *Exchange) activate(b *book, o *order, limit decimal.Decimal) {
	if b.marketable(o.Side, limit) {
		if !x.partial {
			x.take(b, o, limit)
			return
		}
		if o.TimeInForce == exchange.FillOrKill && !b.canTake(o.Side, o.unfilled()) {
			x.end(b, o, exchange.StatusCancelled)
			return
		}
		// What the market shows fills now; the rest works on.
		x.take(b, o, limit)
		if o.Status != exchange.StatusOpen {
			return
		}
		o.taking = true
	}
	if o.TimeInForce == exchange.ImmediateOrCancel || o.TimeInForce == exchange.FillOrKill {
		x.end(b, o, exchange.StatusCancelled)
		return
	}
	b.addLimit(o, limit)
	b.watchExpiry(o)
}

// trigger fires o's stop: a stop-limit becomes a limit at its limit price,
// a bracket drops its take-profit and becomes a limit 5 % below its
// trigger.
func (x *Exchange) trigger(b *book, o *order) {
	b.unlink(o)
	o.Triggered = true
	o.UpdatedAt = x.clk.Now()
	x.emit(o, nil)
	limit := o.LimitPrice
	if o.Type == exchange.Bracket {
		limit = b.product.RoundPriceUp(o.StopPrice.Mul(bracketStopFactor))
	}
	x.activate(b, o, b.norm(limit))
}

// fill executes all of o's size at price and reports it; with
// Config.PartialFills, size may be part of it (fillPart).
func (x *Exchange) fill(b *book, o *order, price, size decimal.Decimal, liq exchange.Liquidity) {
	if x.partial {
		x.fillPart(b, o, price, size, liq)
		return
	}
	b.retire(o)
	x.releaseHold(o)
	rate := x.fees.Taker
	if liq == exchange.Maker {
		rate = x.fees.Maker
	}
	value := price.Mul(size)
	fee := value.Mul(rate)
	x.settle(b.product, o.Side, size, value, fee)
	now := x.clk.Now()
	o.Status = exchange.StatusFilled
	o.FilledSize, o.FilledValue, o.AverageFilledPrice, o.TotalFees = size, value, price, fee
	o.NumberOfFills = 1
	o.UpdatedAt = now
	f := x.recordFill(o, price, size, fee, liq, now)
	var bracket *order
	if o.Attached != nil && o.Side == exchange.Buy {
		bracket = x.attach(o, size)
	}
	x.emit(o, &f)
	if bracket != nil {
		x.startBracket(b, bracket)
	}
}

// recordFill keeps a new fill of size of o at price and returns it.
// Callers hold mu.
func (x *Exchange) recordFill(o *order, price, size, fee decimal.Decimal, liq exchange.Liquidity, now time.Time) exchange.Fill {
	f := exchange.Fill{
		TradeID:       x.newTradeID(),
		OrderID:       o.ID,
		ClientOrderID: o.ClientOrderID,
		ProductID:     o.ProductID,
		Side:          o.Side,
		Price:         price,
		Size:          size,
		Fee:           fee,
		Liquidity:     liq,
		Time:          now,
	}
	x.fills = append(x.fills, f)
	return f
}

// startBracket reports and arms a bracket just attached to a filled entry.
func (x *Exchange) startBracket(b *book, bracket *order) {
	x.emit(bracket, nil)
	x.arm(b, bracket)
	// The market may already be below the stop by the time a resting
	// entry fills; Coinbase would trigger the bracket at once.
	if bracket.inStops && b.hasLast && b.norm(b.last).Cmp(bracket.stop) <= 0 {
		x.trigger(b, bracket)
	}
}

// attach creates the bracket an entry's Attached asks for, for the size
// the entry bought, and holds that base. Its first event is queued by the
// caller after the entry's fill.
func (x *Exchange) attach(entry *order, size decimal.Decimal) *order {
	p := x.books[entry.ProductID].product
	now := x.clk.Now()
	o := &order{Order: exchange.Order{
		OrderRequest: exchange.OrderRequest{
			ProductID:   entry.ProductID,
			Side:        exchange.Sell,
			Type:        exchange.Bracket,
			TimeInForce: exchange.GoodTilCancelled,
			BaseSize:    size,
			LimitPrice:  entry.Attached.LimitPrice,
			StopPrice:   entry.Attached.StopTriggerPrice,
		},
		ID:                 x.newOrderID(),
		Status:             exchange.StatusOpen,
		CreatedAt:          now,
		UpdatedAt:          now,
		OriginatingOrderID: entry.ID,
	}, want: size}
	entry.AttachedOrderID = o.ID
	x.orders = append(x.orders, o)
	x.byID[o.ID] = o
	x.putHold(o, p.BaseCurrency, size)
	return o
}

// end makes o terminal with status without a fill, releasing its hold.
func (x *Exchange) end(b *book, o *order, status exchange.OrderStatus) {
	b.retire(o)
	x.releaseHold(o)
	o.Status = status
	o.UpdatedAt = x.clk.Now()
	x.emit(o, nil)
}

// expire ends the good-til-date orders of b whose end time has passed.
func (x *Exchange) expire(b *book) {
	now := x.clk.Now()
	var due []*order
	next := int64(0)
	for _, list := range [][]*order{b.bids, b.asks, b.stopsDown, b.stopsUp} {
		for _, o := range list {
			if !o.expires {
				continue
			}
			if !o.EndTime.After(now) {
				due = append(due, o)
			} else if end := o.EndTime.UnixNano(); next == 0 || end < next {
				next = end
			}
		}
	}
	for _, o := range due {
		if o.Status == exchange.StatusOpen { // a bracket is in two lists
			x.end(b, o, exchange.StatusExpired)
		}
	}
	b.nextExpiry = next
}

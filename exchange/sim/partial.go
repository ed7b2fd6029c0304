package sim

import (
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// This file holds the matching rules of Config.PartialFills: an order
// fills only as much as the market showed at its price, in as many parts
// as it takes. The whole-fill rules (match.go) stay apart and untouched,
// so that a backtest that does not ask for partial fills pays nothing for
// them.

// depth is what the market showed and is not used up yet: the size of
// the last trade, of the best bid and of the best ask. A side whose size
// is unknown (the tick carried none) is unlimited.
type depth struct {
	trade, bid, ask          decimal.Decimal
	tradeSet, bidSet, askSet bool
}

// note records the sizes a tick shows. Callers hold mu.
func (d *depth) note(t *exchange.Tick, trade bool) {
	if trade {
		d.trade, d.tradeSet = t.Size, t.Size.IsPositive()
	}
	if t.Bid.IsPositive() {
		d.bid, d.bidSet = t.BidSize, t.BidSize.IsPositive()
	}
	if t.Ask.IsPositive() {
		d.ask, d.askSet = t.AskSize, t.AskSize.IsPositive()
	}
}

// use takes up to want from the size left in left (unlimited unless set)
// and returns what it took.
func use(left *decimal.Decimal, set bool, want decimal.Decimal) decimal.Decimal {
	if !set {
		return want
	}
	got := decimal.Min(want, *left)
	if got.IsPositive() {
		*left = left.Sub(got)
	}
	return got
}

// takeSize takes up to want of the liquidity an order of side would take
// now (the ask for a buy, the bid for a sell, the last trade while no
// quote holds: quoted) and returns the size it may fill.
func (b *book) takeSize(side exchange.Side, want decimal.Decimal) decimal.Decimal {
	d := &b.depth
	switch {
	case side == exchange.Buy && b.quoted(side):
		return use(&d.ask, d.askSet, want)
	case side == exchange.Sell && b.quoted(side):
		return use(&d.bid, d.bidSet, want)
	}
	return use(&d.trade, d.tradeSet, want)
}

// canTake reports whether the liquidity an order of side would take holds
// size, without taking it (fill-or-kill).
func (b *book) canTake(side exchange.Side, size decimal.Decimal) bool {
	d := &b.depth
	switch {
	case side == exchange.Buy && b.quoted(side):
		return !d.askSet || d.ask.GreaterThanOrEqual(size)
	case side == exchange.Sell && b.quoted(side):
		return !d.bidSet || d.bid.GreaterThanOrEqual(size)
	}
	return !d.tradeSet || d.trade.GreaterThanOrEqual(size)
}

// matchPartial is match under Config.PartialFills: each resting order the
// tick reaches fills as much as the quoted (or traded) size at that price
// still holds, best price first; what is left rests for later ticks.
// Callers hold mu.
func (x *Exchange) matchPartial(b *book, trade, quote bool) {
	if b.expiring > 0 && x.clk.Now().UnixNano() >= b.nextExpiry {
		x.expire(b)
	}
	d := &b.depth
	if quote {
		if b.hasAsk {
			b.ask = b.norm(b.ask)
			x.cross(b, &b.bids, b.ask, &d.ask, d.askSet, func(o *order) bool { return b.ask.Cmp(o.resting) <= 0 })
		}
		if b.hasBid {
			b.bid = b.norm(b.bid)
			x.cross(b, &b.asks, b.bid, &d.bid, d.bidSet, func(o *order) bool { return b.bid.Cmp(o.resting) >= 0 })
		}
	}
	if !trade {
		return
	}
	b.last = b.norm(b.last)
	last := b.last
	x.cross(b, &b.bids, last, &d.trade, d.tradeSet, func(o *order) bool { return last.Cmp(o.resting) < 0 })
	x.cross(b, &b.asks, last, &d.trade, d.tradeSet, func(o *order) bool { return last.Cmp(o.resting) > 0 })
	for n := len(b.stopsDown); n > 0 && last.Cmp(b.stopsDown[n-1].stop) <= 0; n = len(b.stopsDown) {
		x.trigger(b, b.stopsDown[n-1])
	}
	for n := len(b.stopsUp); n > 0 && last.Cmp(b.stopsUp[n-1].stop) >= 0; n = len(b.stopsUp) {
		x.trigger(b, b.stopsUp[n-1])
	}
}

// cross fills the orders at the end of *list that reached reports
// reached, best first, from the size left in *left, until one is not
// reached or the size is used up.
func (x *Exchange) cross(b *book, list *[]*order, ref decimal.Decimal, left *decimal.Decimal, set bool, reached func(*order) bool) {
	for len(*list) > 0 {
		o := (*list)[len(*list)-1]
		if !reached(o) {
			return
		}
		size := use(left, set, o.unfilled())
		if !size.IsPositive() {
			return
		}
		if o.taking {
			// The rest of an order that took liquidity goes on taking at
			// what the market offers now, as taker, never beyond its limit.
			x.fill(b, o, x.capped(b.product, o.Side, ref, o.resting), size, exchange.Taker)
		} else {
			x.fill(b, o, o.resting, size, exchange.Maker)
		}
		if o.Status == exchange.StatusOpen {
			return // partly filled: what the market showed is used up
		}
	}
}

// capped is a taking price after slippage, never beyond limit.
func (x *Exchange) capped(p exchange.Product, side exchange.Side, ref, limit decimal.Decimal) decimal.Decimal {
	price := x.slip(p, side, ref)
	if side == exchange.Buy {
		return decimal.Min(price, limit)
	}
	return decimal.Max(price, limit)
}

// fillPart executes size of o (all or part of what it has left) at price
// and reports it: the hold shrinks to what the rest needs, the totals add
// up, and the order is FILLED once nothing is left. An entry with an
// attached bracket gets the bracket at its first fill and grows it with
// every later one. Callers hold mu.
func (x *Exchange) fillPart(b *book, o *order, price, size decimal.Decimal, liq exchange.Liquidity) {
	rest := o.unfilled().Sub(size)
	done := !rest.IsPositive()
	if done {
		b.retire(o)
		x.releaseHold(o)
	} else {
		x.shrinkHold(b.product, o, rest)
	}
	rate := x.fees.Taker
	if liq == exchange.Maker {
		rate = x.fees.Maker
	}
	value := price.Mul(size)
	fee := value.Mul(rate)
	x.settle(b.product, o.Side, size, value, fee)
	now := x.clk.Now()
	o.FilledSize = o.FilledSize.Add(size)
	o.FilledValue = o.FilledValue.Add(value)
	o.TotalFees = o.TotalFees.Add(fee)
	o.AverageFilledPrice = price
	if o.NumberOfFills > 0 {
		o.AverageFilledPrice = o.FilledValue.Div(o.FilledSize)
	}
	o.NumberOfFills++
	if done {
		o.Status = exchange.StatusFilled
	}
	o.UpdatedAt = now
	f := x.recordFill(o, price, size, fee, liq, now)
	var bracket *order
	if o.Attached != nil && o.Side == exchange.Buy {
		if o.AttachedOrderID == "" {
			bracket = x.attach(o, size)
		} else {
			x.growBracket(o.AttachedOrderID, size)
		}
	}
	x.emit(o, &f)
	if bracket != nil {
		x.startBracket(b, bracket)
	}
}

// shrinkHold lowers o's reservation to what its unfilled rest needs,
// giving the difference back to available.
func (x *Exchange) shrinkHold(p exchange.Product, o *order, rest decimal.Decimal) {
	if o.holdCurrency == "" {
		return
	}
	_, amount := x.holdFor(p, o.Side, o.LimitPrice, rest)
	if amount.GreaterThanOrEqual(o.hold) {
		return
	}
	free := o.hold.Sub(amount)
	bal := x.bal(o.holdCurrency)
	bal.available = bal.available.Add(free)
	bal.hold = bal.hold.Sub(free)
	o.hold = amount
}

// growBracket adds size to the open attached bracket id, which then holds
// and sells the base bought since; a bracket that has ended is left alone
// (the position's owner protects the rest).
func (x *Exchange) growBracket(id string, size decimal.Decimal) {
	br := x.byID[id]
	if br == nil || br.Status != exchange.StatusOpen {
		return
	}
	br.BaseSize = br.BaseSize.Add(size)
	br.want = br.BaseSize
	bal := x.bal(br.holdCurrency)
	bal.available = bal.available.Sub(size)
	bal.hold = bal.hold.Add(size)
	br.hold = br.hold.Add(size)
	br.UpdatedAt = x.clk.Now()
	x.emit(br, nil)
}

// execMarketPartial fills the market order o from the liquidity at the
// best price and cancels what that did not cover: market orders are
// immediate-or-cancel. With no liquidity left at all the order ends
// CANCELLED without a fill.
func (x *Exchange) execMarketPartial(b *book, o *order, price, size decimal.Decimal) {
	o.want = size
	if got := b.takeSize(o.Side, size); got.IsPositive() {
		x.fill(b, o, price, got, exchange.Taker)
	}
	if o.Status == exchange.StatusOpen {
		x.end(b, o, exchange.StatusCancelled)
	}
}

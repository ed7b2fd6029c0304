package sim

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// order is the exchange's record of one order. Its fields are guarded by
// Exchange.mu.
type order struct {
	exchange.Order
	// limitRank and stopRank order equal prices in the book's lists:
	// earlier resting orders win ties at one price.
	limitRank, stopRank uint64

	// hold is what the order has reserved of holdCurrency (quote for a
	// buy, base for a sell); it is released on fill, cancel or expiry.
	hold         decimal.Decimal
	holdCurrency string

	// resting is the price the order rests at in its book's bids or asks
	// (its limit, or a bracket's take-profit); stop is the trigger it
	// waits for in stopsDown or stopsUp.
	resting, stop     decimal.Decimal
	inLimits, inStops bool
	stopDirection     exchange.StopDirection
	// expires is set while the order is counted in its book's expiring.
	expires bool
	// want is the base size to fill in all: BaseSize, or what a quote
	// size buys. taking marks an order that took liquidity and rests with
	// the rest of its size: it goes on taking, as taker, when the market
	// shows more (Config.PartialFills only).
	want   decimal.Decimal
	taking bool

	// due is when a QUEUED order goes on the book (Config.QueueFor).
	// editing is an accepted edit not applied yet (the order shows
	// EDIT_QUEUED), due at editDue.
	due     time.Time
	editing *exchange.OrderEdit
	editDue time.Time
}

// unfilled returns the base size still to fill.
func (o *order) unfilled() decimal.Decimal { return o.want.Sub(o.FilledSize) }

// snapshot returns the order as callers see it: an open order with an
// edit not applied yet is EDIT_QUEUED.
func (o *order) snapshot() exchange.Order {
	if o.editing != nil && o.Status == exchange.StatusOpen {
		out := o.Order
		out.Status = exchange.StatusEditQueued
		return out
	}
	return o.Order
}

// book is one product's market state and resting orders. Every list keeps
// its next order to act at the END, so that taking it is a slice shrink:
//
//   - bids: resting buys, ascending by price (best = highest last), and
//     among equal prices later orders first (earliest last).
//   - asks: resting sells (and untriggered brackets' take-profit legs),
//     descending by price (best = lowest last).
//   - stopsDown: untriggered STOP_DOWN stops and bracket stops, ascending
//     by stop (the highest triggers first when the price falls).
//   - stopsUp: untriggered STOP_UP stops, descending by stop.
type book struct {
	product  exchange.Product
	priceExp int32 // exponent of the price increment; order prices are stored with it

	last, bid, ask          decimal.Decimal
	hasLast, hasBid, hasAsk bool
	// tradedSinceBid and tradedSinceAsk say that the last trade came
	// after that side's last quote: a last trade below that bid (above
	// that ask) went through it, so the quote is gone and an order takes
	// the last trade's price until the next quote (quoted). A stop
	// triggered by a fall through an old bid so fills at the fall, as on
	// Coinbase, not at the bid before it. Set on every trade, compared
	// only when an order takes liquidity.
	tradedSinceBid, tradedSinceAsk bool

	// With Config.PartialFills, the size the market showed at the last
	// trade and at the best bid and ask, less what orders have taken of
	// it since; a limit says whether the size is known at all (a feed of
	// candles or trades without sizes fills whole).
	depth depth

	bids, asks, stopsDown, stopsUp []*order

	// expiring counts open good-til-date orders; nextExpiry is the
	// earliest end time among them (stale after a cancel, which only makes
	// the sweep run once for nothing).
	expiring   int
	nextExpiry int64
	rank       uint64 // counts insertions into the lists; a lower rank wins a tie

	// queued are the QUEUED orders, off the book, in the order they came;
	// editing the open orders with a queued edit; auction is set while
	// the product is in auction mode (every new order is queued).
	queued, editing []*order
	auction         bool
}

func newBook(p exchange.Product) *book {
	step := p.PriceIncrement
	if !step.IsPositive() {
		step = p.QuoteIncrement
	}
	exp := int32(0)
	if step.IsPositive() {
		exp = step.Exponent()
	}
	return &book{product: p, priceExp: exp}
}

// norm rescales a price to the book's exponent when that is exact, so that
// comparisons on the tick path compare big.Ints of one scale and do not
// allocate.
func (b *book) norm(p decimal.Decimal) decimal.Decimal {
	if p.Exponent() > b.priceExp {
		return p.Round(-b.priceExp)
	}
	return p
}

// empty reports whether nothing rests on the book.
func (b *book) empty() bool {
	return len(b.bids) == 0 && len(b.asks) == 0 && len(b.stopsDown) == 0 && len(b.stopsUp) == 0 && b.expiring == 0
}

// insert puts o into list by the key and rank that at returns. ascending
// says which way the list is sorted; at equal keys the lower rank (the
// earlier order) stays nearer the end.
func insert(list []*order, o *order, at func(*order) (decimal.Decimal, uint64), ascending bool) []*order {
	key, rank := at(o)
	i, _ := slices.BinarySearchFunc(list, o, func(e *order, _ *order) int {
		ek, er := at(e)
		c := ek.Cmp(key)
		if !ascending {
			c = -c
		}
		if c != 0 {
			return c
		}
		if er > rank {
			return -1
		}
		return 1
	})
	return slices.Insert(list, i, o)
}

// remove takes o out of list, keeping the order of the rest.
func remove(list []*order, o *order) []*order {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == o {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			return list[:len(list)-1]
		}
	}
	return list
}

func limitKey(o *order) (decimal.Decimal, uint64) { return o.resting, o.limitRank }
func stopKey(o *order) (decimal.Decimal, uint64)  { return o.stop, o.stopRank }

// addLimit rests o at price p on its side of the book.
func (b *book) addLimit(o *order, p decimal.Decimal) {
	o.resting, o.inLimits = b.norm(p), true
	b.rank++
	o.limitRank = b.rank
	if o.Side == exchange.Buy {
		b.bids = insert(b.bids, o, limitKey, true)
	} else {
		b.asks = insert(b.asks, o, limitKey, false)
	}
}

// addStop makes o wait for the last trade to reach p in direction dir.
func (b *book) addStop(o *order, p decimal.Decimal, dir exchange.StopDirection) {
	o.stop, o.inStops, o.stopDirection = b.norm(p), true, dir
	b.rank++
	o.stopRank = b.rank
	if dir == exchange.StopDown {
		b.stopsDown = insert(b.stopsDown, o, stopKey, true)
	} else {
		b.stopsUp = insert(b.stopsUp, o, stopKey, false)
	}
}

// unlink takes o out of every list it is in; it stays counted in
// expiring, because a triggered stop rests again with the same end time.
func (b *book) unlink(o *order) {
	if o.inLimits {
		if o.Side == exchange.Buy {
			b.bids = remove(b.bids, o)
		} else {
			b.asks = remove(b.asks, o)
		}
		o.inLimits = false
	}
	if o.inStops {
		if o.stopDirection == exchange.StopDown {
			b.stopsDown = remove(b.stopsDown, o)
		} else {
			b.stopsUp = remove(b.stopsUp, o)
		}
		o.inStops = false
	}
}

// retire takes o, which has become terminal, off the book for good.
func (b *book) retire(o *order) {
	b.unlink(o)
	if o.expires {
		b.expiring--
		o.expires = false
	}
}

// watchExpiry counts o, a good-til-date order now working, for the expiry
// sweep.
func (b *book) watchExpiry(o *order) {
	if o.TimeInForce != exchange.GoodTilDate || o.expires {
		return
	}
	o.expires = true
	b.expiring++
	if end := o.EndTime.UnixNano(); b.expiring == 1 || end < b.nextExpiry {
		b.nextExpiry = end
	}
}

package sim

import (
	"errors"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// EditAlreadyQueued is Coinbase's edit failure reason for an edit of an
// order whose previous edit has not been applied yet (EDIT_QUEUED).
const EditAlreadyQueued = "ORDER_IS_ALREADY_BEING_REPLACED"

// queuing reports whether a new order of b waits off the book: the
// product is in auction mode, or every order waits Config.QueueFor.
func (x *Exchange) queuing(b *book) bool { return b.auction || x.queueFor > 0 }

// placeQueued accepts req as QUEUED: checked and holding its funds like
// an order that rests, but off the book until it is released (release).
// A market order holds what it would cost at the current price: a buy the
// taker cost of its size there (or its quote size and the taker fee), a
// sell its base size.
func (x *Exchange) placeQueued(b *book, req exchange.OrderRequest) (*order, error) {
	p := b.product
	var cur string
	var amount decimal.Decimal
	want := req.BaseSize
	switch req.Type {
	case exchange.Market:
		price, size, err := x.marketTerms(b, req)
		if err != nil {
			return nil, err
		}
		want = size
		switch {
		case req.Side == exchange.Sell:
			cur, amount = p.BaseCurrency, size
		case req.QuoteSize.IsPositive():
			cur, amount = p.QuoteCurrency, req.QuoteSize.Mul(x.takerCost)
		default:
			cur, amount = p.QuoteCurrency, price.Mul(size).Mul(x.takerCost)
		}
	default:
		cur, amount = x.holdFor(p, req.Side, req.LimitPrice, req.BaseSize)
	}
	if err := x.need(cur, amount); err != nil {
		return nil, err
	}
	o := x.newOrderAs(req, exchange.StatusQueued)
	o.want = want
	o.due = x.clk.Now().Add(x.queueFor)
	x.putHold(o, cur, amount)
	b.queued = append(b.queued, o)
	return o, nil
}

// releaseDue puts on the book the queued orders of b whose time has come
// (none while b is in auction mode) and applies the queued edits that are
// due, in the order they were accepted. Callers hold mu.
func (x *Exchange) releaseDue(b *book) {
	now := x.clk.Now()
	if !b.auction {
		for i := 0; i < len(b.queued); i++ {
			if o := b.queued[i]; !now.Before(o.due) {
				b.queued = slices.Delete(b.queued, i, i+1)
				i--
				x.release(b, o)
			}
		}
	}
	for i := 0; i < len(b.editing); i++ {
		o := b.editing[i]
		if o.Status == exchange.StatusOpen && o.editing != nil && now.Before(o.editDue) {
			continue
		}
		b.editing = slices.Delete(b.editing, i, i+1)
		i--
		x.applyQueuedEdit(b, o)
	}
}

// release puts a queued order on the book as if it were placed now: a
// market order takes the market (and fails without funds or liquidity
// there), a limit takes liquidity or rests (a post-only one that would
// take is cancelled), a stop the market has already passed triggers at
// once, a good-til-date order past its end expires.
func (x *Exchange) release(b *book, o *order) {
	o.Status = exchange.StatusOpen
	o.UpdatedAt = x.clk.Now()
	x.emit(o, nil)
	if o.TimeInForce == exchange.GoodTilDate && !o.EndTime.After(o.UpdatedAt) {
		x.end(b, o, exchange.StatusExpired)
		return
	}
	switch o.Type {
	case exchange.Market:
		x.releaseHold(o)
		price, size, err := x.marketTerms(b, o.OrderRequest)
		if err == nil {
			err = x.marketFunds(b.product, o.Side, price, size)
		}
		if rej := (*exchange.RejectError)(nil); errors.As(err, &rej) {
			o.RejectReason = rej.Reason
			x.end(b, o, exchange.StatusFailed)
			return
		}
		o.want = size
		x.execMarket(b, o, price, size)
	case exchange.Limit:
		limit := b.norm(o.LimitPrice)
		if (o.PostOnly || b.product.PostOnly) && b.marketable(o.Side, limit) {
			x.end(b, o, exchange.StatusCancelled)
			return
		}
		x.activate(b, o, limit)
	default:
		x.arm(b, o)
		if o.Status == exchange.StatusOpen && o.inStops && b.hasLast && stopReached(o, b.norm(b.last)) {
			x.trigger(b, o)
		}
	}
}

// stopReached reports whether the last trade last has reached o's stop.
func stopReached(o *order, last decimal.Decimal) bool {
	if o.stopDirection == exchange.StopDown {
		return last.Cmp(o.stop) <= 0
	}
	return last.Cmp(o.stop) >= 0
}

// dequeue takes a queued order off b's queue (it is being cancelled).
func (b *book) dequeue(o *order) {
	if i := slices.Index(b.queued, o); i >= 0 {
		b.queued = slices.Delete(b.queued, i, i+1)
	}
}

// queueEdit accepts a checked edit of o as EDIT_QUEUED: the order works on
// as it was (and may fill) until the edit is applied, Config.EditQueueFor
// later, at the first tick of its product from then on.
func (x *Exchange) queueEdit(b *book, o *order, edit exchange.OrderEdit) {
	o.editing = &edit
	o.editDue = x.clk.Now().Add(x.editQueueFor)
	o.UpdatedAt = x.clk.Now()
	b.editing = append(b.editing, o)
	x.emit(o, nil)
}

// applyQueuedEdit applies o's queued edit, checked again against the
// order as it is now: an order that has ended, triggered or filled past
// the new size, or that the funds no longer cover, keeps its old terms
// and is OPEN again (reported, so that the edit's end is seen).
func (x *Exchange) applyQueuedEdit(b *book, o *order) {
	edit := o.editing
	o.editing = nil
	if edit == nil || o.Status != exchange.StatusOpen {
		return
	}
	if x.applyEdit(b, o, *edit) != nil {
		o.UpdatedAt = x.clk.Now()
		x.emit(o, nil)
	}
}

// SetAuctionMode puts productID in auction mode (on) or takes it out
// (off), as Coinbase does a product that reopens after a halt: while on,
// every new order is accepted QUEUED and waits off the book; when it ends,
// the queued orders go on the book in the order they came (those still
// within Config.QueueFor wait out their time). It reports an unlisted
// product as an error wrapping exchange.ErrUnknownProduct.
func (x *Exchange) SetAuctionMode(productID string, on bool) error {
	x.mu.Lock()
	b := x.books[productID]
	if b == nil {
		x.mu.Unlock()
		return fmt.Errorf("auction mode of %q: %w", productID, exchange.ErrUnknownProduct)
	}
	b.auction = on
	if !on {
		x.releaseDue(b)
	}
	x.unlock()
	return nil
}

// AuctionMode reports whether productID is in auction mode.
func (x *Exchange) AuctionMode(productID string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	b := x.books[productID]
	return b != nil && b.auction
}

// queueTimes checks Config.QueueFor and Config.EditQueueFor.
func queueTimes(cfg Config) error {
	if cfg.QueueFor < 0 || cfg.EditQueueFor < 0 {
		return fmt.Errorf("sim: queue_for %s and edit_queue_for %s must not be negative", cfg.QueueFor, cfg.EditQueueFor)
	}
	return nil
}

// queueDue reports whether b has queued orders or edits for a tick to
// look at: on a book without any, that test is all the feature costs.
func (b *book) queueDue() bool { return len(b.queued) > 0 || len(b.editing) > 0 }

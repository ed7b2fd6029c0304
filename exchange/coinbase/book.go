package coinbase

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// Book is one product's level-2 order book built from l2_data: a
// snapshot, then updates whose quantity is the level's new absolute size,
// zero removing it. Prices and sizes are kept as int64 mantissas with one
// scale per book, rather than decimals, because a map or sort keyed by
// decimal.Decimal costs an allocation and a big.Int comparison per
// update; the scale grows when a finer price arrives. Each side is a
// sorted slice with the best level last, so that the frequent changes
// near the top of the book move few elements. Not safe for concurrent
// use: the connection goroutine that applies updates owns it.
type Book struct {
	ProductID string
	pscale    int32
	qscale    int32
	bids      []bookLevel // ascending price: best bid last
	asks      []bookLevel // descending price: best ask last
}

type bookLevel struct {
	price, qty int64
}

// errBookRange reports a price or size that does not fit the book's
// int64 representation; the feed resynchronizes the book.
var errBookRange = errors.New("order book: value out of range")

// NewBook returns an empty book.
func NewBook(productID string) *Book { return &Book{ProductID: productID} }

// Reset empties the book, as before a snapshot.
func (b *Book) Reset() { b.bids, b.asks = b.bids[:0], b.asks[:0] }

// Len returns the number of bid and ask levels.
func (b *Book) Len() (bids, asks int) { return len(b.bids), len(b.asks) }

// Apply sets the size of one level; a zero size removes it.
func (b *Book) Apply(bid bool, price, qty decimal.Decimal) error {
	p, ok1 := fixedFromDecimal(price)
	q, ok2 := fixedFromDecimal(qty)
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: %s x %s", errBookRange, price, qty)
	}
	return b.apply(bid, p, q)
}

// ApplyString is Apply for the strings of an l2_data update.
func (b *Book) ApplyString(bid bool, price, qty string) error {
	p, err := fixedString(price)
	if err != nil {
		return err
	}
	q, err := fixedString(qty)
	if err != nil {
		return err
	}
	return b.apply(bid, p, q)
}

func fixedString(s string) (fixed, error) {
	if f, ok := parseFixed([]byte(s)); ok {
		return f, nil
	}
	d, err := parseDecString(s)
	if err != nil {
		return fixed{}, err
	}
	f, ok := fixedFromDecimal(d)
	if !ok {
		return fixed{}, fmt.Errorf("%w: %s", errBookRange, s)
	}
	return f, nil
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// scaleTo expresses v with scale decimals; ok is false on overflow.
func scaleTo(v fixed, scale int32) (int64, bool) {
	d := scale - v.scale
	if d == 0 {
		return v.m, true
	}
	if d < 0 {
		// Fewer decimals than the value has: only exact if the digits
		// dropped are zeros.
		div := pow10[-d]
		if v.m%div != 0 {
			return 0, false
		}
		return v.m / div, true
	}
	if int(d) >= len(pow10) {
		return 0, false
	}
	m := pow10[d]
	r := v.m * m
	if v.m != 0 && (r/m != v.m) {
		return 0, false
	}
	return r, true
}

// normalize drops trailing zeros beyond what is needed, so that "2.00000000"
// does not force a finer scale than "2".
func normalize(v fixed) fixed {
	for v.scale > 0 && v.m%10 == 0 {
		v.m /= 10
		v.scale--
	}
	return v
}

func (b *Book) apply(bid bool, p, q fixed) error {
	if p.m < 0 || q.m < 0 {
		return fmt.Errorf("order book %s: negative price or size", b.ProductID)
	}
	p, q = normalize(p), normalize(q)
	if p.scale > b.pscale {
		if err := b.rescale(p.scale, true); err != nil {
			return err
		}
	}
	if q.scale > b.qscale {
		if err := b.rescale(q.scale, false); err != nil {
			return err
		}
	}
	price, ok1 := scaleTo(p, b.pscale)
	qty, ok2 := scaleTo(q, b.qscale)
	if !ok1 || !ok2 {
		return errBookRange
	}
	if bid {
		b.bids = set(b.bids, price, qty, func(a, x int64) bool { return a < x })
	} else {
		b.asks = set(b.asks, price, qty, func(a, x int64) bool { return a > x })
	}
	return nil
}

// set updates a side kept sorted by before (ascending for bids,
// descending for asks). Updates cluster at the best level, the end of
// the slice, so the search starts with a check there.
func set(levels []bookLevel, price, qty int64, before func(a, x int64) bool) []bookLevel {
	n := len(levels)
	var i int
	if n == 0 || before(levels[n-1].price, price) {
		i = n
	} else {
		lo, hi := 0, n
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if before(levels[mid].price, price) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		i = lo
	}
	if i < n && levels[i].price == price {
		if qty == 0 {
			return append(levels[:i], levels[i+1:]...)
		}
		levels[i].qty = qty
		return levels
	}
	if qty == 0 {
		return levels
	}
	levels = append(levels, bookLevel{})
	copy(levels[i+1:], levels[i:])
	levels[i] = bookLevel{price, qty}
	return levels
}

// rescale moves every price (or size) to a finer scale.
func (b *Book) rescale(scale int32, prices bool) error {
	old := b.qscale
	if prices {
		old = b.pscale
	}
	for _, side := range [][]bookLevel{b.bids, b.asks} {
		for i := range side {
			v := &side[i].qty
			if prices {
				v = &side[i].price
			}
			r, ok := scaleTo(fixed{*v, old}, scale)
			if !ok {
				return fmt.Errorf("%w: order book %s cannot hold %d decimals", errBookRange, b.ProductID, scale)
			}
			*v = r
		}
	}
	if prices {
		b.pscale = scale
	} else {
		b.qscale = scale
	}
	return nil
}

// Best returns the best bid and ask with their sizes; ok is false while
// either side is empty.
func (b *Book) Best() (bid, bidSize, ask, askSize decimal.Decimal, ok bool) {
	if len(b.bids) == 0 || len(b.asks) == 0 {
		return
	}
	bb, ba := b.bids[len(b.bids)-1], b.asks[len(b.asks)-1]
	return decimal.New(bb.price, -b.pscale), decimal.New(bb.qty, -b.qscale),
		decimal.New(ba.price, -b.pscale), decimal.New(ba.qty, -b.qscale), true
}

// bestRaw returns the top of book as integers, to detect a change without
// building decimals.
func (b *Book) bestRaw() [4]int64 {
	var r [4]int64
	if n := len(b.bids); n > 0 {
		r[0], r[1] = b.bids[n-1].price, b.bids[n-1].qty
	}
	if n := len(b.asks); n > 0 {
		r[2], r[3] = b.asks[n-1].price, b.asks[n-1].qty
	}
	return r
}

// Levels returns up to depth levels of a side, best first.
func (b *Book) Levels(bid bool, depth int) []PriceLevel {
	side := b.asks
	if bid {
		side = b.bids
	}
	out := make([]PriceLevel, 0, min(depth, len(side)))
	for i := len(side) - 1; i >= 0 && len(out) < depth; i-- {
		out = append(out, PriceLevel{Price: D(decimal.New(side[i].price, -b.pscale)), Size: D(decimal.New(side[i].qty, -b.qscale))})
	}
	return out
}

// Crossed reports whether the best bid is at or above the best ask, which
// a correct book never shows.
func (b *Book) Crossed() bool {
	return len(b.bids) > 0 && len(b.asks) > 0 && b.bids[len(b.bids)-1].price >= b.asks[len(b.asks)-1].price
}

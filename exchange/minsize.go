package exchange

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// Dust reports whether size is too small for the venue to take in an
// order at price: rounded down to the base increment (as every order's
// size is, RoundSize), it is nothing, less than base_min_size, or, at a
// positive price, worth less than quote_min_size (Coinbase bounds an
// order's notional as well as its size). A zero price (none known yet)
// checks the base minimum alone.
//
// It is the one rule for "can this be ordered" that the exits, the
// strategies and the venues' own checks (Validate, the simulated
// exchange) share, so that nothing is sent that the venue refuses and
// nothing the venue would take is left unsold. Dust cannot be sold by
// any order: it stays in the position that holds it (docs/EXITS.md,
// Partial fills and dust).
func (p Product) Dust(size, price decimal.Decimal) bool {
	if dust, ok := p.dustScaled(size, price); ok {
		return dust
	}
	return p.belowMinimum(p.RoundSize(size), price) != nil
}

// dustScaled is Dust in int64 arithmetic, without allocating: strategies
// ask on every trade while they hold something (the decimal way costs a
// dozen allocations). ok is false when a value does not fit an int64 or
// the product has no base increment; Dust then takes the decimal way,
// which a property test holds this one to.
func (p Product) dustScaled(size, price decimal.Decimal) (dust, ok bool) {
	if size.Sign() <= 0 {
		return true, true
	}
	cs, okS := fastdecimal.CoefficientInt64(size)
	ci, okI := fastdecimal.CoefficientInt64(p.BaseIncrement)
	if !okS || !okI || ci <= 0 {
		return false, false
	}
	// Round down to the increment, at the smaller of the two exponents.
	es, ei := size.Exponent(), p.BaseIncrement.Exponent()
	e := min(es, ei)
	if cs, ok = fastdecimal.ScaleInt64(cs, int64(es)-int64(e)); !ok {
		return false, false
	}
	if ci, ok = fastdecimal.ScaleInt64(ci, int64(ei)-int64(e)); !ok {
		return false, false
	}
	rounded := cs / ci * ci
	if rounded == 0 {
		return true, true
	}
	if p.BaseMinSize.IsPositive() {
		c, ok := compareTo(rounded, int64(e), p.BaseMinSize)
		if !ok {
			return false, false
		}
		if c < 0 {
			return true, true
		}
	}
	if !p.QuoteMinSize.IsPositive() || price.Sign() <= 0 {
		return false, true
	}
	cp, okP := fastdecimal.CoefficientInt64(price)
	if !okP {
		return false, false
	}
	hi, worth := bits.Mul64(uint64(rounded), uint64(cp))
	if hi != 0 || worth > math.MaxInt64 {
		return false, false
	}
	c, ok := compareTo(int64(worth), int64(e)+int64(price.Exponent()), p.QuoteMinSize)
	return c < 0, ok
}

// compareTo compares m × 10^e with v in int64 arithmetic; ok is false
// when it cannot.
func compareTo(m, e int64, v decimal.Decimal) (int, bool) {
	cv, ok := fastdecimal.CoefficientInt64(v)
	if !ok || e < math.MinInt32 || e > math.MaxInt32 {
		return 0, false
	}
	return fastdecimal.CompareScaled(m, int32(e), cv, v.Exponent())
}

// belowMinimum returns the venue's refusal of an order of base size at
// price for being too small, or nil. size is on the base increment
// already (Validate refuses one that is not, Dust rounds it down).
func (p Product) belowMinimum(size, price decimal.Decimal) *RejectError {
	if !size.IsPositive() {
		return reject(ReasonBaseSizeTooSmall, "base size %s is not positive", size)
	}
	if p.BaseMinSize.IsPositive() && size.LessThan(p.BaseMinSize) {
		return reject(ReasonBaseSizeTooSmall, "base size %s is below the minimum %s", size, p.BaseMinSize)
	}
	if p.QuoteMinSize.IsPositive() && price.IsPositive() {
		if worth := size.Mul(price); worth.LessThan(p.QuoteMinSize) {
			return reject(ReasonQuoteSizeTooSmall, "base size %s at %s is worth %s %s, below the minimum %s",
				size, price, worth, p.QuoteCurrency, p.QuoteMinSize)
		}
	}
	return nil
}

// aboveMaximum returns the venue's refusal of an order of base size at
// price for being too large, or nil: above base_max_size, or, at a
// positive price, worth more than quote_max_size (Coinbase bounds an
// order's notional from above as well as from below).
func (p Product) aboveMaximum(size, price decimal.Decimal) *RejectError {
	if p.BaseMaxSize.IsPositive() && size.GreaterThan(p.BaseMaxSize) {
		return reject(ReasonBaseSizeTooLarge, "base size %s is above the maximum %s", size, p.BaseMaxSize)
	}
	if p.QuoteMaxSize.IsPositive() && price.IsPositive() {
		if worth := size.Mul(price); worth.GreaterThan(p.QuoteMaxSize) {
			return reject(ReasonQuoteSizeTooLarge, "base size %s at %s is worth %s %s, above the maximum %s",
				size, price, worth, p.QuoteCurrency, p.QuoteMaxSize)
		}
	}
	return nil
}

// CheckBounds returns the venue's refusal (a *RejectError) of an order
// of base size at price for being too small (Dust's rule, for a size
// already on the increment) or too large (base_max_size, and
// quote_max_size at price), or nil: for a venue that learns the price of
// a market order only when it arrives. Validate applies the same bounds
// at a limit order's own price.
func (p Product) CheckBounds(size, price decimal.Decimal) error {
	// Not `return p.belowMinimum(...)`: a nil *RejectError in an error
	// is not a nil error.
	if err := p.belowMinimum(size, price); err != nil {
		return err
	}
	if err := p.aboveMaximum(size, price); err != nil {
		return err
	}
	return nil
}

// QuoteBuys returns what a market buy of quote buys at price: quote ÷
// price rounded down to the base increment, never worth more than quote;
// and the venue's refusal (a *RejectError) when that is no order's size:
// nothing or less than base_min_size (INVALID_QUOTE_SIZE_TOO_SMALL: it
// is the quote size that is too small), or more than base_max_size. The
// quote size's own bounds are Validate's. It is the one rule for a buy
// sized in quote that the simulated exchange fills by (at the price it
// takes) and the risk guard refuses by (at the price it values the
// entry at), so that the guard does not pass what the venue refuses.
func (p Product) QuoteBuys(quote, price decimal.Decimal) (decimal.Decimal, error) {
	if !price.IsPositive() {
		return decimal.Zero, reject(ReasonNoLiquidity, "no price to buy %s %s of %s at", quote, p.QuoteCurrency, p.BaseCurrency)
	}
	size := p.RoundSize(quote.Div(price))
	if size.Mul(price).GreaterThan(quote) { // Div rounds half up in its last digit
		size = size.Sub(p.BaseIncrement)
	}
	if p.Dust(size, decimal.Zero) {
		return size, reject(ReasonQuoteSizeTooSmall, "quote size %s buys %s %s at %s, below the minimum %s",
			quote, size, p.BaseCurrency, price, p.BaseMinSize)
	}
	if err := p.aboveMaximum(size, decimal.Zero); err != nil {
		return size, err
	}
	return size, nil
}

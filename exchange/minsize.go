package exchange

import "github.com/shopspring/decimal"

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
	return p.belowMinimum(p.RoundSize(size), price) != nil
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

// CheckMinimum returns the venue's refusal (a *RejectError) of an order
// of base size at price for being too small, or nil: Dust's rule for a
// size already on the increment, for a venue that learns the price of
// a market order only when it fills.
func (p Product) CheckMinimum(size, price decimal.Decimal) error {
	if err := p.belowMinimum(size, price); err != nil {
		return err
	}
	return nil
}

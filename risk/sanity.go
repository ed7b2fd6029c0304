package risk

import (
	"errors"
	"math/bits"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// sanity runs the checks every intent passes, exits included: the product
// details match, and the order fits the product's increments, bounds and
// flags as exchange.Product.Validate decides.
func sanity(in *Intent) (Decision, bool) {
	if in.Product.ID != in.ProductID {
		return rejectf(RuleInvalidOrder, "", in.ProductID, in.Product.ID,
			"intent for %q carries the details of product %q", in.ProductID, in.Product.ID), false
	}
	req := in.request()
	if in.ReduceOnly && (req.Type == exchange.StopLimit || req.Type == exchange.Bracket) && req.StopPrice.IsZero() {
		// An exit whose caller did not pass its stop price is checked as
		// the limit order it ends as, rather than refused for a field the
		// venue request does carry.
		req.Type = exchange.Limit
	}
	if provablyValid(&in.Product, &req) {
		return Decision{}, true
	}
	if err := in.Product.Validate(req); err != nil {
		var rej *exchange.RejectError
		value := ""
		if errors.As(err, &rej) {
			value = rej.Reason
		}
		return rejectf(RuleInvalidOrder, "", "", value, "%s %s %s: %s", in.Side, in.Type, in.ProductID, err), false
	}
	return Decision{}, true
}

// provablyValid reports, without allocating, that Validate would accept
// r. It covers the common entries (limit and market orders whose
// decimals have at most 18 digits); for anything else, or any doubt, it
// says false and the caller asks Validate, which stays the authority and
// gives the venue's failure reason. Validate's decimal Mod allocates about
// ten times per order, which made it most of a decision's latency; a
// property test holds this shortcut to Validate's answers.
func provablyValid(p *exchange.Product, r *exchange.OrderRequest) bool {
	if r.ProductID != p.ID || !r.Side.Valid() || p.TradingDisabled || p.CancelOnly {
		return false
	}
	switch r.Type {
	case exchange.Market:
		if p.LimitOnly || r.BaseSize.IsZero() == r.QuoteSize.IsZero() || (r.Side == exchange.Sell && r.QuoteSize.IsPositive()) {
			return false
		}
	case exchange.Limit:
		if !r.BaseSize.IsPositive() || !r.LimitPrice.IsPositive() {
			return false
		}
		step := p.PriceIncrement
		if !step.IsPositive() {
			step = p.QuoteIncrement
		}
		if !multipleOf(r.LimitPrice, step) {
			return false
		}
	default:
		return false
	}
	if r.BaseSize.IsNegative() || r.QuoteSize.IsNegative() {
		return false
	}
	if r.BaseSize.IsPositive() && !within(r.BaseSize, p.BaseIncrement, p.BaseMinSize, p.BaseMaxSize) {
		return false
	}
	if r.Type == exchange.Limit && p.Dust(r.BaseSize, r.LimitPrice) {
		return false // a limit is worth its size at its price, and the venue bounds that too
	}
	if r.Type == exchange.Limit && p.QuoteMaxSize.IsPositive() && !worthAtMost(r.BaseSize, r.LimitPrice, p.QuoteMaxSize) {
		return false // from above as well (quote_max_size)
	}
	if r.QuoteSize.IsPositive() && !within(r.QuoteSize, p.QuoteIncrement, p.QuoteMinSize, p.QuoteMaxSize) {
		return false
	}
	return true
}

// worthAtMost reports that size x price is at most max, without
// allocating for the values of real orders; false also when it cannot
// tell cheaply. The worth is rounded up to units, so max must be a whole
// number of them for the comparison to be exact.
func worthAtMost(size, price, max decimal.Decimal) bool {
	if max.Exponent() < unitExp {
		return false
	}
	n := notionalUnits(size, price)
	return n != tooLarge && n <= toUnits(max)
}

// within reports that v is a multiple of step and inside [lo, hi], where
// a step or bound that is not positive does not apply.
func within(v, step, lo, hi decimal.Decimal) bool {
	if !multipleOf(v, step) {
		return false
	}
	if lo.IsPositive() {
		if c, ok := cmpSmall(v, lo); !ok || c < 0 {
			return false
		}
	}
	if hi.IsPositive() {
		if c, ok := cmpSmall(v, hi); !ok || c > 0 {
			return false
		}
	}
	return true
}

// multipleOf reports that v is an integer multiple of step (true for a
// step that is not positive); false also when it cannot tell cheaply.
func multipleOf(v, step decimal.Decimal) bool {
	if !step.IsPositive() {
		return true
	}
	a, b, ok := aligned(v, step)
	return ok && b != 0 && a%b == 0
}

// cmpSmall compares two non-negative decimals; ok is false when they do
// not fit the integer fast path.
func cmpSmall(x, y decimal.Decimal) (int, bool) {
	a, b, ok := aligned(x, y)
	switch {
	case !ok:
		return 0, false
	case a < b:
		return -1, true
	case a > b:
		return 1, true
	}
	return 0, true
}

// aligned returns the coefficients of two non-negative decimals brought to
// their common (smaller) exponent, if both fit in a uint64.
func aligned(x, y decimal.Decimal) (uint64, uint64, bool) {
	if x.NumDigits() > 18 || y.NumDigits() > 18 || x.Sign() < 0 || y.Sign() < 0 {
		return 0, 0, false
	}
	a, b := uint64(x.CoefficientInt64()), uint64(y.CoefficientInt64())
	ea, eb := x.Exponent(), y.Exponent()
	var ok bool
	if ea > eb {
		a, ok = scale10(a, int(ea-eb))
	} else {
		b, ok = scale10(b, int(eb-ea))
	}
	return a, b, ok
}

func scale10(v uint64, n int) (uint64, bool) {
	if n >= len(pow10) {
		return 0, v == 0
	}
	hi, lo := bits.Mul64(v, pow10[n])
	return lo, hi == 0
}

// request is the order the intent stands for, as exchange.Product.Validate
// checks it.
func (in *Intent) request() exchange.OrderRequest {
	return exchange.OrderRequest{
		ClientOrderID: in.ClientOrderID, ProductID: in.ProductID, Side: in.Side, Type: in.Type,
		BaseSize: in.BaseSize, QuoteSize: in.QuoteSize, LimitPrice: in.LimitPrice, StopPrice: in.StopPrice,
	}
}

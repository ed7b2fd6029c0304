package risk

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// Exposure is counted in units of 1e-8 of the quote currency in an int64,
// so that the hot path of Check compares and adds integers instead of
// allocating big.Int-backed decimals. Conversions round a notional up, so
// that the guard never under-counts exposure; 2^63 units is 92 billion
// quote, and anything that does not fit is treated as too large. Order
// fields themselves stay decimal: only the guard's bookkeeping uses units.
const unitExp = -8

// tooLarge stands for a notional that does not fit in units; it is above
// every limit.
const tooLarge = math.MaxInt64

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// scaleUp turns coef x 10^exp (coef >= 0) into units, rounding up.
func scaleUp(coef uint64, exp int32) int64 {
	shift := int(exp) - unitExp
	switch {
	case coef == 0:
		return 0
	case shift >= 0:
		if shift >= len(pow10) {
			return tooLarge
		}
		hi, lo := bits.Mul64(coef, pow10[shift])
		if hi != 0 || lo > math.MaxInt64 {
			return tooLarge
		}
		return int64(lo)
	case -shift >= len(pow10):
		return 1 // a positive amount far below one unit
	default:
		p := pow10[-shift]
		q := coef / p
		if coef%p != 0 {
			q++
		}
		return int64(q)
	}
}

// toUnits converts |v| to units, rounding up.
func toUnits(v decimal.Decimal) int64 {
	if v.NumDigits() > 18 {
		return slowUnits(v)
	}
	c := v.CoefficientInt64()
	if c < 0 {
		c = -c
	}
	return scaleUp(uint64(c), v.Exponent())
}

// notionalUnits returns |size x price| in units, rounding up, without
// allocating when both coefficients fit in 18 digits.
func notionalUnits(size, price decimal.Decimal) int64 {
	if size.NumDigits() > 18 || price.NumDigits() > 18 {
		return slowUnits(size.Mul(price))
	}
	a, b := size.CoefficientInt64(), price.CoefficientInt64()
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	exp := size.Exponent() + price.Exponent()
	if hi != 0 {
		return slowUnits(size.Mul(price))
	}
	return scaleUp(lo, exp)
}

// slowUnits is toUnits for values with long coefficients.
func slowUnits(v decimal.Decimal) int64 {
	u := v.Abs().Shift(-unitExp).Ceil()
	if u.GreaterThanOrEqual(decimal.NewFromInt(math.MaxInt64)) {
		return tooLarge
	}
	return u.IntPart()
}

// unitsString renders units as a decimal amount of quote currency.
func unitsString(u int64) string {
	if u == tooLarge {
		return "too large"
	}
	return decimal.New(u, unitExp).String()
}

// addUnits adds without wrapping: an overflow saturates at tooLarge.
func addUnits(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return tooLarge
	}
	return s
}

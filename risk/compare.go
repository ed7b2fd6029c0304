package risk

import (
	"math"

	"github.com/shopspring/decimal"
)

// cmpDecimal is a.Cmp(b) without the big.Int that Cmp allocates to
// rescale one side when the exponents differ, as they do between the
// mark value and the loss thresholds it is compared with on every tick of
// a held product. Coefficients of at most 18 digits are aligned and
// compared as int64s when the scaling fits; anything else takes Cmp.
func cmpDecimal(a, b decimal.Decimal) int {
	ea, eb := a.Exponent(), b.Exponent()
	if ea == eb || a.NumDigits() > 18 || b.NumDigits() > 18 {
		return a.Cmp(b)
	}
	ca, cb := a.CoefficientInt64(), b.CoefficientInt64()
	// Scale the side with the larger exponent down to the other's.
	if ea > eb {
		if !scaleInt64(&ca, int(ea-eb)) {
			return a.Cmp(b)
		}
	} else if !scaleInt64(&cb, int(eb-ea)) {
		return a.Cmp(b)
	}
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

// scaleInt64 multiplies *c by 10^shift and reports whether the product
// fits an int64; *c is unchanged when it does not.
func scaleInt64(c *int64, shift int) bool {
	if shift >= len(pow10)-1 {
		return false
	}
	p := int64(pow10[shift])
	if *c > math.MaxInt64/p || *c < -math.MaxInt64/p {
		return false
	}
	*c *= p
	return true
}

package exits

import (
	"math"

	"github.com/shopspring/decimal"
)

// pow10 holds 10^0 .. 10^18, the powers an int64 can hold.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// cmp compares two prices like a.Cmp(b) but without allocating when
// their exponents differ (decimal.Cmp then scales through a big.Int):
// the tick path compares every tick's price with the stop, the targets
// and the trailing extreme, whose exponents rarely match the feed's.
// Values whose coefficients do not fit an int64 after scaling take the
// exact, allocating path.
func cmp(a, b decimal.Decimal) int {
	ea, eb := a.Exponent(), b.Exponent()
	if ea == eb {
		return a.Cmp(b)
	}
	if a.NumDigits() > 18 || b.NumDigits() > 18 {
		return a.Cmp(b)
	}
	ca, cb := a.CoefficientInt64(), b.CoefficientInt64()
	if ea > eb {
		diff := int(ea - eb)
		if diff >= len(pow10) || !scaleFits(ca, pow10[diff]) {
			return a.Cmp(b)
		}
		ca *= pow10[diff]
	} else {
		diff := int(eb - ea)
		if diff >= len(pow10) || !scaleFits(cb, pow10[diff]) {
			return a.Cmp(b)
		}
		cb *= pow10[diff]
	}
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

func scaleFits(c, by int64) bool {
	if c < 0 {
		c = -c
	}
	return c <= math.MaxInt64/by
}

// Package fastdecimal holds the allocation-free fast paths over
// shopspring decimals that the per-tick and per-line code shares:
// comparing two values without the big.Int that Decimal.Cmp allocates to
// rescale one side, reading a coefficient without copying it, and making
// a Decimal around a big.Int the caller owns.
//
// Every function is exact: where a fast path does not apply (a
// coefficient beyond an int64, a rescaling that would overflow, a
// Decimal whose memory layout is not the one expected) it falls back to
// Decimal's own methods. Money stays decimal throughout.
package fastdecimal

import (
	"math/big"
	"reflect"
	"unsafe"

	"github.com/shopspring/decimal"
)

// Pow10 holds 10^0 to 10^18, every power of ten an int64 holds.
var Pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// maxBeforePow10 holds, for each shift in Pow10, the largest coefficient
// that can be multiplied by 10^shift without overflow: a table, since a
// division by a variable is among the slowest instructions, and the check
// runs on every tick and every candle.
var maxBeforePow10 = func() (m [len(Pow10)]int64) {
	for i, p := range Pow10 {
		m[i] = (1<<63 - 1) / p
	}
	return m
}()

// ScaleInt64 returns c × 10^shift for shift ≥ 0, and false when the
// product does not fit an int64.
func ScaleInt64(c int64, shift int64) (int64, bool) {
	if shift < 0 || shift >= int64(len(Pow10)) {
		return 0, false
	}
	if limit := maxBeforePow10[shift]; c > limit || c < -limit {
		return 0, false
	}
	return c * Pow10[shift], true
}

// Compare is a.Cmp(b) without allocating in the common case. Cmp rescales
// one side into a new big.Int whenever the exponents differ, as they do
// between a feed's prices and a stop level, a mark value and a loss
// threshold, or a file's trimmed and untrimmed prices (0.00161 beside
// 0.00162008). Here coefficients that fit an int64 are compared, aligned
// if need be, in int64 arithmetic; anything else is left to Cmp.
func Compare(a, b decimal.Decimal) int {
	ma, okA := CoefficientInt64(a)
	mb, okB := CoefficientInt64(b)
	if !okA || !okB {
		return a.Cmp(b)
	}
	c, ok := CompareScaled(ma, a.Exponent(), mb, b.Exponent())
	if !ok {
		return a.Cmp(b)
	}
	return c
}

// CompareScaled compares ma × 10^ea with mb × 10^eb in int64 arithmetic
// (-1, 0 or +1); ok is false when aligning them would overflow.
func CompareScaled(ma int64, ea int32, mb int64, eb int32) (c int, ok bool) {
	// Multiply the side with the larger exponent down to the other's.
	sign := 1
	if ea < eb {
		ma, mb, ea, eb, sign = mb, ma, eb, ea, -1
	}
	if shift := int64(ea) - int64(eb); shift > 0 {
		if ma, ok = ScaleInt64(ma, shift); !ok {
			return 0, false
		}
	}
	switch {
	case ma < mb:
		return -sign, true
	case ma > mb:
		return sign, true
	}
	return 0, true
}

// layout mirrors shopspring's Decimal: a *big.Int coefficient and an
// int32 exponent. layoutKnown checks the mirror against the real type
// at start; if a new version of the module changes it, every function
// here falls back to Decimal's own methods, correct and slower, and
// TestLayoutKnown fails so that someone looks.
type layout struct {
	value *big.Int
	exp   int32
}

var layoutKnown = layoutMatches()

// LayoutKnown reports whether Decimal is laid out as this package
// expects, that is whether CoefficientInt64 and Wrap take their fast
// paths.
func LayoutKnown() bool { return layoutKnown }

// layoutMatches reports whether decimal.Decimal is laid out as layout:
// same size, same field names, types and offsets.
func layoutMatches() bool {
	real, mirror := reflect.TypeFor[decimal.Decimal](), reflect.TypeFor[layout]()
	if real.Size() != mirror.Size() || real.Align() != mirror.Align() || real.NumField() != mirror.NumField() {
		return false
	}
	for i := 0; i < real.NumField(); i++ {
		r, m := real.Field(i), mirror.Field(i)
		if r.Name != m.Name || r.Type != m.Type || r.Offset != m.Offset {
			return false
		}
	}
	return true
}

// CoefficientInt64 returns d's coefficient when it fits an int64. It
// reads the big.Int in place, since Decimal's own accessors either copy
// it (Coefficient) or count its digits (NumDigits); ok is false, leaving
// the work to Decimal's methods, when the layout is not the expected one
// or d is the zero Decimal{}, which has no big.Int.
func CoefficientInt64(d decimal.Decimal) (int64, bool) {
	if !layoutKnown {
		return 0, false
	}
	v := (*layout)(unsafe.Pointer(&d)).value
	if v == nil || !v.IsInt64() {
		return 0, false
	}
	return v.Int64(), true
}

// Wrap returns the Decimal z × 10^exp that holds z itself, where every
// constructor of package decimal allocates a big.Int of its own; ok is
// false when the layout is not the expected one (the caller then uses
// decimal.NewFromBigInt). The caller gives z up: Decimal treats its
// coefficient as immutable, and nothing may change z afterwards.
func Wrap(z *big.Int, exp int32) (d decimal.Decimal, ok bool) {
	if !layoutKnown {
		return d, false
	}
	l := layout{value: z, exp: exp}
	return *(*decimal.Decimal)(unsafe.Pointer(&l)), true
}

// float64Pow10 holds 10^0 to 10^22, every power of ten a float64 holds
// exactly.
var float64Pow10 = func() (p [23]float64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// Float64 is d.InexactFloat64(), the float64 nearest d, for the floats
// bars and indicators read on every trade. InexactFloat64 takes the same
// path for a coefficient within ±2^53 and an exponent from -22 to 0 (a
// division of two exact floats, correctly rounded), after a sign test
// and a remainder that only its exactness report needs: here that path
// is taken directly, and anything else is left to InexactFloat64.
func Float64(d decimal.Decimal) float64 {
	if c, ok := CoefficientInt64(d); ok && c >= -1<<53 && c <= 1<<53 {
		if e := d.Exponent(); e <= 0 && e >= -22 {
			return float64(c) / float64Pow10[-e]
		}
	}
	return d.InexactFloat64()
}

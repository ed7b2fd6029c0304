package marketdata

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// maxFastDigits is the number of significant digits that always fit an
// int64 mantissa (10^18 < 2^63).
const maxFastDigits = 18

// maxNumberLength bounds the text of one number; real prices and sizes
// are a few dozen characters at most.
const maxNumberLength = 64

var errEmptyNumber = errors.New("empty number")

// parseDecimal parses ASCII decimal text such as "61837.63000000" or
// "-0.5" into a Decimal that keeps the text's scale, so that writing it
// back with formatDecimal yields the same bytes. The common case builds
// the value from an int64 mantissa (decimal.New), which allocates only
// the Decimal's own big.Int; decimal.NewFromString would also allocate a
// string and scratch space. Exponents ("1e-05", which JSON encoders emit
// for small floats) and mantissas beyond 18 digits take the slow path.
func parseDecimal(b []byte) (decimal.Decimal, error) {
	if len(b) == 0 {
		return decimal.Decimal{}, errEmptyNumber
	}
	if len(b) > maxNumberLength {
		// "0.<a million zeros>1" would parse, and then make every
		// comparison with it rescale to a million digits.
		return decimal.Decimal{}, fmt.Errorf("number too long %s", quote(b))
	}
	i := 0
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	var mant int64
	digits, scale := 0, 0
	seenDot, seenDigit := false, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
			if seenDot {
				scale++
			}
			if mant == 0 && c == '0' {
				// Leading zeros add no significant digit.
				continue
			}
			digits++
			if digits > maxFastDigits {
				return slowDecimal(b)
			}
			mant = mant*10 + int64(c-'0')
		case c == '.' && !seenDot:
			seenDot = true
		case (c == 'e' || c == 'E') && seenDigit:
			return slowDecimal(b)
		default:
			return decimal.Decimal{}, fmt.Errorf("invalid number %s", quote(b))
		}
	}
	if !seenDigit {
		return decimal.Decimal{}, fmt.Errorf("invalid number %s", quote(b))
	}
	if neg {
		mant = -mant
	}
	return decimal.New(mant, -int32(scale)), nil
}

// slowDecimal handles what the fast path does not: exponents and long
// mantissas. It rejects forms NewFromString would accept but a venue
// never sends, such as a bare exponent.
func slowDecimal(b []byte) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("invalid number %s", quote(b))
	}
	// A huge exponent would make every later operation on the value
	// allocate enormous numbers, and its text would not read back; no
	// price or size needs more than this.
	if e := d.Exponent(); e > 40 || e < -40 || len(appendDecimal(nil, d)) > maxNumberLength {
		return decimal.Decimal{}, fmt.Errorf("number out of range %s", quote(b))
	}
	return d, nil
}

// appendDecimal appends d's text with its own scale: a value parsed from
// "61837.63000000" is written back as "61837.63000000", not "61837.63".
func appendDecimal(dst []byte, d decimal.Decimal) []byte {
	if e := d.Exponent(); e < 0 {
		return append(dst, d.StringFixed(-e)...)
	}
	return append(dst, d.String()...)
}

// parseInt parses a non-negative base-10 integer that fits an int64.
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, errEmptyNumber
	}
	if len(b) > 19 {
		return 0, fmt.Errorf("integer too long %s", quote(b))
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid integer %s", quote(b))
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, fmt.Errorf("integer out of range %s", quote(b))
		}
		n = n*10 + d
	}
	return n, nil
}

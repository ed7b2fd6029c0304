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
	mant, exp, fast, err := scanDecimal(b)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if !fast {
		return slowDecimal(b)
	}
	return decimal.New(mant, exp), nil
}

// scanDecimal reads the text parseDecimal accepts without building a
// Decimal. fast is false, with no error, when the text needs the slow
// path (an exponent, or more than 18 significant digits); the slow path
// then validates the whole text.
//
// With 18 digits or fewer in all the mantissa cannot overflow, so the
// loops need not count significant digits (leading zeros) as they go;
// longer texts, rare, go to scanDecimalLong, which does.
func scanDecimal(b []byte) (mant int64, exp int32, fast bool, err error) {
	if len(b) == 0 {
		return 0, 0, false, errEmptyNumber
	}
	if len(b) > maxNumberLength {
		// "0.<a million zeros>1" would parse, and then make every
		// comparison with it rescale to a million digits.
		return 0, 0, false, fmt.Errorf("number too long %s", quote(b))
	}
	i := 0
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	intStart := i
	i, u := digitsAt(b, i, 0)
	digits := i - intStart // all digits, leading zeros included
	seenDigit := digits > 0
	scale := 0
	if i < len(b) && b[i] == '.' {
		i++
		fracStart := i
		i, u = digitsAt(b, i, u)
		scale = i - fracStart
		digits += scale
		seenDigit = seenDigit || scale > 0
	}
	if digits > maxFastDigits {
		// u may have wrapped; the careful scan counts what matters.
		return scanDecimalLong(b)
	}
	if slow, err := scanEnd(b, i, seenDigit); slow || err != nil {
		return 0, 0, false, err
	}
	mant = int64(u)
	if neg {
		mant = -mant
	}
	return mant, -int32(scale), true, nil
}

// scanEnd judges where a scan of b stopped, at i: the end of a number
// with digits is fine; an exponent after digits needs the slow path
// (slow); anything else is not a number.
func scanEnd(b []byte, i int, seenDigit bool) (slow bool, err error) {
	switch {
	case i < len(b) && (b[i] == 'e' || b[i] == 'E') && seenDigit:
		return true, nil
	case i < len(b) || !seenDigit:
		return false, fmt.Errorf("invalid number %s", quote(b))
	}
	return false, nil
}

// fiveNumbersAt reads the last five fields of a candle line, from the
// comma at i to the end of the line, each parsed as its end is found
// (numberAt): the shared tail of the CSV candle formats' quick lines. ok
// is false at anything unusual; the reader then cuts and parses the line,
// naming the fault.
func fiveNumbersAt(line []byte, i int) (m [5]int64, e [5]int32, ok bool) {
	for k := range m {
		if m[k], e[k], i, ok = numberAt(line, i+1); !ok || (k < 4 && (i == len(line) || line[i] != ',')) {
			return m, e, false
		}
	}
	return m, e, i == len(line)
}

// numberAt scans the number that starts at b[i] and ends at the first
// byte that cannot continue it, returning that end: a reader that
// knows which byte must follow a field (its separator, or the end of
// the line) parses the field in the same pass that finds its end,
// instead of cutting the line first. When the byte at end is the one
// expected, mant and exp are what scanDecimal returns for the field
// b[i:end]. ok is false for a field scanDecimal would not take on its
// fast path or would refuse: no digits, more than 18 digits, an
// exponent; the reader then cuts and parses the line as before, which
// reports any error.
func numberAt(b []byte, i int) (mant int64, exp int32, end int, ok bool) {
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	intStart := i
	i, u := digitsAt(b, i, 0)
	digits := i - intStart
	scale := 0
	if i < len(b) && b[i] == '.' {
		i++
		fracStart := i
		i, u = digitsAt(b, i, u)
		scale = i - fracStart
		digits += scale
	}
	if digits == 0 || digits > maxFastDigits || (i < len(b) && (b[i] == 'e' || b[i] == 'E')) {
		return 0, 0, i, false
	}
	mant = int64(u)
	if neg {
		mant = -mant
	}
	return mant, -int32(scale), i, true
}

// scanDecimalLong is scanDecimal for texts of more than 18 digits, which
// still take the fast path when leading zeros make up the excess
// ("0.0000000000000000012"): it counts significant digits one by one.
func scanDecimalLong(b []byte) (mant int64, exp int32, fast bool, err error) {
	i := 0
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	digits := 0 // significant digits so far: leading zeros add none
	intStart := i
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		c := int64(b[i] - '0')
		if mant == 0 && c == 0 {
			continue
		}
		digits++
		mant = mant*10 + c
	}
	seenDigit := i > intStart
	scale := 0
	if i < len(b) && b[i] == '.' {
		i++
		fracStart := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			c := int64(b[i] - '0')
			if mant != 0 || c != 0 {
				digits++
				mant = mant*10 + c
			}
		}
		scale = i - fracStart
		seenDigit = seenDigit || scale > 0
	}
	if digits > maxFastDigits {
		// The mantissa may have overflowed; the slow path rereads it.
		return 0, 0, false, nil
	}
	if slow, err := scanEnd(b, i, seenDigit); slow || err != nil {
		return 0, 0, false, err
	}
	if neg {
		mant = -mant
	}
	return mant, -int32(scale), true, nil
}

// digitsAt reads the run of ASCII digits in b from i into u (u*10^n plus
// their value, wrapping past 19 digits) and returns where the run ends.
func digitsAt(b []byte, i int, u uint64) (int, uint64) {
	for ; i < len(b); i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		u = u*10 + uint64(c)
	}
	return i, u
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
// Up to 19 digits cannot overflow a uint64, so the digits are summed
// without a check each and the range checked once at the end; an
// invalid byte is still reported before an overflow, as a check on
// each digit would have found them: only the 19th digit can overflow.
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, errEmptyNumber
	}
	if len(b) > 19 {
		return 0, fmt.Errorf("integer too long %s", quote(b))
	}
	var n uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, fmt.Errorf("invalid integer %s", quote(b))
		}
		n = n*10 + uint64(d)
	}
	if n > 1<<63-1 {
		return 0, fmt.Errorf("integer out of range %s", quote(b))
	}
	return int64(n), nil
}

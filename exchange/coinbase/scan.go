package coinbase

import (
	"time"
)

// scanner is a small JSON reader for the hot WebSocket messages. It is
// deliberately strict: on anything it does not handle exactly like
// encoding/json (escapes in kept strings, non-ASCII or upper-case keys
// that encoding/json would match case-insensitively, null, numbers where
// strings are expected) it sets bad, and the caller falls back to
// encoding/json. FuzzHotDecodeAgreesWithEncodingJSON holds it to that.
type scanner struct {
	b   []byte
	i   int
	bad bool
}

func (s *scanner) fail() { s.bad = true }

func (s *scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return // the common case: no whitespace between tokens
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// expect consumes c after optional whitespace.
func (s *scanner) expect(c byte) {
	s.ws()
	if s.bad || s.i >= len(s.b) || s.b[s.i] != c {
		s.fail()
		return
	}
	s.i++
}

// next advances to the next member of an object or element of an array
// that ends with end; first tracks whether a comma is due.
func (s *scanner) next(first *bool, end byte) bool {
	s.ws()
	if s.bad || s.i >= len(s.b) {
		s.fail()
		return false
	}
	if s.b[s.i] == end {
		s.i++
		return false
	}
	if !*first {
		if s.b[s.i] != ',' {
			s.fail()
			return false
		}
		s.i++
		s.ws()
	}
	*first = false
	return true
}

// key reads a member name and its colon. Names with escapes, upper-case
// or non-ASCII bytes are refused, because encoding/json matches names
// case-insensitively (with Unicode folding) and the fast path does not.
func (s *scanner) key() []byte {
	k := s.rawString(true)
	s.expect(':')
	return k
}

// str reads a string value that the caller keeps; it must be plain ASCII
// without escapes, so that its bytes are exactly what encoding/json
// would produce.
func (s *scanner) str() []byte { return s.rawString(false) }

func (s *scanner) rawString(isKey bool) []byte {
	s.ws()
	if s.bad || s.i >= len(s.b) || s.b[s.i] != '"' {
		s.fail()
		return nil
	}
	table := &plainValue
	if isKey {
		table = &plainKey
	}
	start := s.i + 1
	j := start
	for j < len(s.b) && table[s.b[j]] {
		j++
	}
	if j >= len(s.b) || s.b[j] != '"' {
		s.fail()
		return nil
	}
	s.i = j + 1
	return s.b[start:j]
}

// plainValue marks the bytes a kept string may hold as they are: ASCII,
// not a control character, quote or backslash. plainKey also excludes
// upper-case letters. plainSkip marks what a skipped string may hold
// without a closer look (any byte but quote, backslash and controls).
var plainValue, plainKey, plainSkip = func() (v, k, sk [256]bool) {
	for c := 0; c < 256; c++ {
		sk[c] = c >= 0x20 && c != '"' && c != '\\'
		v[c] = sk[c] && c < 0x80
		k[c] = v[c] && !(c >= 'A' && c <= 'Z')
	}
	return
}()

// skip reads and validates any JSON value.
func (s *scanner) skip(depth int) {
	s.ws()
	if s.bad || s.i >= len(s.b) || depth > 64 {
		s.fail()
		return
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.i++
		first := true
		for s.next(&first, '}') {
			s.skipString()
			s.expect(':')
			s.skip(depth + 1)
		}
	case c == '[':
		s.i++
		first := true
		for s.next(&first, ']') {
			s.skip(depth + 1)
		}
	case c == '"':
		s.skipString()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		s.number()
	default:
		s.fail()
	}
}

func (s *scanner) literal(lit string) {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		s.fail()
		return
	}
	s.i += len(lit)
}

// skipString validates a string with any escapes; invalid UTF-8 is
// accepted, as encoding/json does.
func (s *scanner) skipString() {
	s.ws()
	if s.bad || s.i >= len(s.b) || s.b[s.i] != '"' {
		s.fail()
		return
	}
	for j := s.i + 1; j < len(s.b); j++ {
		for j < len(s.b) && plainSkip[s.b[j]] {
			j++
		}
		if j >= len(s.b) {
			break
		}
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			return
		case c < 0x20:
			s.fail()
			return
		case c == '\\':
			j++
			if j >= len(s.b) {
				s.fail()
				return
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) {
					s.fail()
					return
				}
				for _, h := range s.b[j+1 : j+5] {
					if !isHex(h) {
						s.fail()
						return
					}
				}
				j += 4
			default:
				s.fail()
				return
			}
		}
	}
	s.fail()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number validates a JSON number and returns its bytes.
func (s *scanner) number() []byte {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		s.fail()
		return nil
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			s.fail()
			return nil
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			s.fail()
			return nil
		}
	}
	return s.b[start:s.i]
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// uint reads a bare non-negative integer of at most 18 digits.
func (s *scanner) uint() int64 {
	s.ws()
	if s.bad {
		return 0
	}
	num := s.number()
	if s.bad || len(num) == 0 || len(num) > 18 || num[0] == '-' {
		s.fail()
		return 0
	}
	var v int64
	for _, c := range num {
		if c < '0' || c > '9' {
			s.fail()
			return 0
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

// end checks that only whitespace follows the value.
func (s *scanner) end() {
	s.ws()
	if s.i != len(s.b) {
		s.fail()
	}
}

// fixed is a decimal as an integer mantissa and a count of decimals:
// 123.45 is {12345, 2}. The order book keys levels by it.
type fixed struct {
	m     int64
	scale int32
}

// parseFixed reads the plain decimal forms Coinbase sends ("123.45",
// "0.00000000", ".15", "-1") with at most 18 digits. Anything else is
// refused, and the caller goes through decimal.
func parseFixed(b []byte) (fixed, bool) {
	if len(b) > maxDecimalText {
		return fixed{}, false
	}
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var m int64
	var scale int32
	digits, dot := 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 18 {
				return fixed{}, false
			}
			if m != 0 || c != '0' {
				digits++
			}
			m = m*10 + int64(c-'0')
			if dot {
				scale++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return fixed{}, false
		}
	}
	// "", "-", ".", "1." and "-." are left to decimal's own rules.
	if len(b) == 0 || b[len(b)-1] == '.' || (neg && len(b) == 1) || (dot && scale == 0) {
		return fixed{}, false
	}
	if neg {
		m = -m
	}
	return fixed{m, scale}, true
}

// parseTimeFast reads "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z", the form Coinbase
// sends, and refuses everything else (which then goes to time.Parse).
func parseTimeFast(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(p []byte) (int, bool) {
		v := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if len(b) > 20 {
		frac := b[19 : len(b)-1]
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		v, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			v *= 10
		}
		nsec = v
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

package marketdata

import (
	"errors"
	"fmt"
)

// objectScanner walks the members of one JSON object without decoding
// it into maps or structs, so that reading a venue message allocates
// nothing. Values come back raw: a string's bytes between the quotes
// (escapes are left in place; no field this package reads has any), or
// the bytes of a number, literal, object or array. It checks the
// structure it walks, not the inside of skipped objects and arrays.
type objectScanner struct {
	b     []byte
	first bool
	done  bool // the closing brace was consumed
	err   error
}

// errJSON is the cause of every structural error the scanner finds.
var errJSON = errors.New("malformed JSON")

// start positions the scanner on the object at the start of b.
func (s *objectScanner) start(b []byte) bool {
	*s = objectScanner{b: skipSpace(b), first: true}
	if len(s.b) == 0 || s.b[0] != '{' {
		s.err = fmt.Errorf("%w: want an object, got %s", errJSON, quote(s.b))
		return false
	}
	s.b = s.b[1:]
	return true
}

// next returns the next member. ok is false at the end of the object or
// on an error, which is then in s.err.
func (s *objectScanner) next() (key, val []byte, isString, ok bool) {
	if s.done || s.err != nil {
		return nil, nil, false, false
	}
	s.b = skipSpace(s.b)
	if len(s.b) == 0 {
		s.err = fmt.Errorf("%w: object not closed", errJSON)
		return nil, nil, false, false
	}
	if s.b[0] == '}' {
		s.b = s.b[1:]
		s.done = true
		return nil, nil, false, false
	}
	if !s.first {
		if s.b[0] != ',' {
			s.err = fmt.Errorf("%w: want , or } at %s", errJSON, quote(s.b))
			return nil, nil, false, false
		}
		s.b = skipSpace(s.b[1:])
	}
	s.first = false
	if len(s.b) == 0 || s.b[0] != '"' {
		s.err = fmt.Errorf("%w: want a key at %s", errJSON, quote(s.b))
		return nil, nil, false, false
	}
	key, s.b, s.err = readString(s.b)
	if s.err != nil {
		return nil, nil, false, false
	}
	s.b = skipSpace(s.b)
	if len(s.b) == 0 || s.b[0] != ':' {
		s.err = fmt.Errorf("%w: want : after key %s", errJSON, quote(key))
		return nil, nil, false, false
	}
	val, isString, s.b, s.err = readValue(skipSpace(s.b[1:]))
	if s.err != nil {
		return nil, nil, false, false
	}
	return key, val, isString, true
}

// rest returns what follows the object once next has reported its end.
func (s *objectScanner) rest() []byte { return s.b }

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// readString reads the string starting at b[0] == '"' and returns its
// raw content and the rest after the closing quote.
func readString(b []byte) (content, rest []byte, err error) {
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return b[1:i], b[i+1:], nil
		}
	}
	return nil, nil, fmt.Errorf("%w: string not closed", errJSON)
}

// readValue reads one JSON value and returns its raw bytes.
func readValue(b []byte) (val []byte, isString bool, rest []byte, err error) {
	if len(b) == 0 {
		return nil, false, nil, fmt.Errorf("%w: missing value", errJSON)
	}
	switch b[0] {
	case '"':
		val, rest, err = readString(b)
		return val, true, rest, err
	case '{', '[':
		n, err := compositeLen(b)
		if err != nil {
			return nil, false, nil, err
		}
		return b[:n], false, b[n:], nil
	}
	i := 0
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	if i == 0 {
		return nil, false, nil, fmt.Errorf("%w: missing value at %s", errJSON, quote(b))
	}
	return b[:i], false, b[i:], nil
}

// compositeLen returns the length of the object or array at b[0],
// matching brackets outside strings.
func compositeLen(b []byte) (int, error) {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			_, rest, err := readString(b[i:])
			if err != nil {
				return 0, err
			}
			i = len(b) - len(rest) - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: %c not closed", errJSON, b[0])
}

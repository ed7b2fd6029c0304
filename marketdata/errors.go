package marketdata

import (
	"errors"
	"fmt"
)

// ParseError is a malformed line in a data file. It names the file (or
// the name the caller gave a stream), the 1-based line, and the field,
// so that a user can open the file at the right place.
type ParseError struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("parse %s line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("parse %s line %d: %s: %v", e.File, e.Line, e.Field, e.Err)
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrUnknownFormat is returned (wrapped) by Open when a file's content
// matches none of the formats this package reads.
var ErrUnknownFormat = errors.New("unrecognised market data format")

// errNoProduct is the cause when a format carries no product id and the
// caller gave no default: an empty ProductID would route ticks nowhere.
var errNoProduct = errors.New("the file names no product; give one with --product (e.g. --product BTC-USD)")

// quote returns b as a %q-quoted string cut to a length that keeps error
// messages readable when a whole line is malformed.
func quote(b []byte) string {
	const max = 48
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	return fmt.Sprintf("%q", b)
}

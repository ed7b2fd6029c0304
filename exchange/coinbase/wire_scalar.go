package coinbase

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Dec is a decimal amount as Coinbase writes it: a JSON string such as
// "0.01". Unset values arrive as "" or null and read as zero, so that one
// missing optional field does not fail a whole response; a bare JSON
// number (transaction summary volumes) is accepted too. It marshals as a
// string, the shape Coinbase sends and expects.
type Dec struct{ decimal.Decimal }

// D wraps a decimal.Decimal as a Dec.
func D(d decimal.Decimal) Dec { return Dec{d} }

// MustDec parses s or panics; it is meant for constants and tests.
func MustDec(s string) Dec { return Dec{decimal.RequireFromString(s)} }

// MarshalJSON writes the decimal as a JSON string.
func (d Dec) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, d.Decimal.String()), nil
}

// UnmarshalJSON reads a quoted or bare decimal; "" and null read as zero.
func (d *Dec) UnmarshalJSON(b []byte) error {
	v, err := parseDecJSON(b)
	if err != nil {
		return err
	}
	d.Decimal = v
	return nil
}

// parseDecJSON is the one definition of how a JSON decimal value reads;
// the fast decoders call it for every form they do not parse themselves,
// so both paths agree.
func parseDecJSON(b []byte) (decimal.Decimal, error) {
	if bytes.Equal(b, []byte("null")) {
		return decimal.Zero, nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return decimal.Zero, fmt.Errorf("decimal %.40q: %w", b, err)
		}
		return parseDecString(s)
	}
	return parseDecString(string(b))
}

// maxDecimalText and maxDecimalExponent bound what a decimal field may
// hold. No price or size needs more, and without a bound a hostile or
// broken peer could send "1e999999999", which decimal parses cheaply but
// turns into a gigabyte string or a slow division later.
const (
	maxDecimalText     = 64
	maxDecimalExponent = 64
)

func parseDecString(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, nil
	}
	if len(s) > maxDecimalText {
		return decimal.Zero, fmt.Errorf("decimal %.40q...: longer than %d characters", s, maxDecimalText)
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("decimal %.40q: %w", s, err)
	}
	if e := v.Exponent(); e > maxDecimalExponent || e < -maxDecimalExponent {
		return decimal.Zero, fmt.Errorf("decimal %.40q: exponent %d out of range", s, e)
	}
	return v, nil
}

// NumDec is a decimal that Coinbase writes as a bare JSON number (the
// volumes and fees of the transaction summary). It reads like Dec and
// marshals without quotes.
type NumDec struct{ Dec }

// MarshalJSON writes the decimal as a bare JSON number.
func (d NumDec) MarshalJSON() ([]byte, error) { return []byte(d.Decimal.String()), nil }

// Time is an RFC 3339 timestamp. Unset times arrive as "", null or
// "0001-01-01T00:00:00Z" and all read as the zero time.
type Time struct{ time.Time }

// MarshalJSON writes the time in RFC 3339 with nanoseconds, in UTC.
func (t Time) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, t.UTC().Format(time.RFC3339Nano)), nil
}

// UnmarshalJSON reads an RFC 3339 string; "" and null read as zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	v, err := parseTimeJSON(b)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func parseTimeJSON(b []byte) (time.Time, error) {
	if bytes.Equal(b, []byte("null")) {
		return time.Time{}, nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return time.Time{}, fmt.Errorf("time %.40q: not a JSON string", b)
	}
	return parseTimeString(s)
}

func parseTimeString(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %.40q: %w", s, err)
	}
	return v, nil
}

// FlexInt is an integer that Coinbase writes sometimes as a JSON number
// and sometimes as a string ("heartbeat_counter":"3049",
// "number_of_fills":"0"). "" and null read as zero.
type FlexInt int64

// UnmarshalJSON reads a bare or quoted integer.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) >= 2 && b[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("integer %.40q: not a JSON string", b)
		}
		s = u
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("integer %.40q: %w", s, err)
	}
	*n = FlexInt(v)
	return nil
}

// StrInt is an integer that Coinbase writes as a JSON string
// ("number_of_fills":"2", "heartbeat_counter":"3049", a candle's
// "start":"1688998200"). It reads a quoted or bare integer, as FlexInt
// does, and writes a string, the shape Coinbase sends and clients such as
// Coinbase's own SDK expect.
type StrInt int64

// UnmarshalJSON reads a bare or quoted integer; "" and null read as zero.
func (n *StrInt) UnmarshalJSON(b []byte) error { return (*FlexInt)(n).UnmarshalJSON(b) }

// MarshalJSON writes the integer as a JSON string.
func (n StrInt) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(n), 10)), nil
}

// FlexBool is a boolean that the user channel writes as a string
// ("post_only":"false"); a bare JSON boolean is accepted too.
type FlexBool bool

// UnmarshalJSON reads true/false bare or quoted; "" and null read false.
func (v *FlexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`, `"TRUE"`, `"True"`:
		*v = true
	case "false", `"false"`, `"FALSE"`, `"False"`, `""`, "null":
		*v = false
	default:
		return fmt.Errorf("boolean %.40q: want true or false", b)
	}
	return nil
}

// MarshalJSON writes the boolean as a string, as the user channel does.
func (v FlexBool) MarshalJSON() ([]byte, error) {
	if v {
		return []byte(`"true"`), nil
	}
	return []byte(`"false"`), nil
}

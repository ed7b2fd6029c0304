package marketdata

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseDecimalKeepsTheTextsScale(t *testing.T) {
	tests := []struct {
		in    string
		value string // decimal.String() of the result
		text  string // appendDecimal of the result: the text written back
	}{
		{"61837.63000000", "61837.63", "61837.63000000"},
		{"0.00162008", "0.00162008", "0.00162008"},
		{"46319.0", "46319", "46319.0"},
		{"3730", "3730", "3730"},
		{"-0.5", "-0.5", "-0.5"},
		{"000.000", "0", "0.000"},
		{".5", "0.5", "0.5"},
		{"5.", "5", "5"},
		{"123456789012345678", "123456789012345678", "123456789012345678"},
		{"1234567890123456789.5", "1234567890123456789.5", "1234567890123456789.5"}, // slow path: 20 digits
		{"1e-05", "0.00001", "0.00001"},
		{"2.5E3", "2500", "2500"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := parseDecimal([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != tt.value {
				t.Errorf("value %s, want %s", d.String(), tt.value)
			}
			if got := string(appendDecimal(nil, d)); got != tt.text {
				t.Errorf("written back as %q, want %q", got, tt.text)
			}
		})
	}
}

func TestParseDecimalRejectsWhatIsNotANumber(t *testing.T) {
	for _, in := range []string{"", "-", ".", "1.2.3", "1,5", "abc", "1 ", "e5", "1e", "0x10", "NaN", "1e999", "0." + strings.Repeat("0", 100) + "1"} {
		if d, err := parseDecimal([]byte(in)); err == nil {
			t.Errorf("parseDecimal(%q) = %s, want an error", in, d)
		}
	}
}

func TestParseIntRejectsOverflowAndSigns(t *testing.T) {
	if n, err := parseInt([]byte("9223372036854775807")); err != nil || n != 1<<63-1 {
		t.Errorf("max int64: %d, %v", n, err)
	}
	for _, in := range []string{"9223372036854775808", "-1", "+1", "", "1.0", "99999999999999999999"} {
		if _, err := parseInt([]byte(in)); err == nil {
			t.Errorf("parseInt(%q) succeeded", in)
		}
	}
}

// FuzzParseDecimal checks the fast parser against shopspring's own: any
// number both accept must have the same value.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"61837.63000000", "0.02000000", "0.00162008", "46319.0", "2300413.7295", "1e-05", "-3.5", "15993.5", "123456789012345678901234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDecimal([]byte(s))
		if err != nil {
			return
		}
		ref, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatalf("parseDecimal(%q) = %s but NewFromString fails: %v", s, d, err)
		}
		if !d.Equal(ref) {
			t.Fatalf("parseDecimal(%q) = %s, NewFromString = %s", s, d, ref)
		}
		// Through a cache that holds the value already, and one that
		// does not, the result is the same.
		var c decimalCache
		for i := 0; i < 2; i++ {
			cd, err := c.parse([]byte(s))
			if err != nil || !sameDecimal(cd, d) {
				t.Fatalf("cache parse %d of %q = %s, %v; parseDecimal = %s", i, s, cd, err, d)
			}
		}
		again, err := parseDecimal(appendDecimal(nil, d))
		if err != nil || !again.Equal(d) {
			t.Fatalf("%q written back as %q does not read back: %v", s, appendDecimal(nil, d), err)
		}
	})
}

// FuzzScanDecimalMatchesTheDigitByDigitScan checks scanDecimal against
// scanDecimalLong, which counts significant digits as it goes and was
// the only scan before: the same mantissa, scale, path and error for
// every text, and so the same Decimal and the same messages. The text
// is also read as a field of a line, followed by more bytes.
func FuzzScanDecimalMatchesTheDigitByDigitScan(f *testing.F) {
	for _, s := range []string{"61837.63000000", "0.02000000", "0.00162008", "46319.0", "2300413.7295", "1e-05", "-3.5", "15993.5",
		"123456789012345678", "1234567890123456789", "000000000000000000001.5", "0.0000000000000000012", "+.5", "-.", "12345678.87654321", "9.", "1x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) == 0 || len(s) > maxNumberLength {
			return
		}
		wm, we, wf, werr := scanDecimalLong([]byte(s))
		for _, pad := range []string{"", "9999999999", " 1234567", ".5e", "\xff\xfa\x00"} {
			buf := []byte(s + pad)
			m, e, fast, err := scanDecimal(buf[:len(s)])
			if m != wm || e != we || fast != wf || fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("scanDecimal(%q) padded %q = %d, %d, %v, %v; digit by digit %d, %d, %v, %v", s, pad, m, e, fast, err, wm, we, wf, werr)
			}
		}
	})
}

// parseInt checks the range once, after the digits: an invalid byte must
// still be reported as such, and a 19-digit overflow as out of range.
func TestParseIntNamesTheFaultAsTheDigitByDigitCheckDid(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{"9223372036854775807", ""},
		{"9223372036854775808", "integer out of range"},
		{"9999999999999999999", "integer out of range"},
		{"922337203685477580x", "invalid integer"},
		{"x999999999999999999", "invalid integer"},
		{"99999999999999999999", "integer too long"},
		{"0000000000000000001", ""},
	} {
		_, err := parseInt([]byte(tt.in))
		if (err == nil) != (tt.err == "") || (err != nil && !strings.HasPrefix(err.Error(), tt.err)) {
			t.Errorf("parseInt(%q) error %v, want %q", tt.in, err, tt.err)
		}
	}
}

// FuzzNumberAtMatchesScanDecimal checks numberAt, which finds a field's
// end as it parses, against scanDecimal on the field so delimited: when
// numberAt takes a number, scanDecimal takes the same on its fast path.
func FuzzNumberAtMatchesScanDecimal(f *testing.F) {
	for _, s := range []string{"61837.63000000 3.78826000", "46319.0,46385.0", "3642", "-0.5]", "1e-05,", "5.,", ".5,", "-.,", "0000000000000000000001,", "123456789012345678,", "1234567890123456789,", "1.2.3", "+7 "} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, start int) {
		b := []byte(s)
		if start < 0 || start > len(b) {
			return
		}
		mant, exp, end, ok := numberAt(b, start)
		if !ok {
			return
		}
		wm, we, fast, err := scanDecimal(b[start:end])
		if err != nil || !fast || wm != mant || we != exp {
			t.Fatalf("numberAt(%q, %d) = %d, %d up to %d; scanDecimal(%q) = %d, %d, %v, %v", s, start, mant, exp, end, b[start:end], wm, we, fast, err)
		}
	})
}

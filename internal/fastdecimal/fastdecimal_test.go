package fastdecimal

import (
	"math"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// A new version of shopspring/decimal that changes Decimal's fields
// turns every fast path off; this test fails so that layout is brought in
// line with the new type.
func TestLayoutKnown(t *testing.T) {
	if !LayoutKnown() {
		t.Fatal("decimal.Decimal is no longer laid out as fastdecimal.layout")
	}
}

func TestCompareAgreesWithCmp(t *testing.T) {
	tests := []struct{ a, b string }{
		{"0.00161", "0.00162008"},
		{"0.00162008", "0.00161"},
		{"1.0", "1.00"},
		{"3797.14", "3797.14"},
		{"-1", "-0.5"},
		{"0", "-0.000"},
		{"922337203685477580.7", "1"},    // a shift that would overflow int64
		{"1", "0.000000000000000000001"}, // a shift beyond 10^18
		{"123456789012345678901234", "1.5"},
	}
	for _, tt := range tests {
		a, _ := decimal.NewFromString(tt.a)
		b, _ := decimal.NewFromString(tt.b)
		if got, want := Compare(a, b), a.Cmp(b); got != want {
			t.Errorf("Compare(%s, %s) = %d, Cmp = %d", tt.a, tt.b, got, want)
		}
	}
	// The zero Decimal{} has no big.Int; it takes the fallback.
	for _, d := range []decimal.Decimal{decimal.New(-1, 0), decimal.Zero, decimal.New(0, -3), decimal.New(1, -20)} {
		if got, want := Compare(decimal.Decimal{}, d), (decimal.Decimal{}).Cmp(d); got != want {
			t.Errorf("Compare(Decimal{}, %s) = %d, Cmp = %d", d, got, want)
		}
		if got, want := Compare(d, decimal.Decimal{}), d.Cmp(decimal.Decimal{}); got != want {
			t.Errorf("Compare(%s, Decimal{}) = %d, Cmp = %d", d, got, want)
		}
	}
	// Small mantissas take the int64 path, large ones the fallback.
	mant := rapid.OneOf(rapid.Int64(), rapid.Int64Range(-1e6, 1e6))
	rapid.Check(t, func(t *rapid.T) {
		a := decimal.New(mant.Draw(t, "ma"), rapid.Int32Range(-30, 10).Draw(t, "ea"))
		b := decimal.New(mant.Draw(t, "mb"), rapid.Int32Range(-30, 10).Draw(t, "eb"))
		if got, want := Compare(a, b), a.Cmp(b); got != want {
			t.Fatalf("Compare(%s, %s) = %d, Cmp = %d", a, b, got, want)
		}
	})
}

func TestScaleInt64(t *testing.T) {
	if got, ok := ScaleInt64(-922337203685477580, 1); !ok || got != -9223372036854775800 {
		t.Errorf("ScaleInt64(-922337203685477580, 1) = %d, %v", got, ok)
	}
	for _, c := range []struct {
		c, shift int64
	}{{922337203685477581, 1}, {1, 19}, {1, -1}, {-10, 18}} {
		if _, ok := ScaleInt64(c.c, c.shift); ok {
			t.Errorf("ScaleInt64(%d, %d) fits, want overflow", c.c, c.shift)
		}
	}
}

func TestCoefficientAndWrap(t *testing.T) {
	d := decimal.RequireFromString("-123.4500")
	if c, ok := CoefficientInt64(d); !ok || c != -1234500 {
		t.Errorf("CoefficientInt64(%s) = %d, %v", d, c, ok)
	}
	if _, ok := CoefficientInt64(decimal.RequireFromString("123456789012345678901234567890")); ok {
		t.Error("a 30-digit coefficient fits an int64")
	}
	w, ok := Wrap(big.NewInt(-12345), -2)
	if !ok || !w.Equal(decimal.RequireFromString("-123.45")) || w.Exponent() != -2 {
		t.Errorf("Wrap(-12345, -2) = %s, %v", w, ok)
	}
}

func TestCompareAgreesWithCmpNearTheInt64Edge(t *testing.T) {
	tests := []struct{ a, b string }{
		{"100.5", "99.75"},
		{"100.50", "100.5"},
		{"98", "98.00"},
		{"0.00000001", "0.0000001"},
		{"-1.5", "1.5"},
		{"-1.5", "-1.50"},
		{"0", "0.00"},
		{"123456789012345678", "1.5"},           // 18 digits: scaling would overflow, exact path
		{"1234567890123456789012", "1.5"},       // beyond int64
		{"1.000000000000000000001", "1"},        // a long fraction
		{"92233720368.54775807", "92233720368"}, // near the int64 edge after scaling
	}
	for _, tc := range tests {
		a, b := decimal.RequireFromString(tc.a), decimal.RequireFromString(tc.b)
		if got, want := Compare(a, b), a.Cmp(b); got != want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.a, tc.b, got, want)
		}
		if got, want := Compare(b, a), b.Cmp(a); got != want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tc.b, tc.a, got, want)
		}
	}
}

func FuzzCompareAgreesWithCmp(f *testing.F) {
	f.Add(int64(10050), int32(-2), int64(9975), int32(-2))
	f.Add(int64(1), int32(10), int64(-7), int32(-12))
	f.Fuzz(func(t *testing.T, ca int64, ea int32, cb int64, eb int32) {
		if ea < -40 || ea > 40 || eb < -40 || eb > 40 {
			return
		}
		a, b := decimal.New(ca, ea), decimal.New(cb, eb)
		if got, want := Compare(a, b), a.Cmp(b); got != want {
			t.Fatalf("Compare(%s, %s) = %d, want %d", a, b, got, want)
		}
	})
}

// TestFloat64IsInexactFloat64: the same float64, bit for bit, on the
// fast path and around its edges (coefficients at ±2^53, exponents -22
// and -23, positive exponents, zero and the zero Decimal{}).
func TestFloat64IsInexactFloat64(t *testing.T) {
	for _, d := range []decimal.Decimal{{}, decimal.Zero, decimal.New(0, -3), decimal.New(1<<53, -22),
		decimal.New(1<<53+1, -1), decimal.New(-(1 << 53), -5), decimal.New(7, -23), decimal.New(3, 4),
		decimal.RequireFromString("46319.5"), decimal.RequireFromString("0.00162008"),
		decimal.RequireFromString("123456789012345678901234.5")} {
		if got, want := Float64(d), d.InexactFloat64(); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("Float64(%s) = %v, InexactFloat64 = %v", d, got, want)
		}
	}
	mant := rapid.OneOf(rapid.Int64(), rapid.Int64Range(-1<<54, 1<<54), rapid.Int64Range(-1e6, 1e6))
	rapid.Check(t, func(t *rapid.T) {
		d := decimal.New(mant.Draw(t, "m"), rapid.Int32Range(-30, 5).Draw(t, "e"))
		if got, want := Float64(d), d.InexactFloat64(); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("Float64(%s) = %v, InexactFloat64 = %v", d, got, want)
		}
	})
}

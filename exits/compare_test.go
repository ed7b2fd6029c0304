package exits

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestCmpAgreesWithDecimalCmp(t *testing.T) {
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
		if got, want := cmp(a, b), a.Cmp(b); got != want {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.a, tc.b, got, want)
		}
		if got, want := cmp(b, a), b.Cmp(a); got != want {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.b, tc.a, got, want)
		}
	}
}

func FuzzCmpAgreesWithDecimalCmp(f *testing.F) {
	f.Add(int64(10050), int32(-2), int64(9975), int32(-2))
	f.Add(int64(1), int32(10), int64(-7), int32(-12))
	f.Fuzz(func(t *testing.T, ca int64, ea int32, cb int64, eb int32) {
		if ea < -40 || ea > 40 || eb < -40 || eb > 40 {
			return
		}
		a, b := decimal.New(ca, ea), decimal.New(cb, eb)
		if got, want := cmp(a, b), a.Cmp(b); got != want {
			t.Fatalf("cmp(%s, %s) = %d, want %d", a, b, got, want)
		}
	})
}

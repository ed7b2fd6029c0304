package risk

import (
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

func TestNotionalUnitsRoundsUpExactly(t *testing.T) {
	cases := []struct {
		size, price string
		want        int64
	}{
		{"0.002", "50010.25", 10002050000},
		{"0.00000001", "50000.01", 50001}, // 0.0005000001 quote rounds up
		{"1", "0.000000001", 1},
		{"0", "100", 0},
		{"-2", "100", 20000000000},
		{"100000000000", "100000000000", tooLarge},
		{"12345678901234567890.5", "1", tooLarge},
		{"1.123456789123456789123", "1", 112345679},
	}
	for _, tc := range cases {
		if got := notionalUnits(d(tc.size), d(tc.price)); got != tc.want {
			t.Errorf("notionalUnits(%s, %s) = %d, want %d", tc.size, tc.price, got, tc.want)
		}
	}
}

// The fast integer path agrees with decimal arithmetic for any size and
// price a venue could send.
func TestNotionalUnitsMatchesDecimalArithmetic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		size := decimal.New(rapid.Int64Range(0, 1e15).Draw(t, "size"), -rapid.Int32Range(0, 12).Draw(t, "sizeExp"))
		price := decimal.New(rapid.Int64Range(0, 1e12).Draw(t, "price"), -rapid.Int32Range(0, 10).Draw(t, "priceExp"))
		want := slowUnits(size.Mul(price))
		if got := notionalUnits(size, price); got != want {
			t.Fatalf("notionalUnits(%s, %s) = %d, decimal says %d", size, price, got, want)
		}
		if got, want := toUnits(size), slowUnits(size); got != want {
			t.Fatalf("toUnits(%s) = %d, decimal says %d", size, got, want)
		}
	})
}

func TestAddUnitsSaturates(t *testing.T) {
	if got := addUnits(tooLarge-1, 5); got != tooLarge {
		t.Errorf("addUnits overflowed to %d", got)
	}
	if got := addUnits(5, -3); got != 2 {
		t.Errorf("addUnits(5, -3) = %d", got)
	}
}

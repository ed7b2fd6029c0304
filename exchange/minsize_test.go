package exchange

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// TestDustRoundsDownThenComparesWithTheMinimums: a size is rounded down
// to the base increment first, as every order's size is, and only then
// compared with base_min_size and, at a known price, with
// quote_min_size; what Dust calls placeable, Validate accepts.
func TestDustRoundsDownThenComparesWithTheMinimums(t *testing.T) {
	for _, c := range []struct {
		name, size, price string
		dust              bool
	}{
		{"nothing", "0", "60000", true},
		{"negative", "-0.001", "60000", true},
		{"one increment below the base minimum", "0.00001599", "0", true},
		{"rounds down below the base minimum", "0.000015999", "0", true},
		{"at the base minimum, no price known", "0.000016", "0", false},
		{"above the minimum once rounded", "0.0000160001", "0", false},
		{"at the base minimum, worth 0.96 at 60,000", "0.000016", "60000", true},
		{"at the base minimum, worth 1 at 62,500", "0.000016", "62500", false},
		{"worth 1 only before rounding", "0.0000166669", "60000", true},
		{"a lot", "0.01", "60000", false},
	} {
		size, price := d(c.size), d(c.price)
		if got := btcUSD.Dust(size, price); got != c.dust {
			t.Errorf("%s: Dust(%s, %s) = %v, want %v", c.name, c.size, c.price, got, c.dust)
		}
		if c.dust || !price.IsPositive() {
			continue
		}
		req := OrderRequest{ProductID: "BTC-USD", Side: Sell, Type: Limit, BaseSize: btcUSD.RoundSize(size), LimitPrice: price}
		if err := btcUSD.Validate(req); err != nil {
			t.Errorf("%s: placeable by Dust, refused by Validate: %v", c.name, err)
		}
	}
}

// TestCheckBoundsNamesTheBoundMissed: the refusal carries Coinbase's
// reason for the minimum or maximum the order misses.
func TestCheckBoundsNamesTheBoundMissed(t *testing.T) {
	for _, c := range []struct{ size, price, reason string }{
		{"0.00001", "60000", ReasonBaseSizeTooSmall},
		{"0.00002", "40000", ReasonQuoteSizeTooSmall},
		{"0.00002", "50000", ""},
		{"2600", "19230.76", ""},                      // worth 49,999,976
		{"2600", "19230.77", ReasonQuoteSizeTooLarge}, // worth 50,000,002, over quote_max_size
		{"2600.00000001", "1", ReasonBaseSizeTooLarge},
	} {
		err := btcUSD.CheckBounds(d(c.size), d(c.price))
		var rej *RejectError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s at %s: %v, want accepted", c.size, c.price, err)
		case c.reason != "" && (!errors.As(err, &rej) || rej.Reason != c.reason):
			t.Errorf("%s at %s: %v, want %s", c.size, c.price, err, c.reason)
		}
	}
	if err := btcUSD.CheckBounds(decimal.Zero, d("60000")); err == nil {
		t.Error("a zero size passed the minimum")
	}
}

// TestDustTakesTheSameDecisionWithoutAllocating: the int64 way Dust
// takes for values that fit decides as the decimal way (round down, then
// compare) for any size, price, increment and minimums, and allocates
// nothing for a real product's values.
func TestDustTakesTheSameDecisionWithoutAllocating(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dec := func(name string, lo int64) decimal.Decimal {
			return decimal.New(rapid.Int64Range(lo, 1_000_000_000).Draw(rt, name), int32(rapid.IntRange(-12, 6).Draw(rt, name+"_exp")))
		}
		p := Product{ID: "X-Y", BaseIncrement: dec("increment", 1), BaseMinSize: dec("base_min", 0), QuoteMinSize: dec("quote_min", 0)}
		size, price := dec("size", -10), dec("price", 0)
		want := p.belowMinimum(p.RoundSize(size), price) != nil
		if got := p.Dust(size, price); got != want {
			rt.Fatalf("Dust(%s, %s) = %v, the decimal way %v; product %+v", size, price, got, want, p)
		}
	})
	size, price := d("0.01"), d("60000.01")
	if n := testing.AllocsPerRun(100, func() { btcUSD.Dust(size, price) }); n != 0 {
		t.Errorf("Dust allocates %v times", n)
	}
}

// TestQuoteBuysRoundsDownAndNamesTheBoundMissed: a buy sized in quote
// buys quote ÷ price rounded down to the base increment, never worth
// more than its quote size, and is refused when that is no order's size.
func TestQuoteBuysRoundsDownAndNamesTheBoundMissed(t *testing.T) {
	for _, c := range []struct{ quote, price, size, reason string }{
		{"100", "60000", "0.00166666", ""},
		{"1", "62500", "0.000016", ""},                           // the base minimum, exactly
		{"1", "62500.01", "0.00001599", ReasonQuoteSizeTooSmall}, // one increment under it
		{"1", "0", "0", ReasonNoLiquidity},
		{"50000000", "19230.76", "2600.001248", ReasonBaseSizeTooLarge},
		{"50000000", "19230.77", "2599.999896", ""},
	} {
		size, err := btcUSD.QuoteBuys(d(c.quote), d(c.price))
		var rej *RejectError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s at %s: %v, want %s", c.quote, c.price, err, c.size)
		case c.reason != "" && (!errors.As(err, &rej) || rej.Reason != c.reason):
			t.Errorf("%s at %s: %v, want %s", c.quote, c.price, err, c.reason)
		case !size.Equal(d(c.size)):
			t.Errorf("%s at %s buys %s, want %s", c.quote, c.price, size, c.size)
		}
		if size.Mul(d(c.price)).GreaterThan(d(c.quote)) {
			t.Errorf("%s at %s buys %s, worth more than its quote size", c.quote, c.price, size)
		}
	}
}

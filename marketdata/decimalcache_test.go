package marketdata

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
	"pgregory.net/rapid"
)

// sameDecimal reports whether a and b are the same value with the same
// scale, so that both write back as the same text.
func sameDecimal(a, b decimal.Decimal) bool {
	return a.Equal(b) && a.Exponent() == b.Exponent() && string(appendDecimal(nil, a)) == string(appendDecimal(nil, b))
}

func TestDecimalCacheGivesWhatParseDecimalGives(t *testing.T) {
	// Repeats (hits), equal values of other scales (which must not hit),
	// zero, negatives, the slow path, and more distinct values than one
	// block holds.
	in := []string{"3701.23", "3797.14", "3642", "3797.14", "3797.140", "3701.23", "0", "0.000", "-0.5", "-0.5", "1e-05", "1234567890123456789.5", "000.100", ".1"}
	for i := 0; i < 3*decimalBlockSize; i++ {
		in = append(in, fmt.Sprintf("%d.%02d", 3000+i*7, i%100), fmt.Sprintf("-%d", i))
	}
	var c decimalCache
	var got []decimal.Decimal
	for _, s := range in {
		d, err := c.parse([]byte(s))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		want, err := parseDecimal([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if !sameDecimal(d, want) {
			t.Fatalf("%q: cache gave %s (exp %d), parseDecimal %s (exp %d)", s, d, d.Exponent(), want, want.Exponent())
		}
		got = append(got, d)
	}
	// Values handed out earlier are untouched by everything parsed since,
	// and arithmetic on them is ordinary.
	for i, s := range in {
		want, _ := parseDecimal([]byte(s))
		if !sameDecimal(got[i], want) {
			t.Errorf("%q changed to %s after later parses", s, got[i])
		}
		if sum := got[i].Add(got[i]).Sub(want); !sum.Equal(want) {
			t.Errorf("%q: d+d-d = %s", s, sum)
		}
	}
}

func TestDecimalCacheRejectsWhatParseDecimalRejects(t *testing.T) {
	var c decimalCache
	for _, in := range []string{"", "-", ".", "1.2.3", "1,5", "abc", "1 ", "e5", "1e", "NaN", "1e999"} {
		if d, err := c.parse([]byte(in)); err == nil {
			t.Errorf("parse(%q) = %s, want an error", in, d)
		}
	}
}

// checkOHLCInt64 must widen exactly as checkOHLCCmp does, down to which
// of two equal values of different scales it keeps, or decline.
func TestCheckOHLCInt64AgreesWithCmp(t *testing.T) {
	check := func(t interface{ Fatalf(string, ...any) }, c exchange.Candle) {
		fast, slow := c, c
		widened, ok := checkOHLCInt64(&fast)
		if !ok {
			if fast != c {
				t.Fatalf("%v: declined but changed the candle", c)
			}
			return
		}
		want := checkOHLCCmp(&slow)
		if widened != want || !sameDecimal(fast.High, slow.High) || !sameDecimal(fast.Low, slow.Low) {
			t.Fatalf("%v: int64 widened %v to high %s low %s; Cmp widened %v to high %s low %s", c, widened, fast.High, fast.Low, want, slow.High, slow.Low)
		}
	}
	// Every candle over a few small values at two scales, where equal
	// values of different scales ("1.0" and "1") are common.
	var small []decimal.Decimal
	for m := int64(-3); m <= 3; m++ {
		small = append(small, decimal.New(m, 0), decimal.New(m*10, -1))
	}
	for _, o := range small {
		for _, h := range small {
			for _, l := range small {
				for _, c := range small {
					check(t, exchange.Candle{Open: o, High: h, Low: l, Close: c})
				}
			}
		}
	}
	// Wide values reach the fallbacks: coefficients or alignments that
	// do not fit an int64.
	price := rapid.Custom(func(t *rapid.T) decimal.Decimal {
		m := rapid.OneOf(rapid.Int64Range(-1e6, 1e6), rapid.Int64()).Draw(t, "m")
		return decimal.New(m, rapid.Int32Range(-22, 3).Draw(t, "e"))
	})
	rapid.Check(t, func(t *rapid.T) {
		check(t, exchange.Candle{Open: price.Draw(t, "open"), High: price.Draw(t, "high"), Low: price.Draw(t, "low"), Close: price.Draw(t, "close")})
	})
}

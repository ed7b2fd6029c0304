package risk

import (
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
)

// genDecimal draws a decimal around the scales products use, zero and
// negatives included, sometimes with a coefficient too long for the fast
// path.
func genDecimal(t *rapid.T, label string) decimal.Decimal {
	switch rapid.IntRange(0, 9).Draw(t, label+"Kind") {
	case 0:
		return decimal.Zero
	case 1:
		return decimal.New(-rapid.Int64Range(1, 1000).Draw(t, label+"Neg"), -rapid.Int32Range(0, 4).Draw(t, label+"NegExp"))
	case 2:
		return d("1234567890123456789.123456789")
	}
	coef := rapid.SampledFrom([]int64{1, 2, 5, 10, 16, 25, 100, 123, 1000, 1500, 2600, 50000, 5000001, 123456789}).Draw(t, label+"Coef")
	return decimal.New(coef, rapid.Int32Range(-10, 4).Draw(t, label+"Exp"))
}

// The shortcut never accepts what Validate refuses: if Validate gains a
// rule that provablyValid does not know, this fails.
func TestProvablyValidNeverAcceptsWhatValidateRefuses(t *testing.T) {
	accepted := 0
	rapid.Check(t, func(t *rapid.T) {
		p := exchange.Product{
			ID:              "BTC-USD",
			BaseIncrement:   genDecimal(t, "baseInc"),
			QuoteIncrement:  genDecimal(t, "quoteInc"),
			PriceIncrement:  genDecimal(t, "priceInc"),
			BaseMinSize:     genDecimal(t, "baseMin"),
			BaseMaxSize:     genDecimal(t, "baseMax"),
			QuoteMinSize:    genDecimal(t, "quoteMin"),
			QuoteMaxSize:    genDecimal(t, "quoteMax"),
			TradingDisabled: rapid.IntRange(0, 9).Draw(t, "disabled") == 0,
			CancelOnly:      rapid.IntRange(0, 9).Draw(t, "cancelOnly") == 0,
			LimitOnly:       rapid.IntRange(0, 5).Draw(t, "limitOnly") == 0,
		}
		for range 100 {
			r := exchange.OrderRequest{
				ProductID:  rapid.SampledFrom([]string{"BTC-USD", "BTC-USD", "ETH-USD"}).Draw(t, "product"),
				Side:       rapid.SampledFrom([]exchange.Side{exchange.Buy, exchange.Sell, "HOLD"}).Draw(t, "side"),
				Type:       rapid.SampledFrom([]exchange.OrderType{exchange.Market, exchange.Limit, exchange.Limit, exchange.StopLimit, exchange.Bracket, "TWAP"}).Draw(t, "type"),
				BaseSize:   genOnStep(t, "base", p.BaseIncrement),
				QuoteSize:  genOnStep(t, "quote", p.QuoteIncrement),
				LimitPrice: genOnStep(t, "limit", p.PriceIncrement),
				StopPrice:  genDecimal(t, "stop"),
			}
			if provablyValid(&p, &r) {
				accepted++
				if err := p.Validate(r); err != nil {
					t.Fatalf("provablyValid accepted what Validate refuses: %v\nproduct %+v\nrequest %+v", err, p, r)
				}
			}
		}
	})
	if accepted < 5 {
		t.Errorf("only %d generated requests took the shortcut; the generator no longer exercises it", accepted)
	}
}

// genOnStep draws a decimal that is often a multiple of step.
func genOnStep(t *rapid.T, label string, step decimal.Decimal) decimal.Decimal {
	if step.IsPositive() && rapid.Bool().Draw(t, label+"OnStep") {
		return step.Mul(decimal.NewFromInt(rapid.Int64Range(0, 3000).Draw(t, label+"Steps")))
	}
	return genDecimal(t, label)
}

// The shortcut covers the orders strategies send, so that Validate's
// allocations stay off the common path.
func TestProvablyValidCoversCommonEntries(t *testing.T) {
	p := btcUSD()
	cases := []exchange.OrderRequest{
		{ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.002"), LimitPrice: d("50010.25")},
		{ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Market, QuoteSize: d("100.00")},
		{ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.00123456")},
		{ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("2600"), LimitPrice: d("1")},
	}
	for _, r := range cases {
		if !provablyValid(&p, &r) {
			t.Errorf("not covered: %+v", r)
		}
		if err := p.Validate(r); err != nil {
			t.Errorf("Validate refused a case meant to be valid: %v", err)
		}
	}
	allocs := testing.AllocsPerRun(100, func() { provablyValid(&p, &cases[0]) })
	if allocs != 0 {
		t.Errorf("provablyValid allocates %v times", allocs)
	}
}

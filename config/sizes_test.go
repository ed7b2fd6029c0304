package config

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// TestSizeWarningsNameTheStrategyAndTheBoundAnEntryMisses: an entry
// size the venue refuses in every order (under or over the product's
// bounds, a base size also by its worth at the price given) gives one
// warning naming the strategy, the field and the bound; a size within
// them gives none, and a base size without a price is held to its own
// bounds only.
func TestSizeWarningsNameTheStrategyAndTheBoundAnEntryMisses(t *testing.T) {
	dec := decimal.RequireFromString
	p := DefaultProducts()[0].Exchange() // BTC-USD: base 0.00001-3400, quote 1-150,000,000
	bid := func(string) decimal.Decimal { return dec("60000") }
	for _, c := range []struct {
		name  string
		size  Size
		price func(string) decimal.Decimal
		want  string
	}{
		{"quote under the minimum", Size{Quote: dec("0.99")}, nil, "strategies[1].size.quote 0.99 is less than BTC-USD's quote_min_size 1 USD"},
		{"quote at the minimum", Size{Quote: dec("1")}, nil, ""},
		{"quote over the maximum", Size{Quote: dec("150000000.01")}, nil, "strategies[1].size.quote 150000000.01 is more than BTC-USD's quote_max_size 150000000 USD"},
		{"base under the minimum", Size{Base: dec("0.000009")}, bid, "strategies[1].size.base 0.000009 is less than BTC-USD's base_min_size 0.00001 BTC"},
		{"base over the maximum", Size{Base: dec("3400.1")}, nil, "strategies[1].size.base 3400.1 is more than BTC-USD's base_max_size 3400 BTC"},
		{"base worth less than the minimum", Size{Base: dec("0.00001")}, bid, "strategies[1].size.base 0.00001 is worth 0.6 USD at 60000, less than BTC-USD's quote_min_size 1"},
		{"base worth less than the minimum, no price known", Size{Base: dec("0.00001")}, nil, ""},
		{"base worth more than the maximum", Size{Base: dec("3000")}, bid, "strategies[1].size.base 3000 is worth 180000000 USD at 60000, more than BTC-USD's quote_max_size 150000000"},
		{"base worth enough", Size{Base: dec("0.001")}, bid, ""},
	} {
		cfg := Default()
		cfg.Strategies = []Strategy{{Name: "other", Product: "ETH-USD", Size: Size{Quote: dec("0.01")}}, {Name: "dca1", Product: "BTC-USD", Size: c.size}}
		got := cfg.SizeWarnings(map[string]exchange.Product{p.ID: p}, c.price)
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%s: warnings %q, want none", c.name, got)
		case c.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], "strategy dca1: "+c.want)):
			t.Errorf("%s: warnings %q, want one: strategy dca1: %s", c.name, got, c.want)
		}
	}
}

package config

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// SizeWarnings warns of every strategy whose entry size (size.quote or
// size.base) is outside what its product takes in one order, so that the
// venue would refuse every entry: a quote size under quote_min_size or
// over quote_max_size, a base size under base_min_size or over
// base_max_size, or worth less than quote_min_size or more than
// quote_max_size at the product's price. products holds the products by
// id (a strategy whose product is not there is skipped); price returns a
// product's price to value a base size at (the best bid), or zero when
// none is known, when a base size is checked against its own bounds only.
// Each warning names the strategy and the config field.
func (c *Config) SizeWarnings(products map[string]exchange.Product, price func(productID string) decimal.Decimal) []string {
	var out []string
	for i, s := range c.Strategies {
		p, ok := products[s.Product]
		if !ok {
			continue
		}
		warn := func(field, format string, args ...any) {
			out = append(out, fmt.Sprintf("strategy %s: strategies[%d].size.%s %s; the venue would refuse every entry of this size",
				s.Name, i, field, fmt.Sprintf(format, args...)))
		}
		if q := s.Size.Quote; q.IsPositive() {
			switch {
			case p.QuoteMinSize.IsPositive() && q.LessThan(p.QuoteMinSize):
				warn("quote", "%s is less than %s's quote_min_size %s %s", q, p.ID, p.QuoteMinSize, p.QuoteCurrency)
			case p.QuoteMaxSize.IsPositive() && q.GreaterThan(p.QuoteMaxSize):
				warn("quote", "%s is more than %s's quote_max_size %s %s", q, p.ID, p.QuoteMaxSize, p.QuoteCurrency)
			}
		}
		b := s.Size.Base
		if !b.IsPositive() {
			continue
		}
		switch {
		case p.BaseMinSize.IsPositive() && b.LessThan(p.BaseMinSize):
			warn("base", "%s is less than %s's base_min_size %s %s", b, p.ID, p.BaseMinSize, p.BaseCurrency)
			continue
		case p.BaseMaxSize.IsPositive() && b.GreaterThan(p.BaseMaxSize):
			warn("base", "%s is more than %s's base_max_size %s %s", b, p.ID, p.BaseMaxSize, p.BaseCurrency)
			continue
		}
		var at decimal.Decimal
		if price != nil {
			at = price(p.ID)
		}
		if !at.IsPositive() {
			continue
		}
		switch worth := b.Mul(at); {
		case p.QuoteMinSize.IsPositive() && worth.LessThan(p.QuoteMinSize):
			warn("base", "%s is worth %s %s at %s, less than %s's quote_min_size %s", b, worth, p.QuoteCurrency, at, p.ID, p.QuoteMinSize)
		case p.QuoteMaxSize.IsPositive() && worth.GreaterThan(p.QuoteMaxSize):
			warn("base", "%s is worth %s %s at %s, more than %s's quote_max_size %s", b, worth, p.QuoteCurrency, at, p.ID, p.QuoteMaxSize)
		}
	}
	return out
}

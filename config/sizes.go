package config

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/strategy"
)

// Market is what SizeWarnings holds the strategies' order sizes to: the
// venue's products and, where known, a price of each.
type Market struct {
	// Products are the venue's products; a strategy whose product is not
	// among them is skipped.
	Products []exchange.Product
	// Price returns a product's price to value an order placed at the
	// market's price by, zero when none is known (a nil Price knows none):
	// such an order is then held to the bounds that need no price.
	Price func(productID string) decimal.Decimal
	// PriceFrom says in a warning where Price's prices come from, e.g.
	// "the best bid".
	PriceFrom string
}

// SizeWarnings warns of every kind of order a strategy places whose size
// the venue would refuse (exchange.Product's rules, the ones the
// simulated exchange and the risk guard apply): the instance's entries
// of size.quote or size.base at the market, and the orders a strategy's
// params size (strategy.OrderPlanner: dca's order_quote and safety buys,
// a grid's lot at its lowest and highest buying levels). A quote size
// under quote_min_size or over quote_max_size, a base size outside
// base_min_size..base_max_size, a base size worth, or a quote size
// buying, too little or too much at the order's price (its limit price
// when the params fix it, else the market's). Each warning names the
// file, the line, the field, the strategy and the bound.
func (c *Config) SizeWarnings(m Market) []string {
	var out []string
	for i := range c.Strategies {
		s := &c.Strategies[i]
		p, ok := productOf(m.Products, s.Product)
		if !ok {
			continue
		}
		var market decimal.Decimal
		if m.Price != nil {
			market = m.Price(p.ID)
		}
		for _, o := range plannedOrders(s) {
			field := fmt.Sprintf("strategies[%d].params.%s", i, o.Field)
			if o.Field == "" {
				field = fmt.Sprintf("strategies[%d].size.quote", i)
				if o.Size.Base.IsPositive() {
					field = fmt.Sprintf("strategies[%d].size.base", i)
				}
			}
			at, from := o.Price, fmt.Sprintf("at %s", o.Price)
			if !at.IsPositive() && market.IsPositive() {
				at, from = market, fmt.Sprintf("at %s", market)
				if m.PriceFrom != "" {
					from += " (" + m.PriceFrom + ")"
				}
			}
			if why := sizeRefusal(p, o, at, from); why != "" {
				out = append(out, fmt.Sprintf("%s%s: strategy %s's %s: %s; the venue would refuse them",
					c.placeOf(field), field, s.Name, o.What, why))
			}
		}
	}
	return out
}

// plannedOrders are the kinds of order s places: what its params list
// (strategy.OrderPlanner), else market entries of its size.
func plannedOrders(s *Strategy) []strategy.PlannedOrder {
	size := strategy.Size{Quote: s.Size.Quote, Base: s.Size.Base}
	if op, ok := s.parsed.(strategy.OrderPlanner); ok {
		return op.PlannedOrders(size)
	}
	return []strategy.PlannedOrder{{What: "entries", Type: strategy.Market, Size: size}}
}

func productOf(products []exchange.Product, id string) (exchange.Product, bool) {
	for _, p := range products {
		if p.ID == id {
			return p, true
		}
	}
	return exchange.Product{}, false
}

// sizeRefusal says why the venue refuses every order o of p at price at
// (zero: not known; from says where it came from), or "" when it takes
// them. The engine sizes orders so: a base size rounded down to the base
// increment; a quote size to the quote increment and, for a limit, turned
// into base at its price.
func sizeRefusal(p exchange.Product, o strategy.PlannedOrder, at decimal.Decimal, from string) string {
	if b := o.Size.Base; b.IsPositive() {
		size := p.RoundSize(b)
		switch reason := rejectReason(p.CheckBounds(size, at)); reason {
		case exchange.ReasonBaseSizeTooSmall:
			return fmt.Sprintf("%s %s is less than %s's base_min_size %s", b, p.BaseCurrency, p.ID, p.BaseMinSize)
		case exchange.ReasonBaseSizeTooLarge:
			return fmt.Sprintf("%s %s is more than %s's base_max_size %s", b, p.BaseCurrency, p.ID, p.BaseMaxSize)
		case exchange.ReasonQuoteSizeTooSmall, exchange.ReasonQuoteSizeTooLarge:
			return fmt.Sprintf("%s %s is worth %s %s %s, %s", b, p.BaseCurrency, size.Mul(at), p.QuoteCurrency, from, quoteBound(p, reason))
		}
		return ""
	}
	q := p.RoundQuoteSize(o.Size.Quote)
	if !q.IsPositive() {
		return ""
	}
	// A quote size is the order's worth, or (a limit, sent in base) at
	// most its worth: held to the quote bounds as a market buy of it is.
	asMarket := exchange.OrderRequest{ProductID: p.ID, Side: exchange.Buy, Type: exchange.Market, QuoteSize: q}
	switch reason := rejectReason(p.Validate(asMarket)); reason {
	case exchange.ReasonQuoteSizeTooSmall, exchange.ReasonQuoteSizeTooLarge:
		return fmt.Sprintf("%s %s is %s", q, p.QuoteCurrency, quoteBound(p, reason))
	}
	if !at.IsPositive() {
		return ""
	}
	size, err := p.QuoteBuys(q, at)
	if err == nil && o.Type == strategy.Limit {
		err = p.CheckBounds(size, at)
	}
	switch reason := rejectReason(err); reason {
	case exchange.ReasonQuoteSizeTooSmall: // nothing or under the base minimum
		if size.IsPositive() && !p.Dust(size, decimal.Zero) {
			return fmt.Sprintf("%s %s buys %s %s %s, worth %s, %s", q, p.QuoteCurrency, size, p.BaseCurrency, from, size.Mul(at), quoteBound(p, reason))
		}
		return fmt.Sprintf("%s %s buys %s %s %s, less than %s's base_min_size %s", q, p.QuoteCurrency, size, p.BaseCurrency, from, p.ID, p.BaseMinSize)
	case exchange.ReasonBaseSizeTooLarge:
		return fmt.Sprintf("%s %s buys %s %s %s, more than %s's base_max_size %s", q, p.QuoteCurrency, size, p.BaseCurrency, from, p.ID, p.BaseMaxSize)
	case exchange.ReasonQuoteSizeTooLarge:
		return fmt.Sprintf("%s %s buys %s %s %s, worth %s, %s", q, p.QuoteCurrency, size, p.BaseCurrency, from, size.Mul(at), quoteBound(p, reason))
	}
	return ""
}

// quoteBound names the quote bound reason misses.
func quoteBound(p exchange.Product, reason string) string {
	if reason == exchange.ReasonQuoteSizeTooLarge {
		return fmt.Sprintf("more than %s's quote_max_size %s %s", p.ID, p.QuoteMaxSize, p.QuoteCurrency)
	}
	return fmt.Sprintf("less than %s's quote_min_size %s %s", p.ID, p.QuoteMinSize, p.QuoteCurrency)
}

// rejectReason is the venue's failure reason in err, "" for nil.
func rejectReason(err error) string {
	var rej *exchange.RejectError
	if errors.As(err, &rej) {
		return rej.Reason
	}
	return ""
}

// placeOf is "file: line N: " for a field of the file c was loaded
// from, as a config problem names it; less when c does not know.
func (c *Config) placeOf(field string) string {
	place := ""
	if c.file != "" {
		place = c.file + ": "
	}
	if n := lineOf(c.lines, field); n > 0 {
		place += fmt.Sprintf("line %d: ", n)
	}
	return place
}

package risk

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
)

func TestOrderNotionalLimitsAtTheirBoundaries(t *testing.T) {
	tweak := func(c *Config) {
		c.Limits.MaxOrderNotional = d("1000")
		c.Limits.MinOrderNotional = d("10")
	}
	cases := []struct {
		name, size string
		rule       string // empty: allowed
	}{
		{"max one below", "9.999", ""},
		{"max at", "10", ""},
		{"max one above", "10.001", RuleMaxOrderNotional},
		{"min one below", "0.099", RuleMinOrderNotional},
		{"min at", "0.1", ""},
		{"min one above", "0.101", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tweak)
			in := buy("s1", "AAA-USD", tc.size, "100")
			if tc.rule == "" {
				f.allow(in)
				return
			}
			dec := f.refuse(in, tc.rule, "")
			if dec.Limit == "" || dec.Value == "" {
				t.Errorf("decision does not state its limit and value: %+v", dec)
			}
		})
	}
}

func TestMarketOrderNotionalUsesQuoteSizeOrEstimate(t *testing.T) {
	tweak := func(c *Config) { c.Limits.MaxOrderNotional = d("1000") }
	cases := []struct {
		name string
		in   Intent
		rule string
	}{
		{"quote size at the limit", Intent{QuoteSize: d("1000")}, ""},
		{"quote size above", Intent{QuoteSize: d("1000.01")}, RuleMaxOrderNotional},
		{"base size at the ask", Intent{BaseSize: d("9.9")}, ""},                          // 9.9 x ask 101 = 999.9
		{"base size above at the ask", Intent{BaseSize: d("9.91")}, RuleMaxOrderNotional}, // 1000.91
		{"estimate wins over the ask", Intent{BaseSize: d("10"), EstimatedPrice: d("100")}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tweak)
			f.quote("AAA-USD", "99", "101")
			in := tc.in
			in.Strategy, in.ProductID, in.Product = "s1", "AAA-USD", testProduct("AAA-USD")
			in.Side, in.Type = exchange.Buy, exchange.Market
			if tc.rule == "" {
				f.allow(in)
			} else {
				f.refuse(in, tc.rule, "")
			}
		})
	}
}

func TestPriceCollarAtItsBoundaries(t *testing.T) {
	tweak := func(c *Config) { c.Limits.PriceCollarPct = d("5") } // reference 100: 95 to 105
	cases := []struct {
		price string
		ok    bool
	}{
		{"104.99", true}, {"105", true}, {"105.01", false},
		{"95.01", true}, {"95", true}, {"94.99", false},
	}
	for _, tc := range cases {
		t.Run(tc.price, func(t *testing.T) {
			f := newFixture(t, tweak)
			in := buy("s1", "AAA-USD", "1", tc.price)
			if tc.ok {
				f.allow(in)
			} else {
				f.refuse(in, RulePriceCollar, "")
			}
		})
	}
}

func TestPriceCollarReferenceIsLastOrMidAsConfigured(t *testing.T) {
	cases := []struct {
		ref   string
		price string
		ok    bool
	}{
		{"last", "105", true}, // last 100
		{"last", "105.01", false},
		{"mid", "115.5", true}, // mid 110: up to 115.5
		{"mid", "115.51", false},
	}
	for _, tc := range cases {
		t.Run(tc.ref+" "+tc.price, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.Limits.PriceCollarPct = d("5")
				c.Limits.CollarReference = tc.ref
			})
			f.quote("AAA-USD", "109", "111")
			in := buy("s1", "AAA-USD", "1", tc.price)
			if tc.ok {
				f.allow(in)
			} else {
				f.refuse(in, RulePriceCollar, "")
			}
		})
	}
}

func TestMarketOrderIsCollaredOnlyWhenConfigured(t *testing.T) {
	cases := []struct {
		name     string
		collar   bool
		estimate string
		ok       bool
	}{
		{"off, far estimate", false, "200", true},
		{"on, estimate at the bound", true, "105", true},
		{"on, estimate beyond", true, "105.01", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.Limits.PriceCollarPct = d("5")
				c.Limits.CollarMarketOrders = tc.collar
			})
			in := Intent{Strategy: "s1", ProductID: "AAA-USD", Product: testProduct("AAA-USD"), Side: exchange.Buy,
				Type: exchange.Market, BaseSize: d("1"), EstimatedPrice: d(tc.estimate)}
			if tc.ok {
				f.allow(in)
			} else {
				f.refuse(in, RulePriceCollar, "")
			}
		})
	}
}

func TestCollarNeverBlocksAReduceOnlyStopLoss(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Limits.PriceCollarPct = d("1")
		c.Limits.CollarMarketOrders = true
	})
	f.hold("s1", "AAA-USD", "2", "100")
	f.trade("AAA-USD", "60") // a crash: the stop fills far from any collar
	sl := stopLoss("s1", "AAA-USD", "2")
	sl.EstimatedPrice = d("40")
	r := f.allow(sl)
	if !r.Exit() {
		t.Errorf("reservation of a reduce-only intent is not marked as an exit")
	}
	limitExit := Intent{Strategy: "s1", ProductID: "AAA-USD", Product: testProduct("AAA-USD"), Side: exchange.Sell,
		Type: exchange.Limit, BaseSize: d("2"), LimitPrice: d("200"), ReduceOnly: true}
	f.allow(limitExit)
}

func TestProductAllowListRefusesEntriesButNotExits(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "BBB-USD", "1", "100")
	f.g.cfg.AllowedProducts = []string{"AAA-USD"}
	f.g.allowed = map[string]bool{"AAA-USD": true}

	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.refuse(buy("s1", "BBB-USD", "1", "100"), RuleProductNotAllowed, "")
	f.allow(stopLoss("s1", "BBB-USD", "1"))
}

func TestSanityChecksApplyToEntriesAndExits(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "AAA-USD", "1", "100")
	cases := []struct {
		name   string
		in     Intent
		reason string
	}{
		{"size off the increment", buy("s1", "AAA-USD", "0.0015", "100"), exchange.ReasonInvalidSizePrecision},
		{"size below the minimum", buy("s1", "AAA-USD", "0.0001", "100"), exchange.ReasonInvalidSizePrecision},
		{"price off the tick", buy("s1", "AAA-USD", "1", "100.001"), exchange.ReasonInvalidPricePrecision},
		{"exit off the increment", stopLoss("s1", "AAA-USD", "0.0005"), exchange.ReasonInvalidSizePrecision},
		{"details of another product", func() Intent {
			in := buy("s1", "AAA-USD", "1", "100")
			in.Product = testProduct("BBB-USD")
			return in
		}(), "BBB-USD"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dec := f.refuse(tc.in, RuleInvalidOrder, "")
			if dec.Value != tc.reason {
				t.Errorf("value %q, want %q (%s)", dec.Value, tc.reason, dec.Reason)
			}
		})
	}
	small := testProduct("AAA-USD")
	small.BaseMinSize = d("0.01")
	in := stopLoss("s1", "AAA-USD", "0.005")
	in.Product = small
	if dec := f.refuse(in, RuleInvalidOrder, ""); dec.Value != exchange.ReasonBaseSizeTooSmall {
		t.Errorf("exit below the minimum size: value %q, want %q", dec.Value, exchange.ReasonBaseSizeTooSmall)
	}
}

// TestEntriesWorthMoreThanTheQuoteMaximumAreRefused: Coinbase bounds an
// order's worth by quote_max_size as well as by quote_min_size: a limit
// is worth its size at its price (exchange.Product.Validate), a market
// entry sized in base its size at the price it takes, the ask for a buy
// (exchange.Product.CheckBounds). Either is refused before it is sent,
// naming the venue's reason; until 2026-12-07 only a quote-sized order
// was held to quote_max_size.
func TestEntriesWorthMoreThanTheQuoteMaximumAreRefused(t *testing.T) {
	f := newFixture(t, nil)
	p := testProduct("AAA-USD")
	p.QuoteMaxSize = d("50000")
	limit := func(price string) Intent {
		in := buy("s1", "AAA-USD", "500", price)
		in.Product = p
		return in
	}
	market := Intent{Strategy: "s1", ProductID: "AAA-USD", Product: p, Side: exchange.Buy, Type: exchange.Market,
		BaseSize: d("500"), EstimatedPrice: d("100")}
	f.allow(limit("100")) // worth 50,000: the maximum
	f.allow(market)       // at the last trade, 100
	f.quote("AAA-USD", "99.99", "100.01")
	for _, in := range []Intent{limit("100.01"), market} { // the market order at the ask
		dec := f.refuse(in, RuleInvalidOrder, "")
		if dec.Value != exchange.ReasonQuoteSizeTooLarge || !strings.Contains(dec.Reason, "above the maximum 50000") {
			t.Errorf("%s: value %q (%s), want %s naming the maximum", in.Type, dec.Value, dec.Reason, exchange.ReasonQuoteSizeTooLarge)
		}
	}
}

// TestMarketEntriesTheVenueRefusesForTheirSizeAreRefused: a market
// entry's size is bounded where it takes the market, the best ask for a
// buy unless a later trade went through it (exchange.QuoteTaken), as the
// venue judges it: sized in base, it must be worth quote_min_size (and at
// most quote_max_size); sized in quote, it must buy base_min_size (and at
// most base_max_size). The guard refuses either before it is sent,
// naming the venue's reason, whatever its estimate (the last trade, which
// values its notional), with min_order_notional set to 0 ("only the
// product's minimums"). Until 2026-12-07 a base-sized entry worth less
// than quote_min_size passed and the venue refused it.
func TestMarketEntriesTheVenueRefusesForTheirSizeAreRefused(t *testing.T) {
	f := newFixture(t, nil)
	market := func(base, quote string) Intent {
		return Intent{Strategy: "s1", ProductID: "AAA-USD", Product: testProduct("AAA-USD"), Side: exchange.Buy,
			Type: exchange.Market, BaseSize: d(base), QuoteSize: d(quote), EstimatedPrice: d("100")}
	}
	for _, c := range []struct {
		name     string
		bid, ask string
		trade    string // a trade after the quote, if any
		in       Intent
		want     string // the venue's reason; "" passes
	}{
		{"base, worth 0.9999 at the ask", "99.98", "99.99", "", market("0.01", "0"), exchange.ReasonQuoteSizeTooSmall},
		{"base, worth 1 at the ask", "99.99", "100", "", market("0.01", "0"), ""},
		{"base, worth 1 at a trade through the ask", "99.98", "99.99", "100", market("0.01", "0"), ""},
		{"base, worth 0.9999 at a trade that left the ask", "99.98", "99.99", "99.98", market("0.01", "0"), exchange.ReasonQuoteSizeTooSmall},
		{"quote, buys 0.0009 at the ask", "1000", "1000.01", "", market("0", "1"), exchange.ReasonQuoteSizeTooSmall},
		{"quote, buys 0.001 at the ask", "999.99", "1000", "", market("0", "1"), ""},
		{"quote, buys more than the base maximum", "0.49", "0.5", "", market("0", "600000"), exchange.ReasonBaseSizeTooLarge},
	} {
		f.quote("AAA-USD", c.bid, c.ask)
		if c.trade != "" {
			f.trade("AAA-USD", c.trade)
		}
		if c.want == "" {
			f.g.Release(f.allow(c.in))
			continue
		}
		dec := f.refuse(c.in, RuleInvalidOrder, "")
		if dec.Value != c.want || !strings.Contains(dec.Reason, "minimum") && !strings.Contains(dec.Reason, "maximum") {
			t.Errorf("%s: value %q (%s), want %s naming the bound", c.name, dec.Value, dec.Reason, c.want)
		}
	}
}

// TestAnExitWorthLessThanTheQuoteMinimumPassesTheGuard: exits are never
// blocked by the guard; a sale too small for the venue is the exits'
// dust rule to handle (docs/EXITS.md, Partial fills and dust), not a
// refusal that would leave the position without its stop.
func TestAnExitWorthLessThanTheQuoteMinimumPassesTheGuard(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "AAA-USD", "0.01", "100")
	f.trade("AAA-USD", "50")
	sl := stopLoss("s1", "AAA-USD", "0.01")
	sl.EstimatedPrice = d("50") // worth 0.5, below quote_min_size 1
	f.allow(sl)
}

func TestStopLimitExitWithoutStopPriceIsCheckedAsItsLimit(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "AAA-USD", "1", "100")
	in := Intent{Strategy: "s1", ProductID: "AAA-USD", Product: testProduct("AAA-USD"), Side: exchange.Sell,
		Type: exchange.StopLimit, BaseSize: d("1"), LimitPrice: d("89.5"), ReduceOnly: true}
	f.allow(in)
	in.StopPrice = d("90")
	f.allow(in)
	in.StopPrice = d("90.001")
	f.refuse(in, RuleInvalidOrder, "")
}

func TestStaleDataAtItsBoundaries(t *testing.T) {
	cases := []struct {
		name string
		age  string
		ok   bool
	}{
		{"one below", "29.999s", true},
		{"at", "30s", true},
		{"one above", "30.001s", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.StaleAfter = mustDuration(t, "30s") })
			f.advance(mustDuration(t, tc.age))
			if tc.ok {
				f.allow(buy("s1", "AAA-USD", "1", "100"))
			} else {
				dec := f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStaleData, ScopeProduct)
				if dec.Value != "30.001s" {
					t.Errorf("value %q, want the age 30.001s", dec.Value)
				}
			}
		})
	}
}

func TestStaleDataRefusesEntriesWhileResyncingOrWithoutTicksButNotExits(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "AAA-USD", "1", "100")
	f.g.SetResyncing("AAA-USD", true)
	dec := f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStaleData, ScopeProduct)
	if !strings.Contains(dec.Reason, "resync") {
		t.Errorf("reason %q does not say the feed is resyncing", dec.Reason)
	}
	f.allow(stopLoss("s1", "AAA-USD", "1"))
	f.g.SetResyncing("AAA-USD", false)
	f.allow(buy("s1", "AAA-USD", "1", "100"))

	f.refuse(buy("s1", "ZZZ-USD", "1", "100"), RuleStaleData, ScopeProduct)
	f.advance(mustDuration(t, "10m"))
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStaleData, ScopeProduct)
	f.allow(stopLoss("s1", "AAA-USD", "1"))
}

func TestTicksWithoutAPriceDoNotCountAsFreshData(t *testing.T) {
	f := newFixture(t, nil)
	now := f.clk.Now()
	f.g.OnTick(&exchange.Tick{ProductID: "NEW-USD", Kind: exchange.TradeTick, Time: now, Price: d("0")})
	f.g.OnTick(&exchange.Tick{ProductID: "NEW-USD", Kind: exchange.QuoteTick, Time: now, Bid: d("0"), Ask: d("5")})
	in := Intent{Strategy: "s1", ProductID: "NEW-USD", Product: testProduct("NEW-USD"), Side: exchange.Buy,
		Type: exchange.Market, BaseSize: d("1")}
	f.refuse(in, RuleStaleData, ScopeProduct)
	f.g.OnTick(&exchange.Tick{ProductID: "NEW-USD", Kind: exchange.QuoteTick, Time: now, Bid: d("4"), Ask: d("5")})
	f.allow(in)
}

// The guard's shortcuts for a market entry's size at the price it takes
// decide as the venue's rules they stand in for (CheckBounds for a base
// size that Validate took, QuoteBuys for a quote size): they may pass
// only what the rule passes, and refuse only with the rule's answer.
func TestMarketEntrySizeShortcutsDecideAsTheVenuesRules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := exchange.Product{
			ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD",
			BaseIncrement: genDecimal(t, "baseInc").Abs(),
			BaseMinSize:   genDecimal(t, "baseMin"), BaseMaxSize: genDecimal(t, "baseMax"),
			QuoteMinSize: genDecimal(t, "quoteMin"), QuoteMaxSize: genDecimal(t, "quoteMax"),
		}
		price := genDecimal(t, "price").Abs()
		if !price.IsPositive() {
			return
		}
		in := Intent{ProductID: p.ID, Product: p, Side: exchange.Buy, Type: exchange.Market, BaseSize: genOnStep(t, "base", p.BaseIncrement).Abs()}
		// sanity has held the base size to its own bounds (Validate).
		if in.BaseSize.IsPositive() && p.Validate(in.request()) == nil {
			_, ok := worthAnOrder(&in, price)
			if want := p.CheckBounds(in.BaseSize, price) == nil; ok != want {
				t.Fatalf("base %s at %s: shortcut passes %v, CheckBounds %v (product %+v)", in.BaseSize, price, ok, want, p)
			}
		}
		in.BaseSize, in.QuoteSize = decimal.Zero, genDecimal(t, "quote").Abs()
		if in.QuoteSize.IsPositive() {
			_, ok := buysAnOrderSize(&in, toUnits(in.QuoteSize), price)
			_, err := p.QuoteBuys(in.QuoteSize, price)
			if want := err == nil; ok != want {
				t.Fatalf("quote %s at %s: shortcut passes %v, QuoteBuys %v (product %+v)", in.QuoteSize, price, ok, err, p)
			}
		}
	})
}

package risk

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// scopeIntents returns the n-th entry of a sequence that lands in the
// scope under test and spreads over the others: one strategy across
// products for the strategy scope, many strategies on one product for the
// product scope, and many of both for the account.
func scopeIntent(scope string, n int, size, price string) Intent {
	products := []string{"AAA-USD", "BBB-USD", "CCC-USD"}
	switch scope {
	case ScopeStrategy:
		return buy("s1", products[n%3], size, price)
	case ScopeProduct:
		return buy(fmt.Sprintf("s%d", n), "AAA-USD", size, price)
	}
	return buy(fmt.Sprintf("s%d", n), products[n%3], size, price)
}

func setScope(c *Config, scope string, set func(*ScopeLimits)) {
	switch scope {
	case ScopeAccount:
		set(&c.Account)
	case ScopeStrategy:
		set(&c.PerStrategy)
	case ScopeProduct:
		set(&c.PerProduct)
	}
}

func TestCountLimitsPerScopeAtTheirBoundaries(t *testing.T) {
	const limit = 3
	rules := []struct {
		rule string
		set  func(*ScopeLimits)
	}{
		{RuleMaxOpenOrders, func(s *ScopeLimits) { s.MaxOpenOrders = limit }},
		{RuleMaxEntriesPerDay, func(s *ScopeLimits) { s.MaxEntriesPerDay = limit }},
		{RuleRatePerSecond, func(s *ScopeLimits) { s.OrdersPerSecond = limit }},
		{RuleRatePerMinute, func(s *ScopeLimits) { s.OrdersPerMinute = limit }},
	}
	for _, scope := range []string{ScopeAccount, ScopeStrategy, ScopeProduct} {
		for _, rl := range rules {
			t.Run(scope+"/"+rl.rule, func(t *testing.T) {
				f := newFixture(t, func(c *Config) { setScope(c, scope, rl.set) })
				for n := range limit { // one below, then at the limit
					f.allow(scopeIntent(scope, n, "1", "100"))
				}
				dec := f.refuse(scopeIntent(scope, limit, "1", "100"), rl.rule, scope)
				if dec.Limit == "" || dec.Value == "" {
					t.Errorf("decision does not state its limit and value: %+v", dec)
				}
			})
		}
	}
}

func TestOpenOrderSlotIsFreedOnRelease(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PerStrategy.MaxOpenOrders = 1 })
	r := f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleMaxOpenOrders, ScopeStrategy)
	f.g.Release(r)
	f.g.Release(r) // a second release must not free a second slot
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleMaxOpenOrders, ScopeStrategy)
}

func TestEntryThatNeverFilledGivesBackItsDailyCount(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PerStrategy.MaxEntriesPerDay = 1 })
	r := f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.g.Release(r) // cancelled unfilled
	r = f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.g.OnFill("s1", "AAA-USD", exchange.Buy, d("0.5"), d("100"), decimal.Zero, r)
	f.g.Release(r) // cancelled after a partial fill: it was an entry
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleMaxEntriesPerDay, ScopeStrategy)
}

func TestEntriesPerDayResetAtMidnightInTheConfiguredZone(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.TimeZone = "America/New_York"
		c.PerStrategy.MaxEntriesPerDay = 1
		c.StaleAfter = 48 * time.Hour
	})
	// t0 is 12:00 UTC, 07:00 in New York (EST, UTC-5).
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.advance(12 * time.Hour) // 00:00 UTC next day, still 19:00 in New York
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleMaxEntriesPerDay, ScopeStrategy)
	f.advance(5*time.Hour - time.Nanosecond) // 23:59:59.999999999 New York
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleMaxEntriesPerDay, ScopeStrategy)
	f.advance(time.Nanosecond) // midnight in New York
	f.allow(buy("s1", "AAA-USD", "1", "100"))
}

func TestRateBucketsRefillOverTheirPeriod(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.PerStrategy.OrdersPerSecond = 2
		c.PerStrategy.OrdersPerMinute = 3
	})
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleRatePerSecond, ScopeStrategy)
	f.advance(499 * time.Millisecond)
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleRatePerSecond, ScopeStrategy)
	f.advance(time.Millisecond) // one token per 500 ms
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.advance(time.Second)
	dec := f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleRatePerMinute, ScopeStrategy)
	if dec.Value != "retry in 18.5s" {
		t.Errorf("value %q, want retry in 18.5s (one token per 20 s, first taken 1.5 s ago)", dec.Value)
	}
}

func TestRefusedEntrySpendsNoRateToken(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.PerStrategy.OrdersPerSecond = 1
		c.Limits.MaxOrderNotional = d("500")
	})
	f.refuse(buy("s1", "AAA-USD", "10", "100"), RuleMaxOrderNotional, "")
	f.refuse(buy("s1", "AAA-USD", "1", "200"), RulePriceCollar, "")
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleRatePerSecond, ScopeStrategy)
}

func TestExposureLimitsPerScopeAtTheirBoundaries(t *testing.T) {
	type sizing struct {
		name, second string // second order's size at price 100, after 6 x 100
		ok           bool
	}
	sizes := []sizing{
		{"one below", "3.999", true}, // 600 + 399.9
		{"at", "4", true},            // 1000
		{"one above", "4.001", false},
	}
	rules := []struct {
		rule string
		set  func(*ScopeLimits)
		// spread puts the second order on another product, so that only
		// the scope's total (exposure) and not one position is at stake.
		spread bool
	}{
		{RuleMaxPositionNotional, func(s *ScopeLimits) { s.MaxPositionNotional = d("1000") }, false},
		{RuleMaxExposure, func(s *ScopeLimits) { s.MaxExposure = d("1000") }, true},
	}
	for _, scope := range []string{ScopeAccount, ScopeStrategy, ScopeProduct} {
		for _, rl := range rules {
			for _, sz := range sizes {
				if scope == ScopeProduct && rl.spread {
					continue // a product's exposure is its one position
				}
				t.Run(scope+"/"+rl.rule+"/"+sz.name, func(t *testing.T) {
					f := newFixture(t, func(c *Config) { setScope(c, scope, rl.set) })
					first, second := "AAA-USD", "AAA-USD"
					if rl.spread {
						second = "BBB-USD"
					}
					strat2 := "s1"
					if scope != ScopeStrategy {
						strat2 = "s2"
					}
					// Half of the first order fills: exposure is then
					// position plus what is still reserved.
					r := f.allow(buy("s1", first, "6", "100"))
					f.g.OnFill("s1", first, exchange.Buy, d("3"), d("100"), decimal.Zero, r)
					in := buy(strat2, second, sz.second, "100")
					if sz.ok {
						f.allow(in)
					} else {
						f.refuse(in, rl.rule, scope)
					}
				})
			}
		}
	}
}

func TestPositionLimitSeparatesProductsWhileExposureSumsThem(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.PerStrategy.MaxPositionNotional = d("500")
		c.PerStrategy.MaxExposure = d("1200")
	})
	f.hold("s1", "AAA-USD", "5", "100")
	f.refuse(buy("s1", "AAA-USD", "0.01", "100"), RuleMaxPositionNotional, ScopeStrategy)
	f.allow(buy("s1", "BBB-USD", "5", "100"))
	f.refuse(buy("s1", "CCC-USD", "2.01", "100"), RuleMaxExposure, ScopeStrategy)
	f.allow(buy("s1", "CCC-USD", "2", "100"))
}

func TestExposureFollowsTheMarkPrice(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Account.MaxExposure = d("1000") })
	f.hold("s1", "AAA-USD", "5", "100") // 500
	f.trade("AAA-USD", "150")           // now 750
	f.refuse(buy("s2", "BBB-USD", "2.51", "100"), RuleMaxExposure, ScopeAccount)
	f.allow(buy("s2", "BBB-USD", "2.5", "100"))
	if got := f.exposure(); !got.Equal(d("1000")) {
		t.Errorf("account exposure %s, want 1000", got)
	}
}

func TestFillMovesReservationIntoPositionAndReleaseFreesTheRest(t *testing.T) {
	f := newFixture(t, nil)
	r := f.allow(buy("s1", "AAA-USD", "10", "100"))
	if got := f.exposure(); !got.Equal(d("1000")) {
		t.Fatalf("after Check: exposure %s, want 1000 reserved", got)
	}
	// A fill below the limit price: the position is worth its mark, the
	// reservation shrinks by what the filled part had reserved.
	f.g.OnFill("s1", "AAA-USD", exchange.Buy, d("4"), d("99"), d("0.4"), r)
	if got := f.exposure(); !got.Equal(d("1000")) { // 4 x mark 100 + 6 x 100 reserved
		t.Fatalf("after a partial fill: exposure %s, want 1000", got)
	}
	f.g.Release(r)
	if got := f.exposure(); !got.Equal(d("400")) {
		t.Fatalf("after Release: exposure %s, want the 400 position", got)
	}
	size, cost := f.g.Position("s1", "AAA-USD")
	if !size.Equal(d("4")) || !cost.Equal(d("396")) {
		t.Errorf("position %s at cost %s, want 4 at 396", size, cost)
	}
	r = f.allow(stopLoss("s1", "AAA-USD", "4"))
	f.g.OnFill("s1", "AAA-USD", exchange.Sell, d("4"), d("100"), d("0.4"), r)
	f.g.Release(r)
	if got := f.exposure(); !got.IsZero() {
		t.Errorf("after closing: exposure %s, want 0", got)
	}
	// Realized: 400 - 396 - 0.4 - 0.4 fees.
	if got := f.g.DailyPnL(); !got.Equal(d("3.2")) {
		t.Errorf("daily PnL %s, want 3.2", got)
	}
}

func TestOverridesChangeOnlyTheirStrategyOrProductAndOnlyTheirFields(t *testing.T) {
	doc := `
per_strategy: {max_exposure: 500, max_open_orders: 3}
strategies:
  big: {max_exposure: 1000}
  tiny: {max_open_orders: 1}
products:
  BBB-USD: {max_exposure: 200}
`
	cfg := looseConfig()
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *Config) { *c = cfg })

	f.allow(buy("big", "AAA-USD", "10", "100"))
	f.refuse(buy("big", "AAA-USD", "0.01", "100"), RuleMaxExposure, ScopeStrategy)
	f.allow(buy("plain", "AAA-USD", "5", "100"))
	f.refuse(buy("plain", "AAA-USD", "0.01", "100"), RuleMaxExposure, ScopeStrategy)
	// tiny keeps per_strategy's exposure and has its own open-order limit.
	f.allow(buy("tiny", "AAA-USD", "1", "100"))
	f.refuse(buy("tiny", "AAA-USD", "1", "100"), RuleMaxOpenOrders, ScopeStrategy)
	f.refuse(buy("tiny2", "BBB-USD", "2.01", "100"), RuleMaxExposure, ScopeProduct)
	f.allow(buy("tiny2", "BBB-USD", "2", "100"))
}

func TestOverrideValidationNamesTheInstance(t *testing.T) {
	neg := d("-1")
	zero := 0
	cfg := DefaultConfig()
	cfg.Strategies = map[string]ScopeOverride{"btc-sma": {MaxExposure: &neg}, "ok": {MaxOpenOrders: &zero}}
	cfg.Products = map[string]ScopeOverride{"BTCUSD": {}}
	errs := cfg.Validate()
	want := []string{"strategies.btc-sma.max_exposure: ", "products.BTCUSD: "}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %q does not start with %q", errs[i], w)
		}
	}
}

func TestPnLOnShortsAndFlipsByAverageCost(t *testing.T) {
	f := newFixture(t, nil)
	// A long of 2 at 100, then a sell of 3 at 110 closes it (+20) and
	// opens a short of 1 at 110; a buy of 1 at 105 closes that (+5).
	f.g.OnFill("s1", "AAA-USD", exchange.Buy, d("2"), d("100"), decimal.Zero, nil)
	f.g.OnFill("s1", "AAA-USD", exchange.Sell, d("3"), d("110"), d("0.5"), nil)
	if size, cost := f.g.Position("s1", "AAA-USD"); !size.Equal(d("-1")) || !cost.Equal(d("-110")) {
		t.Fatalf("after the flip: %s at cost %s, want -1 at -110", size, cost)
	}
	f.trade("AAA-USD", "120") // the short loses 10 unrealized
	if got := f.g.DailyPnL(); !got.Equal(d("9.5")) {
		t.Errorf("daily PnL %s, want 20 - 0.5 - 10 = 9.5", got)
	}
	if got := f.exposure(); !got.Equal(d("120")) {
		t.Errorf("exposure %s, want the short's 120", got)
	}
	f.g.OnFill("s1", "AAA-USD", exchange.Buy, d("1"), d("105"), decimal.Zero, nil)
	if size, cost := f.g.Position("s1", "AAA-USD"); !size.IsZero() || !cost.IsZero() {
		t.Fatalf("after closing: %s at cost %s", size, cost)
	}
	if got := f.g.DailyPnL(); !got.Equal(d("24.5")) {
		t.Errorf("daily PnL %s, want 20 + 5 - 0.5", got)
	}
	// The peak was 29.5: the short opened at 110 while the mark was 100.
	if got := f.g.Drawdown(); !got.Equal(d("5")) {
		t.Errorf("drawdown %s, want 29.5 - 24.5 = 5", got)
	}
}

func TestSetPositionReconcilesWithoutMakingPnL(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Loss.DailyLoss.Limit = d("1") })
	f.g.SetPosition("s1", "NEW-USD", d("3"), d("300")) // no tick yet: valued at cost
	if got := f.g.DailyPnL(); !got.IsZero() {
		t.Fatalf("daily PnL %s after SetPosition", got)
	}
	f.allow(stopLoss("s1", "NEW-USD", "3"))
	f.g.SetPosition("s1", "AAA-USD", d("2"), d("150")) // marked at 100: unrealized +50
	f.g.SetPosition("s1", "AAA-USD", d("1"), d("75"))  // the exchange says 1
	if got := f.g.DailyPnL(); !got.Equal(d("25")) {
		t.Errorf("daily PnL %s, want the position's unrealized 25 (100 - 75)", got)
	}
	f.refuse(stopLoss("s1", "AAA-USD", "2"), RuleReduceOnly, "")
	f.g.SetPosition("s1", "AAA-USD", decimal.Zero, d("75"))
	if size, cost := f.g.Position("s1", "AAA-USD"); !size.IsZero() || !cost.IsZero() {
		t.Errorf("flat position kept %s at cost %s", size, cost)
	}
	if f.g.State() != Active {
		t.Errorf("reconciling changed the state to %s", f.g.State())
	}
}

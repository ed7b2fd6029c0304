package risk

import (
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	d  = decimal.RequireFromString
	t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
)

// testProduct has round increments so that boundaries are easy to read.
func testProduct(id string) exchange.Product {
	return exchange.Product{
		ID: id, BaseCurrency: id[:3], QuoteCurrency: "USD",
		BaseIncrement: d("0.001"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.01"),
		BaseMinSize: d("0.001"), BaseMaxSize: d("1000000"), QuoteMinSize: d("1"), QuoteMaxSize: d("10000000"),
	}
}

// btcUSD is Coinbase's BTC-USD as GET /products/BTC-USD describes it
// (shared/coinbase/samples/rest_get_product.json).
func btcUSD() exchange.Product {
	return exchange.Product{
		ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD",
		BaseIncrement: d("0.00000001"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.01"),
		BaseMinSize: d("0.000016"), BaseMaxSize: d("2600"), QuoteMinSize: d("1"), QuoteMaxSize: d("50000000"),
	}
}

// looseConfig has every limit far away, so that a test tightens only the
// rule it is about.
func looseConfig() Config {
	c := DefaultConfig()
	c.Limits.MaxOrderNotional = d("1000000")
	c.Limits.MinOrderNotional = decimal.Zero
	c.Limits.PriceCollarPct = d("50")
	c.Account = ScopeLimits{MaxPositionNotional: d("100000000"), MaxExposure: d("100000000"),
		MaxOpenOrders: 100000, MaxEntriesPerDay: 100000, OrdersPerSecond: 30, OrdersPerMinute: 100000}
	c.PerStrategy = ScopeLimits{}
	c.PerProduct = ScopeLimits{}
	c.Loss.DailyLoss.Limit = d("100000000")
	c.Loss.MaxDrawdown.Limit = d("100000000")
	c.Loss.MaxConsecutiveLosses.Limit = 0
	c.StopLossCooldown.StopLosses = 0
	return c
}

type fixture struct {
	t   testing.TB
	g   *Guard
	clk *clock.Sim

	mu      sync.Mutex
	changes []stateChange
}

func newFixture(t testing.TB, tweak func(*Config)) *fixture {
	t.Helper()
	cfg := looseConfig()
	if tweak != nil {
		tweak(&cfg)
	}
	clk := clock.NewSim(t0)
	g, err := NewGuard(cfg, clk)
	if err != nil {
		t.Fatalf("NewGuard: %v", err)
	}
	f := &fixture{t: t, g: g, clk: clk}
	g.OnStateChange(func(from, to State, rule, reason string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.changes = append(f.changes, stateChange{from: from, to: to, rule: rule, reason: reason})
	})
	for _, id := range []string{"AAA-USD", "BBB-USD", "CCC-USD"} {
		f.trade(id, "100")
	}
	return f
}

func (f *fixture) advance(dt time.Duration) { f.clk.Set(f.clk.Now().Add(dt)) }

func (f *fixture) trade(product, price string) {
	now := f.clk.Now()
	f.g.OnTick(&exchange.Tick{ProductID: product, Kind: exchange.TradeTick, Time: now, Received: now,
		Price: d(price), Size: d("1"), TakerSide: exchange.Buy})
}

func (f *fixture) quote(product, bid, ask string) {
	now := f.clk.Now()
	f.g.OnTick(&exchange.Tick{ProductID: product, Kind: exchange.QuoteTick, Time: now, Received: now,
		Bid: d(bid), Ask: d(ask), BidSize: d("1"), AskSize: d("1")})
}

// buy is a limit buy entry.
func buy(strategy, product, size, price string) Intent {
	return Intent{Strategy: strategy, ProductID: product, Product: testProduct(product), Side: exchange.Buy,
		Type: exchange.Limit, BaseSize: d(size), LimitPrice: d(price)}
}

// stopLoss is a reduce-only market sell, the order a watched stop sends.
func stopLoss(strategy, product, size string) Intent {
	return Intent{Strategy: strategy, ProductID: product, Product: testProduct(product), Side: exchange.Sell,
		Type: exchange.Market, BaseSize: d(size), ReduceOnly: true}
}

func (f *fixture) allow(in Intent) *Reservation {
	f.t.Helper()
	dec, r := f.g.Check(in)
	if !dec.Allowed || r == nil {
		f.t.Fatalf("Check(%s %s %s %s@%s): refused: %+v", in.Strategy, in.Side, in.ProductID, in.BaseSize, in.LimitPrice, dec)
	}
	return r
}

func (f *fixture) refuse(in Intent, rule, scope string) Decision {
	f.t.Helper()
	dec, r := f.g.Check(in)
	if dec.Allowed || r != nil {
		f.t.Fatalf("Check(%s %s %s %s@%s): allowed, want %s", in.Strategy, in.Side, in.ProductID, in.BaseSize, in.LimitPrice, rule)
	}
	if dec.Rule != rule || dec.Scope != scope || dec.Verdict != VerdictReject {
		f.t.Fatalf("Check: got rule %q scope %q verdict %q (%s), want %q scope %q", dec.Rule, dec.Scope, dec.Verdict, dec.Reason, rule, scope)
	}
	return dec
}

// hold gives a strategy a filled long position.
func (f *fixture) hold(strategy, product, size, price string) {
	f.t.Helper()
	r := f.allow(buy(strategy, product, size, price))
	f.g.OnFill(strategy, product, exchange.Buy, d(size), d(price), decimal.Zero, r)
	f.g.Release(r)
}

func (f *fixture) lastChange() stateChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.changes) == 0 {
		return stateChange{}
	}
	return f.changes[len(f.changes)-1]
}

func (f *fixture) exposure() decimal.Decimal {
	f.g.mu.Lock()
	defer f.g.mu.Unlock()
	return decimal.New(f.g.acct.exposure, unitExp)
}

func mustDuration(t testing.TB, s string) time.Duration {
	t.Helper()
	v, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixedClock reads t0, for tests that need no time to pass.
type fixedClock struct{}

func (fixedClock) Now() time.Time { return t0 }

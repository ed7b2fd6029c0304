package daemon

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/internal/emutest"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// healthRig is live trading's feedHealth over a real guard that has seen
// a fresh BTC-USD price, so that an entry is refused only for what
// feedHealth says.
func healthRig(t *testing.T) (*live, *risk.Guard) {
	t.Helper()
	rc := risk.DefaultConfig()
	for _, l := range []*risk.ScopeLimits{&rc.Account, &rc.PerStrategy, &rc.PerProduct} {
		l.OrdersPerSecond, l.OrdersPerMinute = 30, 1000
	}
	g, err := risk.NewGuard(rc, clock.Wall{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Strategies = []config.Strategy{{Name: "s", Product: "BTC-USD"}}
	l := &live{cfg: cfg, guard: g}
	l.feeds.init(cfg, g)
	now := time.Now()
	l.feeds.tick(func(t exchange.Tick) { g.OnTick(&t) })(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: decimal.NewFromInt(100),
		Size: decimal.NewFromInt(1), Time: now, Received: now})
	return l, g
}

// entryRefusal is the guard's answer to a small market entry: "" when
// allowed, else its reason.
func entryRefusal(g *risk.Guard) string {
	d, r := g.Check(risk.Intent{Strategy: "s", ProductID: "BTC-USD", Product: emulator.DefaultProducts()[0],
		Side: exchange.Buy, Type: exchange.Market, QuoteSize: decimal.NewFromInt(20)})
	if d.Allowed {
		g.Release(r)
		return ""
	}
	return d.Reason
}

// Entries wait while fills cannot be seen: before the user channel has
// delivered, while it is down, and after a reconnect until a
// reconciliation that began after it completes; /readyz says which
// (issue 15, finding 3: entries kept being sent while the user channel
// was down half the time).
func TestEntriesWaitWhileTheUserChannelIsDownOrResyncing(t *testing.T) {
	l, g := healthRig(t)
	h := &l.feeds
	steps := []struct {
		name string
		do   func()
		want string // "" allowed, else a part of the refusal and of /readyz
	}{
		{"before the user channel delivers", func() {}, "user channel is down"},
		{"up, first resync not done", func() { h.connection("user", true) }, "resyncing"},
		{"first reconciliation done", func() { h.resyncDone(h.resyncStarted()) }, ""},
		{"down", func() { h.connection("user", false) }, "user channel is down"},
		{"reconnected and asking for a resync", func() { h.connection("user", true); l.requestResync("reconnect") }, "resyncing"},
		{"a reconciliation begun before the request ends", func() { h.resyncDone(h.resyncStarted() - 1) }, "resyncing"},
		{"caught up", func() { h.resyncDone(h.resyncStarted()) }, ""},
		{"a market connection says nothing of fills", func() { h.connection("market", true) }, ""},
	}
	for _, s := range steps {
		s.do()
		got := entryRefusal(g)
		problems := joinProblems(h.problems(time.Now()))
		if s.want == "" {
			if got != "" || problems != nil {
				t.Errorf("%s: entry refused %q, /readyz %v; want allowed and ready", s.name, got, problems)
			}
			continue
		}
		if !strings.Contains(got, s.want) || problems == nil || !strings.Contains(problems.Error(), s.want) {
			t.Errorf("%s: entry refusal %q, /readyz %v; want both to say %q", s.name, got, problems, s.want)
		}
	}
}

// A lost market connection holds entries on its products from the loss
// to each product's first tick after it: the last price is older than
// it looks, and a timer's entry (a dca buy) would be judged at it for up
// to stale_after. risk.Guard.SetResyncing had no caller outside the
// tests, so the rule RISK.md lists never applied.
func TestEntriesWaitFromAMarketConnectionsLossToTheProductsNextTick(t *testing.T) {
	l, g := healthRig(t)
	h := &l.feeds
	h.connection("user", true)
	h.resyncDone(h.resyncStarted())
	if got := entryRefusal(g); got != "" {
		t.Fatalf("before the loss: entry refused %q", got)
	}
	tick := h.tick(func(t exchange.Tick) { g.OnTick(&t) })
	now := time.Now()
	for _, s := range []struct {
		name string
		do   func()
		want string
	}{
		{"the market connection lost", func() { h.connection("market", false) }, "BTC-USD feed is resyncing"},
		{"up again, no tick yet", func() { h.connection("market", true) }, "BTC-USD feed is resyncing"},
		{"another product's tick", func() {
			tick(exchange.Tick{ProductID: "ETH-USD", Kind: exchange.TradeTick, Price: decimal.NewFromInt(10), Size: decimal.NewFromInt(1), Time: now, Received: now})
		}, "BTC-USD feed is resyncing"},
		{"the product's first tick after it", func() {
			tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: decimal.NewFromInt(99), Ask: decimal.NewFromInt(101), Time: now, Received: now})
		}, ""},
	} {
		s.do()
		if got := entryRefusal(g); (s.want == "") != (got == "") || !strings.Contains(got, s.want) {
			t.Errorf("%s: entry refusal %q, want %q", s.name, got, s.want)
		}
	}
}

// A key Coinbase stops accepting in the middle of a run (HTTP 401)
// halts entries with advice on what to check, and /readyz says so; the
// same refusal at start-up, before armAuth, leaves the state alone (the
// start fails instead). Issue 15, finding 5: a revoked key gave one ERROR
// line and trading stayed ACTIVE.
func TestA401MidRunHaltsEntriesAndSaysWhatToCheck(t *testing.T) {
	known, _, err := emulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, revoked, err := emulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e := emutest.Start(t, emulator.Options{Keys: []emulator.Key{known}})
	ctx := context.Background()
	creds, err := coinbase.NewCredentials(revoked.Name, revoked.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, g := healthRig(t)
	client, err := coinbase.NewClient(coinbase.Config{BaseURL: e.RESTURL(), Credentials: creds,
		Observer: authWatch{coinbaseObserver{m}, l}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.KeyPermissions(ctx); err == nil {
		t.Fatal("the emulator accepted a key it does not know")
	}
	if s := g.State(); s != risk.Active {
		t.Fatalf("a 401 at start-up set the state to %s; the start fails instead", s)
	}
	l.feeds.armAuth()
	if _, err := client.KeyPermissions(ctx); err == nil {
		t.Fatal("the emulator accepted a key it does not know")
	}
	info := g.StateInfo()
	if info.State != risk.Halted || info.Rule != risk.RuleAuth {
		t.Fatalf("state %s by %q after a 401, want HALTED by %q", info.State, info.Rule, risk.RuleAuth)
	}
	for _, want := range []string{"revoked", "allow-list", "48 hours", "clock"} {
		if !strings.Contains(info.Reason, want) {
			t.Errorf("halt reason %q does not mention %q", info.Reason, want)
		}
	}
	if p := joinProblems(l.feeds.problems(time.Now())); p == nil || !strings.Contains(p.Error(), "refused the API key") {
		t.Errorf("/readyz problems %v, want the refused key", p)
	}
}

// /readyz names a product whose market feed is older than stale_after
// (issue 15, finding 5: it stayed ready with a 53 s old feed).
func TestReadinessNamesAStaleMarketFeed(t *testing.T) {
	l, _ := healthRig(t)
	h := &l.feeds
	h.connection("user", true)
	h.resyncDone(h.resyncStarted())
	if p := joinProblems(h.problems(time.Now())); p != nil {
		t.Fatalf("/readyz problems %v with a fresh feed, want none", p)
	}
	p := joinProblems(h.problems(time.Now().Add(53 * time.Second)))
	if p == nil || !strings.Contains(p.Error(), "the BTC-USD market feed is stale: last tick 53s ago, above stale_after 30s") {
		t.Errorf("/readyz problems %v 53 s after the last tick, want the stale BTC-USD feed named", p)
	}
}

package deploy_test

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/daemon"
)

// idleExample is the example config in paper mode on a Coinbase feed that
// never answers (a closed loopback port): the daemon starts, serves and
// never sees a tick, so every series a scrape shows was created at start.
func idleExample(t *testing.T, strategies func(*config.Config)) *config.Config {
	t.Helper()
	cfg, err := config.Load("config.example.yaml", tradebot.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Paper.Feed = "coinbase"
	cfg.Coinbase.MarketDataURL = "ws://" + closed + "/ws"
	cfg.KillSwitch.Signal = "none"
	if strategies != nil {
		strategies(cfg)
	}
	return cfg
}

// scrapeAtStart runs the daemon on cfg, scrapes /metrics once it reports
// its equity (the account reporter's first pass), stops it and returns the
// exposition text.
func scrapeAtStart(t *testing.T, cfg *config.Config) []byte {
	t.Helper()
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Options{Config: cfg, Version: "test", Ready: func(a net.Addr) { ready <- a }})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		done <- err
		t.Fatalf("Run ended before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not start")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		body := fetch(t, "http://"+addr.String()+"/metrics")
		if v, ok := sample(t, body, "tradebot_equity"); ok && v != 0 {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("tradebot_equity never set:\n%s", body)
		}
	}
}

// families parses an exposition into its families by name.
func families(t *testing.T, text []byte) map[string]int {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(text)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]int{}
	for name, f := range fams {
		out[name] = len(f.GetMetric())
	}
	return out
}

// sample returns the value of the unlabelled series name.
func sample(t *testing.T, text []byte, name string) (float64, bool) {
	t.Helper()
	for _, line := range strings.Split(string(text), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return f, true
			}
		}
	}
	return 0, false
}

// TestEveryDashboardAndAlertMetricHasASeriesAtStart scrapes a daemon that
// has not seen a tick yet: a metric a panel or an alert reads must already
// have a series (at 0), or the panel shows "no data" and increase() misses
// the first burst.
func TestEveryDashboardAndAlertMetricHasASeriesAtStart(t *testing.T) {
	text := scrapeAtStart(t, idleExample(t, nil))
	fams := families(t, text)
	exposed := map[string]bool{}
	for name, n := range fams {
		exposed[name] = n > 0
	}
	used := usedMetricNames(t)
	var absent []string
	for n, where := range used {
		if !exposed[family(n, exposed)] {
			absent = append(absent, n+" (in "+strings.Join(where, ", ")+")")
		}
	}
	sort.Strings(absent)
	for _, a := range absent {
		t.Errorf("no series at start: %s", a)
	}
	t.Logf("%d metric names used by the dashboard and the alerts, %d absent at start", len(used), len(absent))

	// Equity is every balance at mark: the example's 10,000 USD and
	// 10,000 USDT, no position yet.
	if v, _ := sample(t, text, "tradebot_equity"); v != 20000 {
		t.Errorf("tradebot_equity = %v at start, want 20000 (USD and USDT balances)", v)
	}
}

// TestAHundredInstancesScrapeInAtMost188KB keeps the per-instance series to
// those that can happen: 100 instances of the example's two strategies
// must not expose thousands of zero series. (It was 150 KB until the
// breakout's exit signal got its series at zero: 157 KB; 168 KB since
// each instance's loop shows its age, the series liveness alerts read;
// and 186 KB since every instance's kill_switch, fallback and unknown
// exits are there at zero.)
func TestAHundredInstancesScrapeInAtMost188KB(t *testing.T) {
	cfg := idleExample(t, func(c *config.Config) {
		var many []config.Strategy
		for i := 0; i < 50; i++ {
			for _, s := range c.Strategies {
				s.Name = fmt.Sprintf("%s-%02d", s.Name, i)
				many = append(many, s)
			}
		}
		c.Strategies = many
	})
	if err := cfg.Validate(); len(err) > 0 {
		t.Fatal(err)
	}
	text := scrapeAtStart(t, cfg)
	fams := families(t, text)
	t.Logf("scrape of 100 instances: %d bytes; tradebot_orders_total %d series, fills %d, exits %d",
		len(text), fams["tradebot_orders_total"], fams["tradebot_fills_total"], fams["tradebot_exits_total"])
	if len(text) > 188<<10 {
		t.Errorf("a scrape of 100 instances is %d bytes, over 188 KB", len(text))
	}
	if n := fams["tradebot_position_size"]; n != 100 {
		t.Errorf("tradebot_position_size has %d series, want one per instance (100)", n)
	}
}

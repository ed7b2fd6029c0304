package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/metrics/metricstest"
)

var d = decimal.RequireFromString

// newMetrics returns a Metrics on a fresh registry with one declared
// instance and a simulated clock.
func newMetrics(t *testing.T) (*metrics.Metrics, *prometheus.Registry, *clock.Sim) {
	t.Helper()
	reg := prometheus.NewRegistry()
	clk := clock.NewSim(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	m, err := metrics.New(reg, metrics.Options{
		Clock:         clk,
		Instances:     []metrics.InstanceID{{Strategy: "s1", Product: "BTC-USD"}},
		Exits:         map[metrics.InstanceID][]string{{Strategy: "s1", Product: "BTC-USD"}: {"stop_loss", "take_profit"}},
		Currencies:    []string{"USD"},
		Feeds:         []string{"ticker"},
		RiskRules:     []string{"max_position"},
		RESTEndpoints: []string{"create_order"},
		RejectReasons: []string{"INSUFFICIENT_FUND"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg, clk
}

// value returns the value of the one series of name whose labels include
// all of want, failing the test when there is none.
func value(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range s.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue series
				}
			}
			switch {
			case s.Gauge != nil:
				return s.GetGauge().GetValue()
			case s.Counter != nil:
				return s.GetCounter().GetValue()
			case s.Histogram != nil:
				return float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s%v", name, want)
	return 0
}

func TestDeclaredLabelValuesShowZerosBeforeAnythingHappens(t *testing.T) {
	_, reg, _ := newMetrics(t)
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"tradebot_position_size", map[string]string{"strategy": "s1", "product": "BTC-USD"}},
		{"tradebot_orders_total", map[string]string{"strategy": "s1", "side": "buy", "type": "market", "status": "submitted"}},
		{"tradebot_fills_total", map[string]string{"strategy": "s1", "side": "buy", "liquidity": "taker"}},
		{"tradebot_exits_total", map[string]string{"reason": "stop_loss"}},
		{"tradebot_exits_total", map[string]string{"reason": "take_profit"}},
		{"tradebot_exits_total", map[string]string{"reason": "kill_switch"}},
		{"tradebot_exits_total", map[string]string{"reason": "fallback"}},
		{"tradebot_exits_total", map[string]string{"reason": "unknown"}},
		{"tradebot_order_rejections_total", map[string]string{"reason": "INSUFFICIENT_FUND"}},
		{"tradebot_rest_request_duration_seconds", map[string]string{"endpoint": "create_order", "code": "200"}},
		{"tradebot_rest_errors_total", map[string]string{"endpoint": "create_order", "code": "429"}},
		{"tradebot_rest_retries_total", map[string]string{"endpoint": "create_order", "reason": "5xx"}},
		{"tradebot_orders_open", map[string]string{"product": "BTC-USD"}},
		{"tradebot_feed_ticks_total", map[string]string{"product": "BTC-USD"}},
		{"tradebot_feed_lag_seconds", map[string]string{"product": "BTC-USD"}},
		{"tradebot_feed_conflated_ticks_total", map[string]string{"strategy": "s1"}},
		{"tradebot_feed_reconnects_total", map[string]string{"feed": "ticker"}},
		{"tradebot_feed_sequence_gaps_total", map[string]string{"feed": "ticker"}},
		{"tradebot_feed_malformed_messages_total", map[string]string{"feed": "ticker"}},
		{"tradebot_balance", map[string]string{"currency": "USD"}},
		{"tradebot_risk_decisions_total", map[string]string{"rule": "max_position", "verdict": "reject"}},
		{"tradebot_trading_state", map[string]string{"state": "HALTED"}},
		{"tradebot_feed_last_tick_age_seconds", map[string]string{"product": "BTC-USD"}},
		{"tradebot_positions_unprotected", nil},
		{"tradebot_tick_to_order_seconds", nil},
	} {
		if got := value(t, reg, c.name, c.labels); got != 0 {
			t.Errorf("%s%v = %v before any event, want 0", c.name, c.labels, got)
		}
	}
	if got := value(t, reg, "tradebot_build_info", map[string]string{"goversion": runtime.Version()}); got != 1 {
		t.Errorf("build_info = %v, want 1", got)
	}
}

// Only what an instance's config can do first exists at start: its entry,
// its configured exit rules and the exits no config rules out (kill
// switch, fallback, unknown). The 48 order, 4 fill and 10 exit
// combinations of every instance would otherwise be thousands of series
// that stay 0.
func TestUndeclaredCombinationsAppearOnlyAtTheirFirstEvent(t *testing.T) {
	m, reg, _ := newMetrics(t)
	count := func(name string) int {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == name {
				return len(f.GetMetric())
			}
		}
		return 0
	}
	for name, want := range map[string]int{"tradebot_orders_total": 1, "tradebot_fills_total": 1, "tradebot_exits_total": 5} {
		if got := count(name); got != want {
			t.Errorf("%s has %d series at start, want %d", name, got, want)
		}
	}
	m.OrderSubmitted("s1", "BTC-USD", exchange.Sell, exchange.StopLimit)
	m.Exit("s1", "BTC-USD", "trailing_stop")
	if got := value(t, reg, "tradebot_orders_total", map[string]string{"side": "sell", "type": "stop_limit", "status": "submitted"}); got != 1 {
		t.Errorf("a sell stop-limit submitted: %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_exits_total", map[string]string{"reason": "trailing_stop"}); got != 1 {
		t.Errorf("an exit by trailing stop: %v, want 1", got)
	}
	m.Exit("s1", "BTC-USD", metrics.ExitStrategy)
	if got := value(t, reg, "tradebot_exits_total", map[string]string{"reason": "strategy"}); got != 1 {
		t.Errorf("an exit by the strategy's own sale: %v, want 1", got)
	}
}

func TestPositionReportSetsSizeValuePnLAndStopDistance(t *testing.T) {
	tests := []struct {
		name                     string
		pos                      metrics.Position
		size, notional, stop, sd float64
	}{
		{"long with a stop 2% below the mark",
			metrics.Position{Size: d("0.5"), AvgEntry: d("100"), Mark: d("110"), Stop: d("107.8"), Unrealized: d("5"), Realized: d("-1"), Protected: true},
			0.5, 55, 107.8, 0.02},
		{"flat position shows no stop even if one is reported",
			metrics.Position{Size: d("0"), Mark: d("110"), Stop: d("100"), Protected: true},
			0, 0, 0, 0},
		{"open position without a stop has distance 0",
			metrics.Position{Size: d("1"), AvgEntry: d("100"), Mark: d("100"), Protected: true},
			1, 100, 0, 0},
		{"stop above the mark (about to trigger) is a negative distance",
			metrics.Position{Size: d("1"), Mark: d("100"), Stop: d("101"), Protected: true},
			1, 100, 101, -0.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, reg, _ := newMetrics(t)
			tt.pos.Strategy, tt.pos.Product = "s1", "BTC-USD"
			m.SetPosition(tt.pos)
			sp := map[string]string{"strategy": "s1", "product": "BTC-USD"}
			for name, want := range map[string]float64{
				"tradebot_position_size":              tt.size,
				"tradebot_position_notional":          tt.notional,
				"tradebot_stop_price":                 tt.stop,
				"tradebot_stop_distance_ratio":        tt.sd,
				"tradebot_position_average_entry":     tt.pos.AvgEntry.InexactFloat64(),
				"tradebot_unrealized_pnl":             tt.pos.Unrealized.InexactFloat64(),
				"tradebot_realized_pnl":               tt.pos.Realized.InexactFloat64(),
				"tradebot_positions_unprotected":      0,
				"tradebot_fees_paid_total":            0, // fees come from fills, not reports
				"tradebot_orders_open":                0,
				"tradebot_feed_ticks_total":           0,
				"tradebot_feed_conflated_ticks_total": 0,
			} {
				labels := sp
				switch name {
				case "tradebot_positions_unprotected":
					labels = nil
				case "tradebot_feed_ticks_total":
					labels = map[string]string{"product": "BTC-USD"}
				case "tradebot_feed_conflated_ticks_total":
					labels = map[string]string{"strategy": "s1"}
				}
				if got := value(t, reg, name, labels); math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
		})
	}
}

func TestUnprotectedCountsNakedPositionsAcrossInstancesOnlyOnTransitions(t *testing.T) {
	m, reg, _ := newMetrics(t)
	naked := func(strategy string) metrics.Position {
		return metrics.Position{Strategy: strategy, Product: "BTC-USD", Size: d("1"), Mark: d("100")}
	}
	steps := []struct {
		do   func()
		want float64
	}{
		{func() { m.SetPosition(naked("a")) }, 1},
		{func() { m.SetPosition(naked("a")) }, 1}, // repeated report: no double count
		{func() { m.SetPosition(naked("b")) }, 2},
		{func() { p := naked("a"); p.Protected = true; m.SetPosition(p) }, 1},
		{func() { p := naked("b"); p.Size = decimal.Zero; m.SetPosition(p) }, 0}, // flat is never naked
		{func() { p := naked("b"); p.Size = decimal.Zero; m.SetPosition(p) }, 0},
	}
	for i, s := range steps {
		s.do()
		if got := value(t, reg, "tradebot_positions_unprotected", nil); got != s.want {
			t.Fatalf("step %d: positions_unprotected = %v, want %v", i, got, s.want)
		}
	}
}

func TestOrderLifecycleCountsSubmittedAndTerminalStatesAndOpenOrders(t *testing.T) {
	m, reg, _ := newMetrics(t)
	m.OrderSubmitted("s1", "BTC-USD", exchange.Buy, exchange.Limit)
	m.OrderSubmitted("s1", "BTC-USD", exchange.Sell, exchange.Bracket)
	sp := map[string]string{"strategy": "s1", "product": "BTC-USD"}
	if got := value(t, reg, "tradebot_orders_open", sp); got != 2 {
		t.Fatalf("orders_open = %v after two submissions, want 2", got)
	}
	m.OrderEnded("s1", "BTC-USD", exchange.Buy, exchange.Limit, string(exchange.StatusCancelled))
	if got := value(t, reg, "tradebot_orders_open", sp); got != 1 {
		t.Errorf("orders_open = %v, want 1", got)
	}
	for _, c := range []struct {
		side, typ, status string
		want              float64
	}{
		{"buy", "limit", "submitted", 1},
		{"buy", "limit", "cancelled", 1},
		{"sell", "bracket", "submitted", 1},
	} {
		l := map[string]string{"strategy": "s1", "product": "BTC-USD", "side": c.side, "type": c.typ, "status": c.status}
		if got := value(t, reg, "tradebot_orders_total", l); got != c.want {
			t.Errorf("orders_total%v = %v, want %v", l, got, c.want)
		}
	}
}

func TestFillsCountBySideAndLiquidityAndAddFees(t *testing.T) {
	m, reg, _ := newMetrics(t)
	m.Fill("s1", exchange.Fill{ProductID: "BTC-USD", Side: exchange.Buy, Liquidity: exchange.Maker, Fee: d("1.25")})
	m.Fill("s1", exchange.Fill{ProductID: "BTC-USD", Side: exchange.Buy, Liquidity: exchange.Maker, Fee: d("0.75")})
	m.Fill("s1", exchange.Fill{ProductID: "BTC-USD", Side: exchange.Sell, Liquidity: exchange.Taker, Fee: d("0")})
	if got := value(t, reg, "tradebot_fills_total", map[string]string{"side": "buy", "liquidity": "maker"}); got != 2 {
		t.Errorf("buy maker fills = %v, want 2", got)
	}
	if got := value(t, reg, "tradebot_fills_total", map[string]string{"side": "sell", "liquidity": "taker"}); got != 1 {
		t.Errorf("sell taker fills = %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_fees_paid_total", map[string]string{"strategy": "s1"}); got != 2 {
		t.Errorf("fees = %v, want 2", got)
	}
}

func TestUnexpectedLabelValuesFoldIntoAClosedSet(t *testing.T) {
	m, reg, _ := newMetrics(t)
	m.OrderEnded("s1", "BTC-USD", "SIDEWAYS", "ICEBERG", "EXPLODED")
	m.Exit("s1", "BTC-USD", "moon")
	m.Fill("s1", exchange.Fill{ProductID: "BTC-USD", Side: exchange.Sell})
	m.OrderRejected("order 1234-abcd failed: price 50123.45")
	m.ObserveREST("/api/v3/brokerage/orders/historical/abc-123", 404, time.Millisecond, nil)
	for i := 0; i < 200; i++ {
		m.OrderRejected(fmt.Sprintf("REASON_%d", i))
	}
	if got := value(t, reg, "tradebot_orders_total", map[string]string{"side": "unknown", "type": "unknown", "status": "unknown"}); got != 1 {
		t.Errorf("unknown order = %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_exits_total", map[string]string{"reason": "other"}); got != 1 {
		t.Errorf("other exit = %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_fills_total", map[string]string{"side": "sell", "liquidity": "unknown"}); got != 1 {
		t.Errorf("fill without liquidity = %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_rest_errors_total", map[string]string{"endpoint": "other", "code": "404"}); got != 1 {
		t.Errorf("path-like endpoint = %v, want 1 under other", got)
	}
	reasons := series(t, reg, "tradebot_order_rejections_total")
	if len(reasons) > 65 {
		t.Errorf("%d reject reason series; the set must stay bounded", len(reasons))
	}
	if got := value(t, reg, "tradebot_order_rejections_total", map[string]string{"reason": "other"}); got < 137 {
		t.Errorf("other rejections = %v, want the message and every reason past the cap", got)
	}
}

func series(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}

func TestTradingStateIsOneHot(t *testing.T) {
	tests := []struct {
		state  string
		active float64
		reduce float64
		halted float64
	}{
		{"ACTIVE", 1, 0, 0},
		{"reducing", 0, 1, 0},
		{"HALTED", 0, 0, 1},
		{"BROKEN", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			m, reg, _ := newMetrics(t)
			m.TradingState("ACTIVE")
			m.TradingState(tt.state)
			for state, want := range map[string]float64{"ACTIVE": tt.active, "REDUCING": tt.reduce, "HALTED": tt.halted} {
				if got := value(t, reg, "tradebot_trading_state", map[string]string{"state": state}); got != want {
					t.Errorf("state %s = %v, want %v", state, got, want)
				}
			}
		})
	}
}

func TestLastTickAgeGrowsWhileTheFeedIsSilent(t *testing.T) {
	m, reg, clk := newMetrics(t)
	start := clk.Now()
	btc := map[string]string{"product": "BTC-USD"}
	clk.Set(start.Add(7 * time.Second))
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", btc); got != 7 {
		t.Fatalf("age before the first tick = %v, want 7 (since start)", got)
	}
	m.TickReceived(exchange.Tick{ProductID: "BTC-USD", Time: start.Add(7 * time.Second), Received: start.Add(7 * time.Second)})
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", btc); got != 0 {
		t.Fatalf("age right after a tick = %v, want 0", got)
	}
	clk.Set(start.Add(37 * time.Second))
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", btc); got != 30 {
		t.Fatalf("age after 30 silent seconds = %v, want 30", got)
	}
	// A source that stamps Received on another timeline (a paced replay
	// stamps wall time) does not confuse the age, which reads one clock.
	m.TickReceived(exchange.Tick{ProductID: "BTC-USD", Time: start, Received: time.Now().Add(24 * time.Hour)})
	clk.Set(start.Add(40 * time.Second))
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", btc); got != 3 {
		t.Fatalf("age 3s after a tick stamped on another timeline = %v, want 3", got)
	}
	m.TickReceived(exchange.Tick{ProductID: "ETH-USD", Time: start, Received: start.Add(37 * time.Second)})
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", map[string]string{"product": "ETH-USD"}); got != 0 {
		t.Fatalf("age of a product first seen in a tick = %v, want 0", got)
	}
}

// A loop's age counts on the wall clock from its last turn (from the
// start before its first), whatever the trading clock says: a paper
// replay's clock is the recording's.
func TestLoopAgeGrowsOnTheWallClockWhileTheLoopIsStuck(t *testing.T) {
	reg := prometheus.NewRegistry()
	start := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	wall := clock.NewSim(start)
	m, err := metrics.New(reg, metrics.Options{Clock: &clock.Sim{}, WallClock: wall,
		Instances: []metrics.InstanceID{{Strategy: "s1", Product: "BTC-USD"}}})
	if err != nil {
		t.Fatal(err)
	}
	s1 := map[string]string{"strategy": "s1"}
	for _, step := range []struct {
		what   string
		turnAt time.Duration // a turn at start plus this; <0 for none
		now    time.Duration
		want   float64
	}{
		{"before the first turn", -1, 4 * time.Second, 4},
		{"right after a turn", 5 * time.Second, 5 * time.Second, 0},
		{"while it turns every second", 6 * time.Second, 7 * time.Second, 1},
		{"stuck for five minutes", -1, 6*time.Second + 5*time.Minute, 300},
		{"turning again", 6*time.Second + 5*time.Minute, 6*time.Second + 5*time.Minute, 0},
	} {
		if step.turnAt >= 0 {
			m.LoopTurned("s1", "BTC-USD", start.Add(step.turnAt))
		}
		wall.Set(start.Add(step.now))
		if got := value(t, reg, "tradebot_loop_last_turn_age_seconds", s1); got != step.want {
			t.Errorf("%s: age %v, want %v", step.what, got, step.want)
		}
	}
}

func TestLastTickAgeIsZeroUntilASimulatedClockStarts(t *testing.T) {
	reg := prometheus.NewRegistry()
	clk := &clock.Sim{} // a paper replay's clock before the first tick
	m, err := metrics.New(reg, metrics.Options{Clock: clk, Instances: []metrics.InstanceID{{Strategy: "s", Product: "BTC-USD"}}})
	if err != nil {
		t.Fatal(err)
	}
	btc := map[string]string{"product": "BTC-USD"}
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", btc); got != 0 {
		t.Errorf("age on a clock at the zero time = %v, want 0", got)
	}
	start := time.Date(2024, 8, 8, 0, 0, 0, 0, time.UTC)
	clk.Set(start)
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", btc); got != 0 {
		t.Errorf("age once the clock starts, before the first tick = %v, want 0", got)
	}
	m.TickReceived(exchange.Tick{ProductID: "BTC-USD", Time: start, Received: start})
	clk.Set(start.Add(90 * time.Second))
	if got := value(t, reg, "tradebot_feed_last_tick_age_seconds", btc); got != 90 {
		t.Errorf("age 90s after the first tick = %v, want 90", got)
	}
}

func TestFeedLagObservesReceiveMinusVenueTimeAndClampsSkew(t *testing.T) {
	m, reg, clk := newMetrics(t)
	now := clk.Now()
	m.TickReceived(exchange.Tick{ProductID: "BTC-USD", Time: now.Add(-30 * time.Millisecond), Received: now})
	m.TickReceived(exchange.Tick{ProductID: "BTC-USD", Time: now.Add(time.Second), Received: now}) // venue clock ahead
	m.TickReceived(exchange.Tick{ProductID: "BTC-USD", Received: now})                             // no venue time: no lag
	h := series(t, reg, "tradebot_feed_lag_seconds")[0].GetHistogram()
	if h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-0.03) > 1e-9 {
		t.Errorf("lag count %d sum %v, want 2 and 0.03", h.GetSampleCount(), h.GetSampleSum())
	}
	if got := value(t, reg, "tradebot_feed_ticks_total", map[string]string{"product": "BTC-USD"}); got != 3 {
		t.Errorf("ticks = %v, want 3", got)
	}
}

func TestTickToOrderBucketsSpanOneMicrosecondToOneSecond(t *testing.T) {
	m, reg, _ := newMetrics(t)
	m.TickToOrder(3 * time.Microsecond)
	h := series(t, reg, "tradebot_tick_to_order_seconds")[0].GetHistogram()
	b := h.GetBucket()
	if b[0].GetUpperBound() != 1e-6 || b[len(b)-1].GetUpperBound() != 1 {
		t.Errorf("buckets from %v to %v, want 1e-06 to 1", b[0].GetUpperBound(), b[len(b)-1].GetUpperBound())
	}
	if h.GetSampleCount() != 1 {
		t.Errorf("count = %d, want 1", h.GetSampleCount())
	}
}

func TestRESTCodeNamesStatusOrFailureKind(t *testing.T) {
	tests := []struct {
		status int
		err    error
		want   string
	}{
		{200, nil, "200"},
		{429, nil, "429"},
		{0, context.DeadlineExceeded, "timeout"},
		{0, fmt.Errorf("post create_order: %w", context.Canceled), "canceled"},
		{0, errors.New("connection refused"), "network"},
	}
	for _, tt := range tests {
		if got := metrics.RESTCode(tt.status, tt.err); got != tt.want {
			t.Errorf("RESTCode(%d, %v) = %q, want %q", tt.status, tt.err, got, tt.want)
		}
	}
}

func TestRESTSuccessIsTimedButNotCountedAsError(t *testing.T) {
	m, reg, _ := newMetrics(t)
	m.ObserveREST("create_order", 200, 20*time.Millisecond, nil)
	m.ObserveREST("create_order", 503, time.Second, nil)
	m.ObserveREST("create_order", 0, 10*time.Second, context.DeadlineExceeded)
	m.RateLimitWait(250 * time.Millisecond)
	// Declared at start: 429, 500, timeout and network; the 503 is new.
	if n := len(series(t, reg, "tradebot_rest_errors_total")); n != 5 {
		t.Errorf("%d error series, want the 4 declared and the 503", n)
	}
	if got := value(t, reg, "tradebot_rest_errors_total", map[string]string{"code": "503"}); got != 1 {
		t.Errorf("503 errors = %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_rest_errors_total", map[string]string{"code": "timeout"}); got != 1 {
		t.Errorf("timeout errors = %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_rest_request_duration_seconds", map[string]string{"code": "200"}); got != 1 {
		t.Errorf("200 count = %v, want 1", got)
	}
	if got := value(t, reg, "tradebot_rest_rate_limit_wait_seconds_total", nil); got != 0.25 {
		t.Errorf("rate limit wait = %v, want 0.25", got)
	}
}

func TestTwoMetricsOnOneRegistryIsAnError(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg, metrics.Options{}); err == nil {
		t.Fatal("second New on the same registry succeeded")
	}
}

func TestPopulatedRegistryLintsClean(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, _, err := metricstest.Populate(reg); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(fams).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestEveryMetricIsDocumented keeps docs/METRICS.md and the code in step:
// every name the registry exposes has a row, and every row names a metric
// that exists.
func TestEveryMetricIsDocumented(t *testing.T) {
	reg := metrics.NewRegistry()
	if _, _, err := metricstest.Populate(reg); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{}
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), "tradebot_") {
			exposed[f.GetName()] = true
		}
	}
	path := filepath.Join(testenv.RepoRoot(), "docs", "METRICS.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(tradebot_[a-z_]+)` \\|")
	documented := map[string]bool{}
	for _, mm := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[mm[1]] = true
	}
	var missing, stale []string
	for n := range exposed {
		if !documented[n] {
			missing = append(missing, n)
		}
	}
	for n := range documented {
		if !exposed[n] {
			stale = append(stale, n)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("%s has no row for %v", path, missing)
	}
	if len(stale) > 0 {
		t.Errorf("%s documents metrics that do not exist: %v", path, stale)
	}
}

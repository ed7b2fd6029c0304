package daemon

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
)

// gridPaper is a paper config that replays the bundled recording (11
// minutes of Binance BTCUSDT, 61,556 to 61,861) through a grid of seven
// levels 50 apart, as a user would write it.
const gridPaper = `mode: paper
web: {listen_address: "127.0.0.1:0"}
paper:
  feed: replay
  recording: bundled
  speed: 0
  lockstep: true
  exit_at_end: true
  balances: {USDT: 10000}
risk:
  limits: {max_order_notional: 2000, min_order_notional: 1, price_collar_pct: 5}
  per_strategy: {max_exposure: 5000, max_position_notional: 5000, max_open_orders: 20, max_entries_per_day: 500, orders_per_second: 10, orders_per_minute: 120}
strategies:
  - name: grid
    type: grid
    product: BTC-USDT
    size: {quote: 200}
    params: {lower: 61550, upper: 61850, levels: 7, stop_price: 61300}
    exits:
      placement: bot
`

// TestAGridTradesInPaperMode runs the daemon in paper mode on the bundled
// recording with the grid: its ladder rests, buys fill, their lots are
// sold one level up by its own limit sells, and the daemon ends cleanly
// at the end of the recording.
func TestAGridTradesInPaperMode(t *testing.T) {
	cfg, err := config.Load("grid.yaml", []byte(gridPaper), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, Options{Config: cfg, Log: NewLogger(log, "json", "info"), Version: "test", Ready: func(net.Addr) {}}); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	var buys, sells int
	for _, rec := range records(t, log.String()) {
		switch rec["msg"] {
		case "fill":
			if rec["side"] == "BUY" {
				buys++
			} else if rec["purpose"] == "exit" {
				sells++
			}
		}
	}
	if buys < 2 || sells < 2 {
		t.Fatalf("%d buy fills, %d sell fills; want the ladder trading both ways\n%s", buys, sells, log.String())
	}
	t.Logf("%d buy fills, %d sell fills", buys, sells)
}

// waitForEndOfRecording waits until the paper replay has delivered the
// whole recording of product. A replay at speed 0 takes as long as the
// CPU it gets (over a minute for nine instances under the race detector
// on a loaded machine), so the wait ends in failure only once the replay
// stalls: no tick delivered for a minute.
func (r *daemonRun) waitForEndOfRecording(product string) {
	r.t.Helper()
	const stall = time.Minute
	series := fmt.Sprintf(`tradebot_feed_ticks_total{product="%s"}`, product)
	ticks, since := "", time.Now()
	for count(r.records(), isMsg("recording finished")) == 0 {
		if n := r.metric(series); n != ticks {
			ticks, since = n, time.Now()
		} else if time.Since(since) > stall {
			r.t.Fatalf("the replay delivered no tick for %s (%s = %q) and did not finish; log:\n%s", stall, series, ticks, r.log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAGridsOwnSaleCountsAsAStrategyExit runs a two-level grid on the
// bundled recording: twice its one lot is bought at 61,600 and sold by
// its own limit sell at 61,650, leaving it flat. exits_total counts those
// round trips under reason="strategy", not under "other", the label of
// a malformed value.
func TestAGridsOwnSaleCountsAsAStrategyExit(t *testing.T) {
	doc := strings.Replace(gridPaper, "{lower: 61550, upper: 61850, levels: 7, stop_price: 61300}",
		"{lower: 61600, upper: 61650, levels: 2, stop_price: 61300}", 1)
	doc = strings.Replace(doc, "exit_at_end: true", "exit_at_end: false", 1)
	cfg, err := config.Load("grid.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	r.waitForEndOfRecording("BTC-USDT")
	closed := count(r.records(), func(rec map[string]any) bool {
		return rec["msg"] == "position closed" && rec["exit_reason"] == "grid_sell"
	})
	if closed == 0 {
		t.Fatalf("no round trip ended by the grid's own sale; the recording or the grid changed\n%s", r.log.String())
	}
	const series = `tradebot_exits_total{product="BTC-USDT",reason="%s",strategy="grid"}`
	if got, want := r.metric(fmt.Sprintf(series, "strategy")), strconv.Itoa(closed); got != want {
		t.Errorf("exits_total reason strategy = %q, want %s (the grid_sell round trips)", got, want)
	}
	if got := r.metric(fmt.Sprintf(series, "other")); got != "" {
		t.Errorf("exits_total reason other = %s, want no such series", got)
	}
}

// TestAGridsStrategyExitSeriesIsThereAtZeroFromTheStart runs the daemon
// in paper mode with a grid whose range is over the whole recording (its
// stop at 69,000, the price about 61,700) and instances of other types
// whose bars (1h) never close within it. No grid sale and no exit can
// happen, yet every exits_total reason an instance can count reads 0, as
// its stop_loss does, so that dashboards and alerts see 0 rather than no
// data: the grid's own sale (strategy), a signal strategy's exit signal
// (signal), a rules strategy's exit expression (strategy, which catalog
// types such as macd are), a dca's take-profit. A reason an instance
// cannot count has no series: an sma_cross without exit_on_cross or a
// breakout without exit_bars never signals an exit, rules without an
// exit expression never close, and a grid has no exit signal. The exits
// no config rules out (kill_switch, fallback, unknown) read 0 for every
// instance. The grid, under its stop from the start, buys nothing and
// says so once.
func TestAGridsStrategyExitSeriesIsThereAtZeroFromTheStart(t *testing.T) {
	doc := strings.Replace(gridPaper, "{lower: 61550, upper: 61850, levels: 7, stop_price: 61300}",
		"{lower: 70000, upper: 72000, levels: 5, stop_price: 69000}", 1)
	doc = strings.Replace(doc, "exit_at_end: true", "exit_at_end: false", 1)
	for _, inst := range []struct{ name, typ, params string }{
		{"sma", "sma_cross", "{fast: 5, slow: 20, interval: 1h}"},
		{"sma-hold", "sma_cross", "{fast: 5, slow: 20, interval: 1h, exit_on_cross: false}"},
		{"breakout", "breakout", "{entry_bars: 20, exit_bars: 10, interval: 1h}"},
		{"breakout-hold", "breakout", "{entry_bars: 20, exit_bars: 0, interval: 1h}"},
		{"macd", "macd", "{interval: 1h}"},
		{"rules", "rules", "{interval: 1h, indicators: {fast: sma(5), slow: sma(20)}, entry: 'crossed_above(fast, slow)', exit: 'crossed_below(fast, slow)'}"},
		{"rules-hold", "rules", "{interval: 1h, indicators: {fast: sma(5), slow: sma(20)}, entry: 'crossed_above(fast, slow)'}"},
		{"dca", "dca", "{every: 24h, take_profit_percent: 50}"},
	} {
		doc += fmt.Sprintf("  - name: %s\n    type: %s\n    product: BTC-USDT\n    size: {quote: 100}\n    params: %s\n    exits:\n      stop_loss: {percent: 20}\n",
			inst.name, inst.typ, inst.params)
	}
	cfg, err := config.Load("grid.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, cfg)
	r.waitForEndOfRecording("BTC-USDT")
	const series = `tradebot_exits_total{product="BTC-USDT",reason="%s",strategy="%s"}`
	for _, c := range []struct{ strategy, reason, want string }{
		{"grid", "strategy", "0"}, {"grid", "stop_loss", "0"}, {"grid", "signal", ""},
		{"sma", "stop_loss", "0"}, {"sma", "signal", "0"}, {"sma", "strategy", ""},
		{"sma-hold", "signal", ""}, {"sma-hold", "stop_loss", "0"},
		{"breakout", "signal", "0"}, {"breakout-hold", "signal", ""},
		{"macd", "strategy", "0"}, {"macd", "signal", ""},
		{"rules", "strategy", "0"}, {"rules-hold", "strategy", ""}, {"rules-hold", "signal", ""},
		{"dca", "take_profit", "0"}, {"dca", "strategy", ""}, {"dca", "signal", ""},
	} {
		if got := r.metric(fmt.Sprintf(series, c.reason, c.strategy)); got != c.want {
			t.Errorf("exits_total of %s, reason %s = %q, want %q", c.strategy, c.reason, got, c.want)
		}
	}
	for _, s := range cfg.Strategies {
		for _, reason := range []string{"kill_switch", "fallback", "unknown"} {
			if got := r.metric(fmt.Sprintf(series, reason, s.Name)); got != "0" {
				t.Errorf("exits_total of %s, reason %s = %q, want 0", s.Name, reason, got)
			}
		}
	}
	if n := count(r.records(), isMsg(gridWaiting)); n != 1 {
		t.Errorf("%d messages of the grid waiting under its stop, want one\n%s", n, r.log.String())
	}
	buys := `tradebot_orders_total{product="BTC-USDT",side="buy",status="submitted",strategy="grid",type="limit"}`
	if got := r.metric(buys); got != "" {
		t.Errorf("%s = %s, want no limit buy from a grid under its stop", buys, got)
	}
}

package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// busyExample is the example config with a faster SMA cross that exits on
// the cross down, so that the bundled recording asks for an entry every
// few seconds of market time, and no stop-loss cooldown, which would
// otherwise refuse entries before the kill switch is even consulted.
func busyExample(t *testing.T, speed float64, tweak func(*config.Config)) *config.Config {
	t.Helper()
	yaml := strings.Replace(string(tradebot.ExampleConfig),
		"params: {fast: 3, slow: 10, interval: 5s, exit_on_cross: false}",
		"params: {fast: 2, slow: 4, interval: 1s, exit_on_cross: true}", 1)
	if yaml == string(tradebot.ExampleConfig) {
		t.Fatal("the example config's btc-sma params changed; update busyExample")
	}
	cfg, err := config.Load("config.example.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Paper.Speed = speed
	cfg.Risk.StopLossCooldown.StopLosses = 0
	cfg.Risk.Loss.MaxConsecutiveLosses.Limit = 0
	if tweak != nil {
		tweak(cfg)
	}
	return cfg
}

// daemonRun is one daemon.Run in-process, its log and its address.
type daemonRun struct {
	t      *testing.T
	addr   string
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// quietStopWithin is how long the tests give a paper daemon with nothing
// in flight to stop: far less than shutdown_timeout (10 s by default),
// which bounds a stop that has orders to resolve.
const quietStopWithin = 4 * time.Second

// startDaemon runs the daemon until the test ends (or stop), and waits
// until it serves.
func startDaemon(t *testing.T, cfg *config.Config, tweaks ...func(*Options)) *daemonRun {
	t.Helper()
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	r := &daemonRun{t: t, log: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	o := Options{Config: cfg, Log: NewLogger(r.log, "json", "info"), Version: "test",
		Ready: func(a net.Addr) { ready <- a }}
	for _, tweak := range tweaks {
		tweak(&o)
	}
	go func() { r.done <- Run(ctx, o) }()
	select {
	case a := <-ready:
		r.addr = a.String()
	case err := <-r.done:
		cancel()
		t.Fatalf("Run ended before serving: %v\n%s", err, r.log.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("daemon did not start")
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// stop ends the daemon and waits for Run to return; a second call does
// nothing.
func (r *daemonRun) stop() {
	r.t.Helper()
	if r.done == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run: %v", err)
		}
	case <-time.After(quietStopWithin + 2*time.Second):
		r.t.Error("daemon did not stop in time")
	}
	r.done = nil
}

func (r *daemonRun) records() []map[string]any { return records(r.t, r.log.String()) }

// request sends method to path, as the operator's curl does (with the
// control header), and returns the status and body.
func (r *daemonRun) request(method, path string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, "http://"+r.addr+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set(risk.ControlHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// state returns the trading state the kill-switch endpoint reports.
func (r *daemonRun) state() (state, rule string) {
	r.t.Helper()
	code, body := r.request(http.MethodGet, "/killswitch")
	if code != http.StatusOK {
		r.t.Fatalf("GET /killswitch: %d %s", code, body)
	}
	var s struct{ State, Rule string }
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		r.t.Fatalf("GET /killswitch: %v in %q", err, body)
	}
	return s.State, s.Rule
}

// metric returns the value of the series whose name and labels are
// exactly series (as the text exposition writes them), or "" if absent.
func (r *daemonRun) metric(series string) string {
	r.t.Helper()
	code, body := r.request(http.MethodGet, "/metrics")
	if code != http.StatusOK {
		r.t.Fatalf("GET /metrics: %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func (r *daemonRun) waitFor(what string, timeout time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out after %s waiting for %s; log:\n%s", timeout, what, r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count returns how many log records match.
func count(recs []map[string]any, match func(map[string]any) bool) int {
	n := 0
	for _, r := range recs {
		if match(r) {
			n++
		}
	}
	return n
}

func isMsg(msg string) func(map[string]any) bool {
	return func(r map[string]any) bool { return r["msg"] == msg }
}

// after returns the records from index from on.
func after(recs []map[string]any, from int) []map[string]any {
	if from > len(recs) {
		return nil
	}
	return recs[from:]
}

// entryFillsAmong returns the client order ids of entries logged in recs
// that have an entry fill anywhere in all: an entry asked for after a
// halt must never fill.
func entryFillsAmong(recs, all []map[string]any) []string {
	asked := map[string]bool{}
	for _, r := range recs {
		if r["msg"] == "entry" {
			asked[r["client_order_id"].(string)] = true
		}
	}
	var filled []string
	for _, r := range all {
		if r["msg"] == "fill" && r["purpose"] == "entry" && asked[r["client_order_id"].(string)] {
			filled = append(filled, r["client_order_id"].(string))
		}
	}
	return filled
}

func refusedByKillSwitch(r map[string]any) bool {
	return r["msg"] == "risk guard refused order" && r["rule"] == "kill_switch" && r["purpose"] == "entry"
}

func entryFilled(r map[string]any) bool { return r["msg"] == "fill" && r["purpose"] == "entry" }

// haltedAt returns the time of the first log record of a change to
// HALTED.
func (r *daemonRun) haltedAt() time.Time {
	r.t.Helper()
	for _, rec := range r.records() {
		if rec["msg"] == "trading state changed" && rec["to"] == "HALTED" {
			at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(rec["time"]))
			if err != nil {
				r.t.Fatalf("the halt's log record has no time: %v", rec)
			}
			return at
		}
	}
	r.t.Fatalf("no log record of a change to HALTED; log:\n%s", r.log.String())
	return time.Time{}
}

// assertHaltedByKillSwitch checks the endpoint and the metrics.
func (r *daemonRun) assertHaltedByKillSwitch() {
	r.t.Helper()
	if st, rule := r.state(); st != "HALTED" || rule != "kill_switch" {
		r.t.Errorf("GET /killswitch: state %s rule %s, want HALTED by kill_switch", st, rule)
	}
	for series, want := range map[string]string{
		`tradebot_trading_state{state="HALTED"}`: "1",
		`tradebot_trading_state{state="ACTIVE"}`: "0",
		`tradebot_kill_switch_engaged`:           "1",
	} {
		if got := r.metric(series); got != want {
			r.t.Errorf("/metrics %s = %q, want %s", series, got, want)
		}
	}
}

// sendSignalUntilHalted sends SIGUSR1 to this process until the daemon
// reports HALTED. The test holds its own registration for the signal so
// that one arriving before the daemon has registered cannot end the test
// binary (SIGUSR1's default action); it is unregistered when the test
// ends, which restores the default.
func sendSignalUntilHalted(t *testing.T, r *daemonRun) (signals int) {
	t.Helper()
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, syscall.SIGUSR1)
	t.Cleanup(func() { signal.Stop(ch) })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		signals++
		for wait := time.Now().Add(time.Second); time.Now().Before(wait); time.Sleep(10 * time.Millisecond) {
			if st, _ := r.state(); st == "HALTED" {
				return signals
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d SIGUSR1 signals did not halt the daemon", signals)
		}
	}
}

func TestKillSwitchStopsNewEntriesWithinOneTick(t *testing.T) {
	for _, tc := range []struct {
		name string
		// pull pulls the kill switch and returns once it is pulled (the
		// guard may take one poll to notice the file).
		pull  func(t *testing.T, r *daemonRun, flagFile string)
		limit time.Duration // from the pull to HALTED
	}{
		{name: "POST /killswitch", limit: 0, pull: func(t *testing.T, r *daemonRun, _ string) {
			code, body := r.request(http.MethodPost, "/killswitch?reason=test")
			if code != http.StatusOK || !strings.Contains(body, `"state":"HALTED"`) {
				t.Fatalf("POST /killswitch: %d %s", code, body)
			}
		}},
		{name: "kill_switch.file", limit: 2 * time.Second, pull: func(t *testing.T, r *daemonRun, flagFile string) {
			if err := os.WriteFile(flagFile, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "SIGUSR1", limit: 2 * time.Second, pull: func(t *testing.T, r *daemonRun, _ string) {
			if n := sendSignalUntilHalted(t, r); n > 1 {
				// Run starts the kill-switch watcher after its server,
				// so a signal right after Ready can come too early;
				// Run calling killSwitch.arm before Ready would close
				// that gap.
				t.Logf("the daemon missed %d signal(s) sent right after it started serving", n-1)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flagFile := filepath.Join(t.TempDir(), "HALT")
			cfg := busyExample(t, 20, func(c *config.Config) {
				c.KillSwitch.File = flagFile
				c.KillSwitch.Signal = "SIGUSR1"
			})
			r := startDaemon(t, cfg)
			r.waitFor("the first entry to fill", 20*time.Second, func() bool {
				return count(r.records(), entryFilled) > 0
			})
			if st, _ := r.state(); st != "ACTIVE" {
				t.Fatalf("state before the pull = %s, want ACTIVE", st)
			}
			pulled := time.Now()
			tc.pull(t, r, flagFile)
			// The limit is the daemon's: from the pull to the time its
			// log gives the halt. How long the test then takes to see
			// HALTED over HTTP is no part of it (under load, a request
			// to the busy daemon alone can take a second).
			r.waitFor("HALTED", 30*time.Second, func() bool { st, _ := r.state(); return st == "HALTED" })
			took := r.haltedAt().Sub(pulled)
			if tc.limit > 0 && took > tc.limit {
				t.Errorf("halted %s after the pull, want within %s", took, tc.limit)
			}
			from := len(r.records())
			r.waitFor("an entry refused by the kill switch", 20*time.Second, func() bool {
				return count(after(r.records(), from), refusedByKillSwitch) > 0
			})
			r.assertHaltedByKillSwitch()
			recs := r.records()
			if ids := entryFillsAmong(after(recs, from), recs); len(ids) > 0 {
				t.Fatalf("entries asked for after the halt filled: %v", ids)
			}
			t.Logf("halted %s after the pull; %d entries refused by kill_switch since", took.Round(time.Millisecond), count(after(recs, from), refusedByKillSwitch))
		})
	}
}

// openPositions returns the position_size series that are not zero.
func (r *daemonRun) openPositions() []string {
	r.t.Helper()
	_, body := r.request(http.MethodGet, "/metrics")
	var open []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "tradebot_position_size{") && !strings.HasSuffix(line, " 0") {
			open = append(open, line)
		}
	}
	return open
}

func TestKillSwitchFlattenClosesEveryPosition(t *testing.T) {
	// Both strategies hold what they buy: no take-profit, trailing or time
	// stop, a stop-loss far away, and no exit on the SMA cross back (the
	// breakout's exit signal needs a fresh low over exit_bars, rare within
	// the moment between the metrics and the POST), so that the flatten
	// is what closes the positions.
	cfg := busyExample(t, 60, func(c *config.Config) {
		for i := range c.Strategies {
			e := &c.Strategies[i].Exits
			e.StopLoss.Percent = e.StopLoss.Percent.Mul(decimal.NewFromInt(50))
			e.TakeProfit, e.TrailingStop, e.TimeStop, e.BreakEven = nil, nil, nil, nil
		}
	})
	sma, ok := cfg.Strategies[0].StrategyParams().(*strategy.SMACrossParams)
	if !ok {
		t.Fatalf("first example strategy is %T, want sma_cross", cfg.Strategies[0].StrategyParams())
	}
	sma.ExitOnCross = false
	r := startDaemon(t, cfg)
	r.waitFor("both strategies holding a position", 30*time.Second, func() bool { return len(r.openPositions()) == 2 })
	from := len(r.records())
	code, body := r.request(http.MethodPost, "/killswitch?flatten=true&confirm="+risk.FlattenConfirmation)
	if code != http.StatusOK || !strings.Contains(body, `"flatten":"flatten requested"`) {
		t.Fatalf("POST /killswitch?flatten=true: %d %s", code, body)
	}
	r.waitFor("every position closed", 10*time.Second, func() bool { return len(r.openPositions()) == 0 })
	r.assertHaltedByKillSwitch()
	recs := after(r.records(), from)
	closed := 0
	for _, rec := range recs {
		if rec["msg"] == "position closed" {
			closed++
			if rec["exit_reason"] != "kill_switch" {
				t.Errorf("position of %v closed by %v, want kill_switch", rec["strategy"], rec["exit_reason"])
			}
		}
	}
	if closed == 0 {
		t.Fatalf("no position closed after the flatten; log:\n%s", r.log.String())
	}
	if ids := entryFillsAmong(recs, r.records()); len(ids) > 0 {
		t.Fatalf("entries asked for after the flatten filled: %v", ids)
	}
	// Flat stays flat: the strategies keep asking to enter and are refused.
	r.waitFor("an entry refused by the kill switch", 20*time.Second, func() bool {
		return count(after(r.records(), from), refusedByKillSwitch) > 0
	})
	if open := r.openPositions(); len(open) > 0 {
		t.Fatalf("positions open after the flatten: %v", open)
	}
	t.Logf("%d positions closed by the flatten", closed)
}

func TestKillSwitchHaltPersistsAcrossARestart(t *testing.T) {
	stateDir := t.TempDir()
	cfg := func() *config.Config {
		return busyExample(t, 20, func(c *config.Config) { c.StateDir = stateDir })
	}

	first := startDaemon(t, cfg())
	first.waitFor("the first entry to fill", 20*time.Second, func() bool {
		return count(first.records(), entryFilled) > 0
	})
	if code, body := first.request(http.MethodPost, "/killswitch?reason=before+restart"); code != http.StatusOK {
		t.Fatalf("POST /killswitch: %d %s", code, body)
	}
	first.stop()

	second := startDaemon(t, cfg())
	// HALTED from the start: the endpoint says so as soon as it serves.
	if st, rule := second.state(); st != "HALTED" || rule != "kill_switch" {
		t.Fatalf("after the restart GET /killswitch says %s by %q, want HALTED by kill_switch", st, rule)
	}
	if _, body := second.request(http.MethodGet, "/killswitch"); !strings.Contains(body, `"reason":"before restart"`) {
		t.Errorf("after the restart GET /killswitch = %s, want the reason given before it", body)
	}
	// kill_switch_engaged is set by the kill-switch watcher, which Run
	// starts just after its server (before it, once Run calls
	// killSwitch.arm ahead of Ready).
	second.waitFor("kill_switch_engaged 1", 2*time.Second, func() bool {
		return second.metric("tradebot_kill_switch_engaged") == "1"
	})
	second.assertHaltedByKillSwitch()
	if n := count(second.records(), isMsg("trading state restored from the journal")); n != 1 {
		t.Errorf("%d records say the trading state was restored, want 1", n)
	}
	second.waitFor("an entry refused by the kill switch", 20*time.Second, func() bool {
		return count(second.records(), refusedByKillSwitch) > 0
	})
	recs := second.records()
	if n := count(recs, entryFilled); n > 0 {
		t.Fatalf("%d entries filled after the restart of a halted daemon", n)
	}
	second.assertHaltedByKillSwitch()
	t.Logf("restarted HALTED; %d entries refused by kill_switch", count(recs, refusedByKillSwitch))
}

func TestKillSwitchEndpointResumesAndTheFlagFileHaltsAgain(t *testing.T) {
	flagFile := filepath.Join(t.TempDir(), "HALT")
	r := startDaemon(t, busyExample(t, 20, func(c *config.Config) { c.KillSwitch.File = flagFile }))

	for _, tc := range []struct {
		method, path string
		code         int
		state        string
	}{
		{http.MethodGet, "/killswitch", http.StatusOK, `"state":"ACTIVE"`},
		{http.MethodPut, "/killswitch", http.StatusMethodNotAllowed, ""},
		{http.MethodDelete, "/killswitch", http.StatusMethodNotAllowed, ""},
		{http.MethodPost, "/killswitch", http.StatusOK, `"state":"HALTED"`},
		{http.MethodGet, "/killswitch", http.StatusOK, `"reason":"http kill switch"`},
		{http.MethodPost, "/killswitch?resume=true", http.StatusOK, `"state":"ACTIVE"`},
		{http.MethodGet, "/killswitch", http.StatusOK, `"rule":"manual"`},
	} {
		code, body := r.request(tc.method, tc.path)
		if code != tc.code || !strings.Contains(body, tc.state) {
			t.Fatalf("%s %s: %d %s, want %d with %s", tc.method, tc.path, code, body, tc.code, tc.state)
		}
	}
	if got := r.metric(`tradebot_trading_state{state="ACTIVE"}`); got != "1" {
		t.Errorf(`after the resume tradebot_trading_state{state="ACTIVE"} = %q, want 1`, got)
	}
	if got := r.metric("tradebot_kill_switch_engaged"); got != "0" {
		t.Errorf("after the resume tradebot_kill_switch_engaged = %q, want 0", got)
	}
	from := len(r.records())
	r.waitFor("an entry to fill after the resume", 20*time.Second, func() bool {
		return count(after(r.records(), from), entryFilled) > 0
	})

	// The flag file halts; a resume while it exists is undone at the next
	// poll; removing it does not resume by itself.
	if err := os.WriteFile(flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the flag file to halt", 3*time.Second, func() bool { st, _ := r.state(); return st == "HALTED" })
	if code, body := r.request(http.MethodPost, "/killswitch?resume=true"); code != http.StatusOK || !strings.Contains(body, `"state":"ACTIVE"`) {
		t.Fatalf("POST ?resume=true with the flag file: %d %s, want ACTIVE until the next poll", code, body)
	}
	r.waitFor("the flag file to halt again", 3*time.Second, func() bool { st, _ := r.state(); return st == "HALTED" })
	if err := os.Remove(flagFile); err != nil {
		t.Fatal(err)
	}
	// Nothing may happen at the flag file's next poll (every second),
	// which shows nowhere: a sleep of more than one poll is the wait.
	time.Sleep(1500 * time.Millisecond)
	if st, rule := r.state(); st != "HALTED" || rule != "kill_switch" {
		t.Fatalf("after removing the flag file: %s by %s, want still HALTED by kill_switch", st, rule)
	}
	if code, body := r.request(http.MethodPost, "/killswitch?resume=true"); code != http.StatusOK || !strings.Contains(body, `"state":"ACTIVE"`) {
		t.Fatalf("POST ?resume=true without the file: %d %s", code, body)
	}
	time.Sleep(1500 * time.Millisecond) // the next poll, as above
	if st, _ := r.state(); st != "ACTIVE" {
		t.Fatalf("resumed without the flag file, then %s at the next poll", st)
	}
}

// A signal sent as soon as arm returns halts: arm registers before it
// returns, so the daemon that calls it before reporting ready never loses
// a signal to SIGUSR1's default action (which would end the process).
func TestKillSwitchArmRegistersTheSignalBeforeItReturns(t *testing.T) {
	guard, err := risk.NewGuard(risk.DefaultConfig(), clock.Wall{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{RiskRules: risk.Rules})
	if err != nil {
		t.Fatal(err)
	}
	k := &killSwitch{guard: guard, log: slog.New(slog.DiscardHandler), metrics: m}
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := k.arm(ctx, config.KillSwitch{Signal: "SIGUSR1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for guard.State() != risk.Halted {
		if time.Now().After(deadline) {
			t.Fatal("one SIGUSR1 sent right after arm did not halt")
		}
		time.Sleep(time.Millisecond)
	}
	if info := guard.StateInfo(); info.Rule != risk.RuleKillSwitch || info.Reason != "signal user defined signal 1" {
		t.Errorf("state = %+v, want halted by kill_switch for the signal", info)
	}
	cancel()
	wait()
}

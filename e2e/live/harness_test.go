package live

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/internal/emutest"
	"github.com/tradebot/tradebot/internal/tickgate"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

// emu is a running emulator replaying the bundled recording, and the key
// file the daemon signs with.
type emu struct {
	*emulator.Emulator
	key     emulator.Key
	kf      emulator.KeyFile
	keyFile string
	// market holds the replay while closed (quietMatch closes it): no
	// tick, so no resting order triggers or fills and no strategy enters
	// while the daemon is compared with the exchange.
	market *tickgate.Gate
}

// emuOptions adjust the test emulator.
type emuOptions struct {
	// speed is the replay speed (default 30: the 11-minute recording in
	// 22 s, looped).
	speed       float64
	canTransfer bool
	noTrade     bool
	rateLimits  emulator.RateLimits
	// candles seed the candles endpoint (the warm-up's history).
	candles []exchange.Candle
}

// startEmulator starts an emulator on loopback replaying the bundled
// BTC-USDT recording, and stops it, checking that it stopped, when the
// test ends.
func startEmulator(t *testing.T, o emuOptions) *emu {
	t.Helper()
	if o.speed == 0 {
		o.speed = 30
	}
	k, kf, err := emulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k.CanTransfer, k.CanTrade = o.canTransfer, !o.noTrade
	market := &tickgate.Gate{}
	e := emutest.Start(t, emulator.Options{
		Keys:       []emulator.Key{k},
		RateLimits: o.rateLimits,
		Candles:    o.candles,
		// Orders fill in parts, as on Coinbase: at most 0.002 BTC per
		// tick and price, so that the 0.003-0.005 BTC entries and exits
		// fill in two or more parts and market orders leave a cancelled
		// rest.
		PartialFills: true, MaxFillSize: decimal.RequireFromString("0.002"),
		Market: &emulator.Market{Speed: o.speed, Loop: true, Open: func() (marketdata.TickSource, error) {
			s, err := bundled.Open()
			if err != nil {
				return nil, err
			}
			return market.Source(s.TickStream()), nil
		}},
	}, market.Open)
	path := filepath.Join(t.TempDir(), "cdp_api_key.json")
	if err := emulator.WriteKeyFile(path, kf); err != nil {
		t.Fatal(err)
	}
	return &emu{Emulator: e, key: k, kf: kf, keyFile: path, market: market}
}

// The instances the tests run. Both trade often on the recording (bars of
// one second of wall time, thirty of the recording) and rest their stop
// on the exchange: brk places a bracket sell after its entry fills, att
// attaches the bracket to its entry order, so that Coinbase creates it.
const (
	brkInstance = `  - name: brk
    type: breakout
    product: BTC-USDT
    size: {base: 0.005}
    params: {entry_bars: 2, exit_bars: 2, interval: 1s}
    exits:
      placement: exchange
      stop_loss: {percent: 0.1}
      take_profit:
        - {percent: 0.15, close: 1}
      stop_limit_offset_percent: 0.5
`
	attInstance = `  - name: att
    type: breakout
    product: BTC-USDT
    size: {base: 0.003}
    params: {entry_bars: 3, exit_bars: 3, interval: 1s}
    exits:
      placement: exchange
      attach_to_entry: true
      stop_loss: {percent: 0.08}
      take_profit:
        - {percent: 0.08, close: 1}
`
)

// liveConfig is a live-mode config against the emulator running the
// brk instance, or the given instances; coinbaseExtra is appended under
// coinbase:.
func liveConfig(t *testing.T, e *emu, coinbaseExtra string, instances ...string) string {
	strategies := brkInstance
	if len(instances) > 0 {
		strategies = strings.Join(instances, "")
	}
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`mode: live
log: {format: json, level: info}
state_dir: %q
coinbase:
  rest_url: %s
  market_data_url: %s
  user_url: %s
  key_file: %q
%s
risk:
  time_zone: UTC
  stale_after: 30s
  limits: {max_order_notional: 2000, min_order_notional: 1, price_collar_pct: 5}
  account:
    max_position_notional: 5000
    max_exposure: 8000
    max_open_orders: 20
    max_entries_per_day: 1000
    orders_per_second: 10
    orders_per_minute: 300
  loss:
    daily_loss: {limit: 1000, action: HALTED, resume_next_day: true}
    max_drawdown: {limit: 2000, action: HALTED}
    max_consecutive_losses: {limit: 1000, action: REDUCING}
kill_switch: {file: "", signal: none}
strategies:
%s`, filepath.Join(dir, "state"), e.RESTURL(), e.MarketDataURL(), e.UserURL(), e.keyFile, coinbaseExtra, strategies)
	path := filepath.Join(dir, "tradebot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// daemon is a running `tradebot run` process.
type daemon struct {
	t       *testing.T
	cmd     *exec.Cmd
	metrics string // http://host:port/metrics
	mu      sync.Mutex
	stderr  bytes.Buffer
	exited  chan struct{}
	err     error
	// stateDir is the daemon's state_dir, as liveConfig writes it.
	stateDir string
}

// lockedWriter appends to the daemon's stderr buffer under its lock and
// watches for the start-up line.
type lockedWriter struct {
	d     *daemon
	lines chan string
	part  []byte
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.d.mu.Lock()
	w.d.stderr.Write(p)
	w.d.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- string(w.part[:i]):
		default:
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

// startDaemon runs `tradebot run --config cfg` and waits until it serves
// /metrics; it stops the process with SIGTERM when the test ends.
func startDaemon(t *testing.T, cfg string) *daemon {
	t.Helper()
	return startDaemonVia(t, cfg)
}

// startDaemonVia is startDaemon with the command line run through via
// (e.g. a shell that sets up the process first): via's words come before
// the tradebot command line.
func startDaemonVia(t *testing.T, cfg string, via ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, exited: make(chan struct{}), stateDir: filepath.Join(filepath.Dir(cfg), "state")}
	w := &lockedWriter{d: d, lines: make(chan string, 1024)}
	args := append(via, binary, "run", "--config", cfg, "--web.listen-address", "127.0.0.1:0")
	d.cmd = exec.Command(args[0], args[1:]...)
	d.cmd.Stderr = w
	d.cmd.Stdout = w
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		d.stop()
		// TRADEBOT_E2E_LOG keeps a failed run's full daemon log for reading.
		if p := os.Getenv("TRADEBOT_E2E_LOG"); p != "" && t.Failed() {
			_ = os.WriteFile(p, []byte(d.output()), 0o600)
		}
	})
	deadline := time.After(30 * time.Second)
	for d.metrics == "" {
		select {
		case line := <-w.lines:
			var rec struct {
				Msg     string `json:"msg"`
				Metrics string `json:"metrics"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "tradebot started" {
				d.metrics = rec.Metrics
			}
		case <-d.exited:
			t.Fatalf("tradebot exited before serving: %v\n%s", d.err, d.output())
		case <-deadline:
			t.Fatalf("tradebot did not start within 30s\n%s", d.output())
		}
	}
	return d
}

// stop sends SIGTERM and waits for a clean exit.
func (d *daemon) stop() {
	select {
	case <-d.exited:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if d.err != nil {
			d.t.Errorf("tradebot exited with %v after SIGTERM\n%s", d.err, d.output())
		}
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		d.t.Errorf("tradebot did not stop within 15s of SIGTERM\n%s", d.output())
	}
}

// waitUserChannel waits until the daemon's user channel is connected and
// its first reconciliation is over.
func (d *daemon) waitUserChannel() {
	d.t.Helper()
	waitFor(d.t, 20*time.Second, "the user channel's first reconciliation", func() bool {
		for _, rec := range d.logLines("reconciled orders with Coinbase") {
			if rec["reason"] == "connect" {
				return true
			}
		}
		return false
	})
}

// output returns everything the daemon wrote so far.
func (d *daemon) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// logLines returns the daemon's JSON log records whose msg is msg.
func (d *daemon) logLines(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(d.output()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// scrape is one /metrics body: its text and its samples by series
// ("name{label="v",...}" exactly as printed).
type scrape struct {
	body    string
	samples map[string]float64
}

func (d *daemon) scrape() scrape {
	d.t.Helper()
	resp, err := http.Get(d.metrics)
	if err != nil {
		d.t.Fatalf("GET %s: %v", d.metrics, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		d.t.Fatalf("GET %s: %d %v", d.metrics, resp.StatusCode, err)
	}
	s := scrape{body: string(b), samples: map[string]float64{}}
	for i, line := range strings.Split(s.body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if sp < 0 || err != nil {
			d.t.Fatalf("/metrics line %d: %q is not 'series value'", i+1, line)
		}
		s.samples[line[:sp]] = v
	}
	return s
}

// sum adds the samples of metric name whose series contains every part.
func (s scrape) sum(name string, parts ...string) (float64, bool) {
	total, found := 0.0, false
	for series, v := range s.samples {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		ok := true
		for _, p := range parts {
			if !strings.Contains(series, p) {
				ok = false
			}
		}
		if ok {
			total += v
			found = true
		}
	}
	return total, found
}

// waitFor polls cond every 100 ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package daemon_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/cli"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/daemon"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// stallGate holds the stalling strategy's OnTrade, and with it its
// instance's loop, until release: a strategy stuck in a loop, or waiting
// on something that never comes.
type stallGate struct {
	once      sync.Once
	entered   chan struct{} // closed when OnTrade first waits
	enteredAt time.Time     // when it did: set before entered is closed
	released  chan struct{} // closed by release
}

func (g *stallGate) wait() {
	g.once.Do(func() { g.enteredAt = time.Now(); close(g.entered) })
	<-g.released
}

func (g *stallGate) release() {
	select {
	case <-g.released:
	default:
		close(g.released)
	}
}

// gate is the one the strategy type stall_test waits on; a test sets it
// before it starts the daemon.
var (
	gateMu sync.Mutex
	gate   *stallGate
)

func currentGate() *stallGate {
	gateMu.Lock()
	defer gateMu.Unlock()
	return gate
}

type stallParams struct{}

func (*stallParams) Validate() []error                 { return nil }
func (*stallParams) Build() (strategy.Strategy, error) { return stallStrategy{}, nil }

// stallStrategy trades nothing; its first trade never returns until the
// test releases the gate.
type stallStrategy struct{}

func (stallStrategy) OnTrade(strategy.Context, *strategy.Tick) { currentGate().wait() }

func init() {
	strategy.Register(strategy.Type{Name: "stall_test", Summary: "blocks in its first OnTrade until the test releases it",
		NewParams: func() strategy.Params { return &stallParams{} }})
}

// stallConfig paper-trades the bundled recording with a strategy that
// trades normally (calm) and one whose loop the gate stops (stuck).
const stallConfig = `
mode: paper
web: {listen_address: "127.0.0.1:0"}
loop_stall_after: 5s
paper: {feed: replay, recording: bundled, speed: 60, exit_at_end: false, balances: {USDT: 10000}}
strategies:
  - name: calm
    type: sma_cross
    product: BTC-USDT
    size: {quote: 100}
    params: {fast: 3, slow: 10, interval: 5s}
    exits: {stop_loss: {percent: 1}}
  - name: stuck
    type: stall_test
    product: BTC-USDT
    size: {quote: 100}
    exits: {stop_loss: {percent: 1}}
`

// stallingDaemon is a paper daemon on stallConfig, with its gate.
type stallingDaemon struct {
	gate   *stallGate
	base   string // http://host:port of its HTTP server
	log    daemon.SyncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startStalling starts a daemon on stallConfig plus extra (YAML keys)
// with a fresh gate, and returns once it serves.
func startStalling(t *testing.T, extra string) *stallingDaemon {
	t.Helper()
	sd := &stallingDaemon{gate: &stallGate{entered: make(chan struct{}), released: make(chan struct{})}, done: make(chan error, 1)}
	gateMu.Lock()
	gate = sd.gate
	gateMu.Unlock()
	cfg, err := config.Load("stall.yaml", []byte(stallConfig+extra), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan net.Addr, 1)
	var ctx context.Context
	ctx, sd.cancel = context.WithCancel(context.Background())
	go func() {
		sd.done <- daemon.Run(ctx, daemon.Options{Config: cfg, Log: daemon.NewLogger(&sd.log, "json", "info"),
			Ready: func(a net.Addr) { ready <- a }})
	}()
	select {
	case a := <-ready:
		sd.base = "http://" + a.String()
	case err := <-sd.done:
		t.Fatalf("Run ended before serving: %v\n%s", err, sd.log.String())
	case <-time.After(30 * time.Second):
		sd.stop()
		t.Fatal("the daemon did not serve within 30 s")
	}
	return sd
}

// stop releases the gate, stops the daemon and returns what Run did.
func (sd *stallingDaemon) stop() error {
	sd.gate.release()
	sd.cancel()
	return <-sd.done
}

// get answers a GET of url: its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// health runs `tradebot health --url url` through the real command line.
func health(url string) (code int, out string) {
	var stdout, stderr strings.Builder
	code = cli.Run([]string{"tradebot", "health", "--url", url}, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

// A strategy instance whose loop stops turning (here: its strategy never
// returns from OnTrade) fails /healthz once loop_stall_after has passed,
// naming the loop and since when, so that `tradebot health` (the Docker
// HEALTHCHECK, the Kubernetes liveness probe) fails and the daemon is
// restarted; the metric shows the loop's age. The other instance's loop
// is not blamed. Once the loop turns again, /healthz answers ok. HALTED
// never fails /healthz: a halted daemon's loops turn and run its exits.
func TestStalledLoopFailsLivenessUntilItTurnsAgain(t *testing.T) {
	sd := startStalling(t, "")
	defer func() {
		if err := sd.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	g, base, logBuf := sd.gate, sd.base, &sd.log

	// Alive, and HALTED does not change that.
	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz of a fresh daemon: %d %q", code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/killswitch?reason=liveness+test", nil)
	req.Header.Set(risk.ControlHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "HALTED") {
		t.Fatalf("/readyz of a HALTED daemon: %d %q, want 503 naming HALTED", code, body)
	}
	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz of a HALTED daemon: %d %q, want 200", code, body)
	}

	select {
	case <-g.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the stalling strategy never got a trade")
	}
	// Taken by the strategy, not here: a test goroutine that a loaded
	// machine runs late would see the stall start late.
	stalledAt := g.enteredAt
	var body string
	for {
		var code int
		code, body = get(t, base+"/healthz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if code != http.StatusOK {
			t.Fatalf("/healthz: %d %q", code, body)
		}
		if time.Since(stalledAt) > 30*time.Second {
			t.Fatalf("/healthz still answers ok 30 s into a stall with loop_stall_after 5s: %q", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The loop last turned at most a second before the strategy blocked.
	if waited := time.Since(stalledAt); waited < 3*time.Second {
		t.Errorf("/healthz failed %s into the stall, before loop_stall_after (5s)", waited)
	}
	if !strings.HasPrefix(body, "not live: the loop of strategy stuck has not turned since ") ||
		!strings.Contains(body, "loop_stall_after 5s") || strings.Contains(body, "calm") {
		t.Errorf("/healthz during the stall says %q, want the stuck loop named with since when, and not the calm one", body)
	}
	if code, out := health(base + "/healthz"); code == 0 || !strings.Contains(out, "HTTP 503") || !strings.Contains(out, "strategy stuck") {
		t.Errorf("tradebot health during the stall: exit %d, %q; want non-zero naming the stuck loop", code, out)
	}
	_, metricsText := get(t, base+"/metrics")
	if age := loopAge(t, metricsText, "stuck"); age < 4.5 {
		t.Errorf("tradebot_loop_last_turn_age_seconds of the stuck loop is %g during the stall, want 5 or more", age)
	}
	if age := loopAge(t, metricsText, "calm"); age >= 5 {
		t.Errorf("tradebot_loop_last_turn_age_seconds of the calm loop is %g, want about 1 (under loop_stall_after's 5 s even on a loaded machine)", age)
	}
	get(t, base+"/healthz") // a second probe logs nothing new
	if n := strings.Count(logBuf.String(), "a strategy's loop is stuck; /healthz"); n != 1 {
		t.Errorf("the stall is logged %d times, want once:\n%s", n, logBuf.String())
	}
	// With where it is stuck: the stuck strategy's frame in the loops'
	// stacks, and no goroutine that is not a loop.
	if n := strings.Count(logBuf.String(), "where the strategies' loops are now"); n != 1 {
		t.Errorf("the loops' stacks are logged %d times, want once", n)
	}
	for line := range strings.SplitSeq(logBuf.String(), "\n") {
		if strings.Contains(line, "where the strategies' loops are now") {
			if !strings.Contains(line, "stallStrategy.OnTrade") || !strings.Contains(line, "engine.(*Instance).run(") {
				t.Errorf("the stall's stacks do not show where the loop is stuck: %.2000s", line)
			}
			if strings.Contains(line, "net/http.(*conn).serve") {
				t.Errorf("the stall's stacks hold goroutines that are not loops: %.2000s", line)
			}
		}
	}

	g.release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get(t, base+"/healthz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still %d %q 10 s after the loop was released", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, out := health(base + "/healthz"); code != 0 {
		t.Errorf("tradebot health after the stall: exit %d, %q", code, out)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "HALTED") {
		t.Errorf("/readyz after the stall: %d %q, want still 503 HALTED (a live loop resumes nothing)", code, body)
	}
}

// loopAge reads tradebot_loop_last_turn_age_seconds of the instance name
// from a /metrics page.
func loopAge(t *testing.T, page, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "tradebot_loop_last_turn_age_seconds{") && strings.Contains(line, `strategy="`+name+`"`) {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("no tradebot_loop_last_turn_age_seconds for %s on /metrics", name)
	return 0
}

// A stop (SIGTERM) while a loop is stuck cannot park that loop's stop nor
// end it: the daemon waits shutdown_timeout for it, then exits without
// it within seconds, naming it in the log and in Run's error (exit 1),
// instead of hanging until the supervisor's SIGKILL; the next start
// re-arms its protection from the journal.
func TestStopWithAStuckLoopEndsInBoundedTimeNamingTheLoop(t *testing.T) {
	sd := startStalling(t, "shutdown_timeout: 1s\n")
	defer sd.gate.release()
	select {
	case <-sd.gate.entered:
	case <-time.After(30 * time.Second):
		sd.stop()
		t.Fatal("the stalling strategy never got a trade")
	}
	start := time.Now()
	sd.cancel()
	var err error
	select {
	case err = <-sd.done:
	case <-time.After(30 * time.Second):
		sd.gate.release()
		<-sd.done
		t.Fatalf("Run did not return within 30 s of a stop with a stuck loop (shutdown_timeout 1s)")
	}
	t.Logf("stopped in %s: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil || !strings.Contains(err.Error(), "the loop of strategy stuck did not end") || strings.Contains(err.Error(), "calm") {
		t.Errorf("Run after a stop with a stuck loop: %v, want an error naming the stuck loop only", err)
	}
	if !strings.Contains(sd.log.String(), "stopping: a strategy's loop is stuck") {
		t.Errorf("the log does not name the stuck loop:\n%s", sd.log.String())
	}
}

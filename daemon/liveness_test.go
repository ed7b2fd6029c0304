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
	once     sync.Once
	entered  chan struct{} // closed when OnTrade first waits
	released chan struct{} // closed by release
}

func (g *stallGate) wait() {
	g.once.Do(func() { close(g.entered) })
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
	g := &stallGate{entered: make(chan struct{}), released: make(chan struct{})}
	gateMu.Lock()
	gate = g
	gateMu.Unlock()
	defer g.release()

	cfg, err := config.Load("stall.yaml", []byte(stallConfig), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var logBuf daemon.SyncBuffer
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Options{Config: cfg, Log: daemon.NewLogger(&logBuf, "json", "info"),
			Ready: func(a net.Addr) { ready <- a }})
	}()
	defer func() {
		g.release()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("Run ended before serving: %v\n%s", err, logBuf.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not serve within 30 s")
	}

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

	select {
	case <-g.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the stalling strategy never got a trade")
	}
	stalledAt := time.Now()
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
	if waited := time.Since(stalledAt); waited < 4*time.Second {
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
	if age := loopAge(t, metricsText, "stuck"); age < 4 {
		t.Errorf("tradebot_loop_last_turn_age_seconds of the stuck loop is %g during the stall, want 4 or more", age)
	}
	if age := loopAge(t, metricsText, "calm"); age > 3 {
		t.Errorf("tradebot_loop_last_turn_age_seconds of the calm loop is %g, want about 1", age)
	}
	get(t, base+"/healthz") // a second probe logs nothing new
	if n := strings.Count(logBuf.String(), "a strategy's loop is stuck"); n != 1 {
		t.Errorf("the stall is logged %d times, want once:\n%s", n, logBuf.String())
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

package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/config"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func exampleConfig(t *testing.T, tweak func(*config.Config)) *config.Config {
	t.Helper()
	cfg, err := config.Load("config.example.yaml", tradebot.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Web.ListenAddress = "127.0.0.1:0"
	if tweak != nil {
		tweak(cfg)
	}
	return cfg
}

func records(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, r)
	}
	return out
}

// The shipped demo (the example config, the embedded default of `tradebot
// run`) shows entries, stops and targets on the bundled recording and
// stays ACTIVE to its end: a demo that moved to REDUCING would trip the
// TradingStateNotActive alert for good. Lockstep makes the trades those
// of a backtest, the same on every run.
func TestPaperReplayTradesTheBundledRecordingToTheEnd(t *testing.T) {
	cfg := exampleConfig(t, func(c *config.Config) {
		c.Paper.Speed = 0
		c.Paper.ExitAtEnd = true
		c.Paper.Lockstep = true
	})
	var logBuf syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := Run(ctx, Options{Config: cfg, Log: NewLogger(&logBuf, "json", "info"), Version: "test"})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, logBuf.String())
	}
	var entries, notPlaced, closed int
	reasons := map[string]int{}
	for _, r := range records(t, logBuf.String()) {
		switch r["msg"] {
		case "entry":
			entries++
		case "entry not placed":
			notPlaced++
		case "position closed":
			closed++
			reasons[r["exit_reason"].(string)]++
		case "trading state changed":
			t.Errorf("the demo left ACTIVE: %v", r)
		}
	}
	if entries == 0 || closed == 0 {
		t.Fatalf("%d entries, %d closed positions; log:\n%s", entries, closed, logBuf.String())
	}
	if reasons["stop_loss"] == 0 || reasons["take_profit"] == 0 {
		t.Errorf("the demo shows no stop-loss or no take-profit: exits by reason %v", reasons)
	}
	// README.md ("What you see") gives these figures.
	want := map[string]int{"stop_loss": 4, "take_profit": 1, "trailing_stop": 1, "signal": 2}
	if entries != 9 || notPlaced != 1 || closed != 8 || !maps.Equal(reasons, want) {
		t.Errorf("%d entries, %d not placed, %d closed by %v; README.md says 9, 1, 8 by %v", entries, notPlaced, closed, reasons, want)
	}
	t.Logf("%d entries, exits by reason %v", entries, reasons)
}

func TestShutdownOnCancelIsQuickAndLeavesNoGoroutine(t *testing.T) {
	cfg := exampleConfig(t, nil)
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Log: NewLogger(os.Stderr, "text", "warn"), Ready: func(a net.Addr) { ready <- a }})
	}()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run ended before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not start")
	}
	// Stopped while it trades: once the replay's ticks reach it.
	for deadline := time.Now().Add(30 * time.Second); !ticked(t, addr); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no tick counted on /metrics 30 s after the start")
		}
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(quietStopWithin + time.Second):
		t.Fatal("daemon did not stop in time")
	}
	t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
}

// ticked reports whether the daemon serving at addr has counted a tick of
// its feed (tradebot_feed_ticks_total).
func ticked(t *testing.T, addr net.Addr) bool {
	t.Helper()
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "tradebot_feed_ticks_total{"); ok && !strings.HasSuffix(v, " 0") {
			return true
		}
	}
	return false
}

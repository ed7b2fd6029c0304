package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// run runs `tradebot ARGS...` in this process.
func run(args []string, stdout, stderr io.Writer) int {
	return Run(append([]string{"tradebot"}, args...), stdout, stderr)
}

// buildBinary compiles tradebot once per test binary run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tradebot-bin-")
	if err != nil {
		return "", err
	}
	return testenv.BuildTradebot(dir, true)
})

func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatalf("build tradebot: %v", err)
	}
	return bin
}

// logLine is a JSON log record of the daemon.
type logLine map[string]any

// TestNewcomerRunPaperTradesAndStopsOnSIGTERM runs the README's command as
// a newcomer would (no config, no key, no network): the log shows entries
// and exits, at least one by stop-loss or take-profit; /metrics shows a
// position or PnL while it runs; SIGTERM ends it with code 0 within 5 s.
func TestNewcomerRunPaperTradesAndStopsOnSIGTERM(t *testing.T) {
	cmd := exec.Command(binary(t), "run", "--log.format", "json", "--web.listen-address", "127.0.0.1:0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+cmd.Dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan logLine, 1024)
	var raw bytes.Buffer
	var rawMu sync.Mutex
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			rawMu.Lock()
			raw.Write(sc.Bytes())
			raw.WriteByte('\n')
			rawMu.Unlock()
			var l logLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				lines <- l
			}
		}
	}()
	dump := func() string { rawMu.Lock(); defer rawMu.Unlock(); return raw.String() }

	var metricsURL string
	entries, exits := 0, map[string]int{}
	sawMetric := false
	deadline := time.After(90 * time.Second)
	for !(entries > 0 && exits["stop_loss"]+exits["take_profit"] > 0 && sawMetric) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("daemon ended early:\n%s", dump())
			}
			switch l["msg"] {
			case "tradebot started":
				metricsURL, _ = l["metrics"].(string)
			case "entry":
				entries++
			case "position closed":
				r, _ := l["exit_reason"].(string)
				exits[r]++
			}
		case <-deadline:
			t.Fatalf("after 90s: %d entries, exits %v, metric seen %v; log:\n%s", entries, exits, sawMetric, dump())
		}
		if metricsURL != "" && !sawMetric && entries > 0 {
			sawMetric = metricShowsTrading(t, metricsURL)
		}
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, dump())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5s after SIGTERM:\n%s", dump())
	}
	t.Logf("%d entries, exits %v, stopped %s after SIGTERM", entries, exits, time.Since(start).Round(time.Millisecond))
}

var seriesLine = regexp.MustCompile(`^(tradebot_position_size|tradebot_realized_pnl|tradebot_unrealized_pnl)\{[^}]*\} (\S+)$`)

// metricShowsTrading reports whether /metrics shows a non-zero position
// size or PnL.
func metricShowsTrading(t *testing.T, url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if m := seriesLine.FindStringSubmatch(line); m != nil {
			if v, err := strconv.ParseFloat(m[2], 64); err == nil && v != 0 {
				return true
			}
		}
	}
	return false
}

func TestCheckListsEveryProblemAndExitsNonZero(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte(`mode: paper
paper:
  sped: 10
strategies:
  - name: a
    type: sma_cross
    product: BTC-USD
    size: {quote: 100}
    params: {fast: 30, slow: 10}
    exits: {stop_loss: {percent: 1}}
  - name: b
    type: breakout
    product: BTC-USD
    size: {quote: 100, base: 1}
    exits: {stop_loss: {percent: 1}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"check", "--config", path}, &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
	}
	for _, want := range []string{"line 3: paper.sped", "line 9: strategies[0].params.slow", "line 14: strategies[1].size"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestCheckAcceptsTheExample(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "--config", "../config.example.yaml"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, stderr.String())
	}
}

package deploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tradebot/tradebot/internal/testenv"
)

// TestPrometheusScrapesAPaperTradingDaemon runs the real thing: the daemon
// built from ./cmd/tradebot paper-trades the bundled recording with the
// example configuration, a real Prometheus (Debian's package) scrapes it
// every second on loopback, and the test reads a position metric and the
// tick-to-order histogram back through Prometheus' HTTP API.
func TestPrometheusScrapesAPaperTradingDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon and Prometheus; skipped in -short mode")
	}
	prometheusBin := testenv.Program(t, "prometheus", "prometheus")
	goBin := testenv.Program(t, "go", "golang-go")
	root := testenv.RepoRoot()
	dir := t.TempDir()

	daemonBin := filepath.Join(dir, "tradebot")
	build := exec.Command(goBin, "build", "-o", daemonBin, "./cmd/tradebot")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("./cmd/tradebot does not build yet, so the daemon cannot be scraped: %v\n%s", err, out)
		if os.Getenv(testenv.RequireAllVariable) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	daemonAddr := freeLoopbackAddr(t)
	startProcess(t, dir, "tradebot", daemonBin, "run",
		"--config", filepath.Join(root, "config.example.yaml"),
		"--web.listen-address", daemonAddr,
		"--log.format", "json")
	waitHTTP(t, "http://"+daemonAddr+"/healthz", 30*time.Second)

	promAddr := freeLoopbackAddr(t)
	promConfig := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promConfig, fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tradebot
    static_configs:
      - targets: [%q]
`, daemonAddr))
	startProcess(t, dir, "prometheus", prometheusBin,
		"--config.file="+promConfig,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr,
		"--web.console.templates="+dir, "--web.console.libraries="+dir)
	api := "http://" + promAddr

	checks := []struct {
		name, query string
		ok          func(v float64) bool
	}{
		{"Prometheus scrapes the daemon", `up{job="tradebot"}`, func(v float64) bool { return v == 1 }},
		{"a position metric is exposed per configured instance", `count(tradebot_position_size{job="tradebot"})`, func(v float64) bool { return v >= 1 }},
		{"a position was open at some scrape", `max(max_over_time(tradebot_position_size{job="tradebot"}[10m]))`, func(v float64) bool { return v > 0 }},
		{"the example strategies placed orders", `sum(tradebot_orders_total{job="tradebot",status="submitted"})`, func(v float64) bool { return v >= 1 }},
		{"tick-to-order latencies were observed", `sum(tradebot_tick_to_order_seconds_count{job="tradebot"})`, func(v float64) bool { return v >= 1 }},
		{"the replayed feed delivered ticks", `sum(tradebot_feed_ticks_total{job="tradebot"})`, func(v float64) bool { return v > 100 }},
		{"no position is ever unprotected", `max_over_time(tradebot_positions_unprotected{job="tradebot"}[5m])`, func(v float64) bool { return v == 0 }},
	}
	// What the live daemon exposes passes promtool's lint as well as the
	// populated registry of the metrics package does.
	promtool(t, dir, fetch(t, "http://"+daemonAddr+"/metrics"), "check", "metrics")

	deadline := time.Now().Add(2 * time.Minute)
	for _, c := range checks {
		var last string
		for {
			v, err := queryScalar(api, c.query)
			if err == nil && c.ok(v) {
				t.Logf("%s: %s = %v", c.name, c.query, v)
				break
			}
			last = fmt.Sprintf("value %v, error %v", v, err)
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s never passed; last %s (logs in %s)", c.name, c.query, last, dir)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// fetch returns the body of a GET of url.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}

// queryScalar runs an instant query and returns the value of its single
// result.
func queryScalar(api, query string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return 0, err
	}
	// No keep-alive: an idle connection's goroutines would outlive the test.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("query %s: %w", query, err)
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("query %s: %s", query, body.Error)
	}
	if len(body.Data.Result) != 1 {
		return 0, fmt.Errorf("query %s: %d results, want 1", query, len(body.Data.Result))
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}

// startProcess starts a program with its output in dir/name.log and stops
// it with SIGTERM when the test ends, failing the test if it does not exit
// cleanly within ten seconds.
func startProcess(t *testing.T, dir, name, bin string, args ...string) {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile // files, not pipes: no copying goroutines
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		defer logFile.Close()
		select {
		case err := <-done:
			t.Errorf("%s exited before the test ended: %v (log %s)", name, err, logPath)
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Errorf("%s exited with %v on SIGTERM, want 0 (log %s)", name, err, logPath)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%s did not stop within 10s of SIGTERM (log %s)", name, logPath)
		}
	})
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitHTTP polls url until it answers 200.
func waitHTTP(t *testing.T, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %v: %v", url, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

package metrics_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/metrics/metricstest"
)

// startServer serves cfg on a free loopback port until the test ends and
// returns its base URL.
func startServer(t *testing.T, cfg metrics.ServerConfig) string {
	t.Helper()
	return "http://" + serveOnLoopback(t, cfg).Addr().String()
}

// serveOnLoopback serves cfg on a free loopback port until the test ends.
func serveOnLoopback(t *testing.T, cfg metrics.ServerConfig) *metrics.Server {
	t.Helper()
	cfg.ListenAddress = "127.0.0.1:0"
	s, err := metrics.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after its context ended, want nil", err)
		}
	})
	return s
}

// get fetches url with optional basic-auth credentials and returns the
// status and body.
func get(t *testing.T, url, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	// Generous: an unknown user costs a bcrypt check at cost 10, seconds under
	// the race detector on a loaded machine.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// killSwitch stands in for the engine's handler: the server must protect
// whatever the engine mounts.
var killSwitch = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	io.WriteString(w, "kill switch disengaged\n")
})

func TestServerServesMetricsHealthAndReadiness(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, _, err := metricstest.Populate(reg); err != nil {
		t.Fatal(err)
	}
	ready := errors.New("feed not connected")
	base := startServer(t, metrics.ServerConfig{
		Gatherer: reg,
		Ready:    func() error { return ready },
		Handlers: map[string]http.Handler{"/killswitch": killSwitch},
	})
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/metrics", 200, "tradebot_position_size{product=\"BTC-USD\",strategy=\"sma_cross\"} 0.01"},
		{"/healthz", 200, "ok"},
		{"/readyz", 503, "feed not connected"},
		{"/killswitch", 200, "kill switch"},
		{"/nothing", 404, ""},
	}
	for _, tt := range tests {
		status, body := get(t, base+tt.path, "", "")
		if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, status, firstLine(body), tt.wantStatus, tt.wantBody)
		}
	}
	ready = nil
	if status, _ := get(t, base+"/readyz", "", ""); status != 200 {
		t.Errorf("GET /readyz when ready = %d, want 200", status)
	}
}

// /healthz answers 503 with the reason while the daemon's liveness check
// fails (a trading loop is stuck), ok again once it passes; /readyz does
// not change with it.
func TestHealthzFailsWhileTheLivenessCheckFails(t *testing.T) {
	var stuck atomic.Bool
	base := startServer(t, metrics.ServerConfig{Live: func() error {
		if stuck.Load() {
			return errors.New("the loop of strategy s1 has not turned since 2026-12-07T06:00:00Z (6m0s ago; loop_stall_after 5m0s)")
		}
		return nil
	}})
	for _, c := range []struct {
		stuck      bool
		wantStatus int
		wantBody   string
	}{
		{false, 200, "ok\n"},
		{true, 503, "not live: the loop of strategy s1 has not turned since 2026-12-07T06:00:00Z (6m0s ago; loop_stall_after 5m0s)\n"},
		{false, 200, "ok\n"},
	} {
		stuck.Store(c.stuck)
		if status, body := get(t, base+"/healthz", "", ""); status != c.wantStatus || body != c.wantBody {
			t.Errorf("stuck %v: GET /healthz = %d %q, want %d %q", c.stuck, status, body, c.wantStatus, c.wantBody)
		}
		if status, body := get(t, base+"/readyz", "", ""); status != 200 || body != "ready\n" {
			t.Errorf("stuck %v: GET /readyz = %d %q, want 200 ready", c.stuck, status, body)
		}
	}
}

// With Starting set, the server answers from before start-up is done:
// /healthz 200 "starting" with the step (503 once Starting reports a
// start-up that no longer progresses), /readyz 503 "starting", and
// neither asks Live or Ready, whose state start-up is still building;
// after Started they do.
func TestProbesDuringStartUpSayStartingUntilStarted(t *testing.T) {
	var stalled, asked atomic.Bool
	s := serveOnLoopback(t, metrics.ServerConfig{
		Starting: func() (string, error) {
			if stalled.Load() {
				return "recovering", errors.New("start-up has been recovering for 5m0s")
			}
			return "recovering", nil
		},
		Live:  func() error { asked.Store(true); return nil },
		Ready: func() error { asked.Store(true); return nil },
	})
	base := "http://" + s.Addr().String()
	started := false
	for _, c := range []struct {
		stalled, started bool
		path             string
		wantStatus       int
		wantBody         string
	}{
		{false, false, "/healthz", 200, "starting: recovering\n"},
		{false, false, "/readyz", 503, "not ready: starting: recovering\n"},
		{true, false, "/healthz", 503, "not live: start-up has been recovering for 5m0s\n"},
		{true, false, "/readyz", 503, "not ready: starting: recovering\n"},
		{false, true, "/healthz", 200, "ok\n"},
		{false, true, "/readyz", 200, "ready\n"},
	} {
		stalled.Store(c.stalled)
		if c.started && !started {
			if asked.Load() {
				t.Fatal("Live or Ready was asked during start-up")
			}
			s.Started()
			started = true
		}
		if status, body := get(t, base+c.path, "", ""); status != c.wantStatus || body != c.wantBody {
			t.Errorf("stalled %v, started %v: GET %s = %d %q, want %d %q", c.stalled, c.started, c.path, status, body, c.wantStatus, c.wantBody)
		}
	}
	if !asked.Load() {
		t.Error("Live and Ready were not asked after Started")
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeWebConfig writes an exporter-toolkit web config with one basic-auth
// user and returns its path.
func writeWebConfig(t *testing.T, user, pass string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "web.yml")
	cfg := "basic_auth_users:\n  " + user + ": " + string(hash) + "\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBasicAuthProtectsMetricsAndTheKillSwitchAlike(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, _, err := metricstest.Populate(reg); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, metrics.ServerConfig{
		WebConfigFile: writeWebConfig(t, "prometheus", "s3cret-pass"),
		Gatherer:      reg,
		Handlers:      map[string]http.Handler{"/killswitch": killSwitch},
	})
	for _, path := range []string{"/metrics", "/killswitch", "/healthz", "/readyz"} {
		for _, c := range []struct {
			name       string
			user, pass string
			want       int
		}{
			{"no credentials", "", "", http.StatusUnauthorized},
			{"wrong password", "prometheus", "guess", http.StatusUnauthorized},
			{"unknown user", "admin", "s3cret-pass", http.StatusUnauthorized},
			{"right credentials", "prometheus", "s3cret-pass", http.StatusOK},
		} {
			status, body := get(t, base+path, c.user, c.pass)
			if status != c.want {
				t.Errorf("GET %s with %s = %d, want %d", path, c.name, status, c.want)
			}
			if strings.Contains(body, "s3cret-pass") {
				t.Errorf("GET %s with %s echoed the password", path, c.name)
			}
		}
	}
}

func TestListenRejectsABrokenWebConfigBeforeServing(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
	}{
		{"unknown key", "basic_auth_user:\n  a: b\n"},
		{"TLS key without certificate", "tls_server_config:\n  key_file: " + filepath.Join(dir, "missing.key") + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yml")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := metrics.Listen(metrics.ServerConfig{ListenAddress: "127.0.0.1:0", WebConfigFile: path})
			if err == nil {
				t.Fatalf("Listen accepted %s (serving on %s)", tt.name, s.Addr())
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := metrics.Listen(metrics.ServerConfig{ListenAddress: "127.0.0.1:0", WebConfigFile: filepath.Join(dir, "absent.yml")}); err == nil {
		t.Error("Listen accepted a missing web config file")
	}
}

func TestListenReportsABusyPort(t *testing.T) {
	s, err := metrics.Listen(metrics.ServerConfig{ListenAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	addr := s.Addr().String()
	if _, err := metrics.Listen(metrics.ServerConfig{ListenAddress: addr}); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("second Listen on %s: err = %v, want one naming the address", addr, err)
	}
}

func TestServeReturnsPromptlyWhenTheContextEnds(t *testing.T) {
	s, err := metrics.Listen(metrics.ServerConfig{ListenAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	if status, _ := get(t, "http://"+s.Addr().String()+"/healthz", "", ""); status != 200 {
		t.Fatalf("healthz = %d", status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5s of its context ending")
	}
}

func TestRegisterFlagsDefaultsToLoopbackAndParsesExporterFlags(t *testing.T) {
	var cfg metrics.ServerConfig
	fs := flag.NewFlagSet("tradebot", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if cfg.ListenAddress != "127.0.0.1:9464" {
		t.Errorf("default listen address %q, want 127.0.0.1:9464", cfg.ListenAddress)
	}
	if err := fs.Parse([]string{"--web.listen-address=0.0.0.0:9999", "--web.config.file", "/etc/tradebot/web.yml"}); err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddress != "0.0.0.0:9999" || cfg.WebConfigFile != "/etc/tradebot/web.yml" {
		t.Errorf("parsed %+v", cfg)
	}
}

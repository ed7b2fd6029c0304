package daemon

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The HTTP server answers from the start of start-up, which waits on
// Coinbase (here a slow one: each request answers after 700ms): /healthz
// says the process is alive and starting, with the step, /readyz and
// /killswitch refuse with 503 saying so; once start-up is done they answer
// as the running daemon does. It used to bind only at the end of
// start-up, so that nothing answered for its minutes.
func TestHealthzAnswersStartingDuringStartUp(t *testing.T) {
	w := newLiveWorld(t, false)
	w.e.Delay(700 * time.Millisecond)
	cfg := w.config("exchange")
	cfg.StateDir = t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Web.ListenAddress = l.Addr().String()
	l.Close()
	base := "http://" + cfg.Web.ListenAddress
	log := &syncBuffer{}
	served := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Log: NewLogger(log, "json", "info"), Version: "test",
			Ready: func(a net.Addr) { served <- a }})
	}()
	get := func(path string) (int, string, error) {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	var code int
	var body string
	for deadline := time.Now().Add(3 * time.Second); ; {
		if code, body, err = get("/healthz"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz does not answer 3 s into start-up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != http.StatusOK || !strings.HasPrefix(body, "starting: ") {
		t.Errorf("/healthz during start-up: %d %q, want 200 starting: <step>", code, body)
	}
	if code, body, _ := get("/readyz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready: starting: ") {
		t.Errorf("/readyz during start-up: %d %q, want 503 not ready: starting: <step>", code, body)
	}
	if code, body, _ := get("/killswitch"); code != http.StatusServiceUnavailable || !strings.Contains(body, "once start-up is done") {
		t.Errorf("/killswitch during start-up: %d %q, want 503 saying it answers once start-up is done", code, body)
	}
	select {
	case <-served:
		t.Fatal("start-up was over before the probes above: they did not test it")
	case err := <-done:
		t.Fatalf("Run ended during start-up: %v\n%s", err, log.String())
	default:
	}
	select {
	case <-served:
	case err := <-done:
		t.Fatalf("Run ended during start-up: %v\n%s", err, log.String())
	case <-time.After(60 * time.Second):
		t.Fatal("start-up did not finish within 60 s")
	}
	if code, body, err := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz once started: %d %q %v, want 200 ok", code, body, err)
	}
	if code, body, err := get("/killswitch"); code != http.StatusOK || !strings.Contains(body, "ACTIVE") {
		t.Errorf("/killswitch once started: %d %q %v, want the trading state", code, body, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

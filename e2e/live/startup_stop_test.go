package live

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAFailedStartWithASIGTERMExitsNonZero runs `tradebot run` in live
// mode and sends SIGTERM while its start-up fetches the warm-up's history
// from Coinbase; the start then fails for a reason of its own: its
// kill_switch.socket is served by another process (armed after the
// warm-up; a taken HTTP address fails the start before it, as the daemon
// binds it first). The command must exit
// non-zero naming the socket, not 0 as for a stop: it used to take any
// start-up error that arrived after a stop signal for the stop, so
// systemd saw a clean exit and the operator no failure. (A SIGTERM whose
// only effect is to cut start-up short still exits 0:
// daemon.TestAStopDuringStartUpIsACleanStop.)
func TestAFailedStartWithASIGTERMExitsNonZero(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	target, err := url.Parse(e.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	// The proxy stops the daemon at its first candles request and answers
	// once the daemon has given up on it: the stop has certainly arrived
	// before the steps that follow the warm-up run.
	procs := make(chan *os.Process, 1)
	proxied := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/candles") {
			proxied.ServeHTTP(w, r)
			return
		}
		select {
		case p := <-procs:
			_ = p.Signal(syscall.SIGTERM)
		default:
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		http.Error(w, "stopped", http.StatusServiceUnavailable)
	}))
	t.Cleanup(proxy.Close)

	dir, err := os.MkdirTemp("", "ks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "ks.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	// A one-minute breakout warms up from Coinbase's candles.
	inst := strings.Replace(brkInstance, "interval: 1s", "interval: 1m", 1)
	cfgPath := liveConfig(t, e, "", inst)
	doc, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	doc = bytes.Replace(doc, []byte(e.RESTURL()), []byte(proxy.URL+strings.TrimPrefix(e.RESTURL(), e.BaseURL())), 1)
	doc = bytes.Replace(doc, []byte(`kill_switch: {file: "", signal: none}`),
		[]byte(`kill_switch: {file: "", signal: none, socket: "`+sock+`"}`), 1)
	if err := os.WriteFile(cfgPath, doc, 0o600); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	cmd := exec.Command(binary, "run", "--config", cfgPath, "--web.listen-address", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	procs <- cmd.Process
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("tradebot did not end within 60s\n%s", out.String())
	}
	log := out.String()
	if !strings.Contains(log, "history for the warm-up failed") {
		t.Fatalf("the stop did not land in the warm-up (the test's premise)\n%s", log)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("tradebot exited with %v after a failed start that a SIGTERM met, want a non-zero code\n%s", err, log)
	}
	if !strings.Contains(log, "in use by a running process") {
		t.Errorf("the output does not name the failure (the socket in use)\n%s", log)
	}
	if strings.Contains(log, "stopped during start-up") {
		t.Errorf("the log calls the failure a stop\n%s", log)
	}
}

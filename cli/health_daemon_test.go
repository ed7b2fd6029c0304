package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/risk"
)

// daemonProcess is a `tradebot run` started by a test.
type daemonProcess struct {
	cmd  *exec.Cmd
	addr string // host:port of its HTTP server
	done chan struct{}
	mu   sync.Mutex
	log  bytes.Buffer
}

// startDaemon runs the built binary on cfg with its HTTP server on a free
// loopback port, and returns once the server is bound.
func startDaemon(t *testing.T, cfg string) *daemonProcess {
	t.Helper()
	d := &daemonProcess{cmd: exec.Command(binary(t), "run", "--config", cfg, "--log.format", "json", "--web.listen-address", "127.0.0.1:0"),
		done: make(chan struct{})}
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	bound := make(chan string, 1)
	go func() {
		defer close(d.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			d.mu.Lock()
			d.log.Write(sc.Bytes())
			d.log.WriteByte('\n')
			d.mu.Unlock()
			var l struct{ Msg, Metrics string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "tradebot started" {
				bound <- l.Metrics
			}
		}
	}()
	select {
	case m := <-bound:
		u, err := url.Parse(m)
		if err != nil {
			t.Fatalf("the start-up line's metrics URL %q: %v", m, err)
		}
		d.addr = u.Host
	case <-d.done:
		t.Fatalf("the daemon ended before it served:\n%s", d.logText())
	case <-time.After(60 * time.Second):
		t.Fatalf("the daemon did not serve within 60 s:\n%s", d.logText())
	}
	return d
}

func (d *daemonProcess) logText() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// stop ends the daemon with SIGTERM, as docker stop and systemd do, and
// waits for it; a second call does nothing.
func (d *daemonProcess) stop(t *testing.T) {
	t.Helper()
	if d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		t.Errorf("the daemon did not stop within 30 s of SIGTERM:\n%s", d.logText())
	}
	d.cmd.Wait()
}

// healthOf runs `tradebot health` with args in this process.
func healthOf(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(append([]string{"health"}, args...), &out, &errOut)
	return code, strings.TrimSpace(out.String()), errOut.String()
}

// A real daemon, in each state, as `tradebot health` with the image's
// HEALTHCHECK flags (liveness) and with /readyz (readiness, alerting)
// sees it: ready, both pass; HALTED by the kill switch, the liveness
// check still passes (nothing restarts the daemon) while /readyz fails
// naming the halt; restarted, as an orchestrator would, it is HALTED
// still (the journal keeps the state, so a restart clears no halt a human
// must look at), shows it on /readyz and in its metrics, and the
// liveness check passes; stopped, both fail.
func TestHealthOfARealDaemonInEachState(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon twice")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	doc := strings.Replace(string(tradebot.ExampleConfig), `state_dir: ""`, "state_dir: "+filepath.Join(dir, "state"), 1)
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	argv, at := dockerHealthcheck(t)

	d := startDaemon(t, cfg)
	live := withURL(t, argv, at, d.addr)[2:]
	ready := []string{"--url", "http://" + d.addr + "/readyz"}
	waitReady(t, d, ready)
	if code, out, errOut := healthOf(live...); code != 0 || out != "ok" {
		t.Errorf("ready daemon, the HEALTHCHECK's flags: exit %d, %q %q; want 0 and ok", code, out, errOut)
	}

	req, _ := http.NewRequest(http.MethodPost, "http://"+d.addr+"/killswitch?reason=going+to+bed", nil)
	req.Header.Set(risk.ControlHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /killswitch: %s", resp.Status)
	}
	checkHalted := func(when string) {
		t.Helper()
		if code, out, errOut := healthOf(live...); code != 0 || out != "ok" {
			t.Errorf("%s, the HEALTHCHECK's flags: exit %d, %q %q; want 0 and ok: a restart would not mend the halt", when, code, out, errOut)
		}
		// A restarted daemon may not be ready for other reasons as well
		// (its replay starting), which /readyz names first.
		if code, _, errOut := healthOf(ready...); code != 1 || !strings.Contains(errOut, "HTTP 503: not ready: ") ||
			!strings.Contains(errOut, "trading is HALTED by kill_switch: going to bed") {
			t.Errorf("%s, /readyz: exit %d, %q; want 1 naming the halt", when, code, errOut)
		}
		body := getBody(t, "http://"+d.addr+"/metrics")
		for _, series := range []string{`tradebot_trading_state{state="HALTED"} 1`, "tradebot_kill_switch_engaged 1"} {
			if !strings.Contains(body, "\n"+series+"\n") {
				t.Errorf("%s: /metrics lacks %s", when, series)
			}
		}
	}
	checkHalted("HALTED")

	d.stop(t)
	if code, _, errOut := healthOf(live...); code != 1 || !strings.Contains(errOut, "no answer from") {
		t.Errorf("stopped daemon: exit %d, %q; want 1 and no answer", code, errOut)
	}

	d = startDaemon(t, cfg)
	live = withURL(t, argv, at, d.addr)[2:]
	ready = []string{"--url", "http://" + d.addr + "/readyz"}
	checkHalted("restarted HALTED")
}

// waitReady waits until `health` with args passes, for at most a minute.
func waitReady(t *testing.T, d *daemonProcess, args []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, errOut := healthOf(args...)
		if code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 60 s: %s\n%s", errOut, d.logText())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func getBody(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package daemon_test

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// notifySocket is a service manager's notification socket: a unixgram
// socket at a temporary path, set as NOTIFY_SOCKET for the daemon, with
// every message it receives on msgs.
type notifySocket struct {
	conn *net.UnixConn
	msgs chan string
	done chan struct{}
}

// listenNotify binds a notification socket and points NOTIFY_SOCKET and
// WATCHDOG_USEC (watchdog; zero for none) at it for the rest of the test.
func listenNotify(t *testing.T, watchdog time.Duration) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifySocket{conn: conn, msgs: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		defer close(n.done)
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.msgs <- string(buf[:k])
		}
	}()
	t.Cleanup(func() { conn.Close(); <-n.done })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	usec := ""
	if watchdog > 0 {
		usec = strconv.FormatInt(watchdog.Microseconds(), 10)
	}
	t.Setenv("WATCHDOG_USEC", usec)
	return n
}

// next returns the next message, failing the test after wait.
func (n *notifySocket) next(t *testing.T, wait time.Duration, what string) string {
	t.Helper()
	select {
	case m := <-n.msgs:
		return m
	case <-time.After(wait):
		t.Fatalf("no message on NOTIFY_SOCKET within %s; waiting for %s", wait, what)
		return ""
	}
}

// drain returns the messages received so far.
func (n *notifySocket) drain() []string {
	var out []string
	for {
		select {
		case m := <-n.msgs:
			out = append(out, m)
		default:
			return out
		}
	}
}

// Under systemd (Type=notify, WatchdogSec=) the daemon says READY=1 once
// start-up is done, then pings the watchdog every half of WATCHDOG_USEC
// while its loops turn. A strategy's loop stuck for loop_stall_after
// (what fails /healthz) stops the pings, so that systemd restarts the
// daemon; they resume when the loop turns again. A stop says STOPPING=1.
func TestSystemdWatchdogIsFedOnlyWhileEveryLoopTurns(t *testing.T) {
	const watchdog = 400 * time.Millisecond // a ping every 200 ms
	ns := listenNotify(t, watchdog)
	sd := startStalling(t, "")
	stopped := false
	defer func() {
		if !stopped {
			sd.stop()
		}
	}()

	// Each start-up step extends the start by the per-step limit of
	// /healthz (5 min here) and names itself; then READY=1, whose
	// STATUS replaces the last step's.
	var steps []string
	for {
		m := ns.next(t, 10*time.Second, "READY=1")
		if m == "READY=1\nSTATUS=running" {
			break
		}
		step, ok := strings.CutPrefix(m, "EXTEND_TIMEOUT_USEC=300000000\nSTATUS=")
		if !ok {
			t.Fatalf("message %q before READY=1, want EXTEND_TIMEOUT_USEC=300000000 and the step's STATUS", m)
		}
		steps = append(steps, step)
	}
	if len(steps) < 3 || steps[0] != "binding the HTTP server" || steps[len(steps)-1] != "arming the kill switch" {
		t.Errorf("start-up steps told to systemd: %q, want from binding the HTTP server to arming the kill switch", steps)
	}
	for i := 0; i < 3; i++ {
		if m := ns.next(t, 5*time.Second, "a watchdog ping"); m != "WATCHDOG=1" {
			t.Fatalf("message %q while the daemon runs, want WATCHDOG=1", m)
		}
	}

	select {
	case <-sd.gate.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the stalling strategy never got a trade")
	}
	for {
		code, body := get(t, sd.base+"/healthz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Since(sd.gate.enteredAt) > 30*time.Second {
			t.Fatalf("/healthz still answers %d %q 30 s into a stall with loop_stall_after 5s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A ping decided just before the stall showed may still arrive;
	// after five intervals none may.
	time.Sleep(5 * watchdog / 2)
	ns.drain()
	time.Sleep(5 * watchdog)
	if got := ns.drain(); len(got) > 0 {
		t.Fatalf("NOTIFY_SOCKET received %q while a loop is stuck, want nothing (no watchdog pings)", got)
	}

	sd.gate.release()
	if m := ns.next(t, 10*time.Second, "the pings to resume once the loop turns"); m != "WATCHDOG=1" {
		t.Fatalf("message %q after the loop turned again, want WATCHDOG=1", m)
	}

	sd.cancel()
	stopped = true
	if err := <-sd.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	// STOPPING=1 gives the stop shutdown_timeout (10s by default) and
	// 14 s more, beyond the unit's TimeoutStopSec if need be.
	const stopping = "STOPPING=1\nEXTEND_TIMEOUT_USEC=24000000"
	var rest []string
	for len(rest) == 0 || rest[len(rest)-1] != stopping {
		rest = append(rest, ns.next(t, 5*time.Second, "STOPPING=1"))
	}
	time.Sleep(watchdog)
	rest = append(rest, ns.drain()...)
	for i, m := range rest {
		if m != "WATCHDOG=1" && (m != stopping || i != len(rest)-1) {
			t.Errorf("messages %q after the stop, want watchdog pings, then %q last", rest, stopping)
			break
		}
	}
}

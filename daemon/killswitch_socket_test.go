package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
)

// socketPath returns a kill-switch socket path short enough for a Unix
// socket (at most 108 bytes), removed when the test ends.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "control.sock")
}

// TestKillSwitchSocketInUseIsNotTakenOver: a second daemon given the
// socket a running one serves used to remove it and serve its own, so the
// operator's halt over that path stopped the wrong daemon and the first
// one had no socket left. It now refuses to start and names the setting;
// the running socket still answers.
func TestKillSwitchSocketInUseIsNotTakenOver(t *testing.T) {
	socket := socketPath(t)
	first := startDaemon(t, busyExample(t, 1, func(c *config.Config) { c.KillSwitch.Socket = socket }))
	cfg := busyExample(t, 1, func(c *config.Config) { c.KillSwitch.Socket = socket })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := &syncBuffer{}
	err := Run(ctx, Options{Config: cfg, Log: NewLogger(log, "json", "info"), Version: "test"})
	if err == nil || !strings.Contains(err.Error(), "kill_switch.socket") || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a second daemon on a served socket: %v, want a refusal naming kill_switch.socket", err)
	}
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		t.Fatalf("the first daemon's socket no longer answers: %v\n%s", err, first.log.String())
	}
	c.Close()
}

// TestKillSwitchSocketLeftByACrashIsReplaced: a socket file nobody serves
// (the daemon that made it was killed) does not stop a start.
func TestKillSwitchSocketLeftByACrashIsReplaced(t *testing.T) {
	socket := socketPath(t)
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Lstat(socket); err != nil {
		t.Fatalf("the stale socket is gone before the test: %v", err)
	}
	startDaemon(t, busyExample(t, 1, func(c *config.Config) { c.KillSwitch.Socket = socket }))
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		t.Fatalf("the daemon does not serve the socket a crash left: %v", err)
	}
	c.Close()
}

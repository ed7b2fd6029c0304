package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/risk"
)

// floodWrongPasswords keeps n requests with wrong passwords in flight
// against the daemon's /killswitch until the test ends. It returns once
// the flood is in full swing: the daemon has answered n of them.
func floodWrongPasswords(t *testing.T, addr string, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	var wg sync.WaitGroup
	var answered atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/killswitch?resume=true", nil)
				req.Header.Set(risk.ControlHeader, "1")
				req.SetBasicAuth("operator", fmt.Sprintf("guess-%d-%d", i, k))
				if resp, err := tr.RoundTrip(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					answered.Add(1)
				}
			}
		}()
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		tr.CloseIdleConnections()
	})
	for deadline := time.Now().Add(30 * time.Second); answered.Load() < int64(n); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon answered %d requests of the flood in 30 s, want %d", answered.Load(), n)
		}
	}
}

// TestKillSwitchFileAndSignalHaltDuringAPasswordFlood: the means that do
// not go through the web server halt while it is flooded.
func TestKillSwitchFileAndSignalHaltDuringAPasswordFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("floods loopback")
	}
	// The cheapest bcrypt: the flood's point here is the load on the web
	// server, and a check at the default cost (seconds under the race
	// detector) still running at the end would outlast the daemon's stop.
	// metrics/flood_test.go floods checks at the default cost.
	hash, err := bcrypt.GenerateFromPassword([]byte("operator-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, reason string
		pull         func(t *testing.T, flagFile, socket string)
	}{
		{"kill_switch.file", "kill file", func(t *testing.T, flagFile, _ string) {
			if err := os.WriteFile(flagFile, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"SIGUSR1", "signal", func(t *testing.T, _, _ string) {
			if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
		}},
		{"kill_switch.socket", "over the socket", func(t *testing.T, _, socket string) {
			if st, err := os.Stat(socket); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("socket mode %v (%v), want 0600", st.Mode().Perm(), err)
			}
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, "unix", socket)
				}}}
			req, _ := http.NewRequest(http.MethodPost, "http://localhost/killswitch?reason=over+the+socket", nil)
			req.Header.Set(risk.ControlHeader, "1")
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			t.Logf("halt over the socket answered %s in %s during the flood", resp.Status, time.Since(start))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST over the socket: %s", resp.Status)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			webCfg := filepath.Join(dir, "web.yml")
			if err := os.WriteFile(webCfg, []byte("basic_auth_users:\n  operator: "+string(hash)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			flagFile := filepath.Join(dir, "HALT")
			socket := socketPath(t)
			r := startDaemon(t, busyExample(t, 1, func(c *config.Config) {
				c.KillSwitch.File = flagFile
				c.KillSwitch.Socket = socket
				c.Web.ConfigFile = webCfg
			}))
			floodWrongPasswords(t, r.addr, 2000)
			tc.pull(t, flagFile, socket)
			r.waitFor("HALTED by "+tc.name+" during the flood", 10*time.Second, func() bool {
				return count(r.records(), func(rec map[string]any) bool {
					reason, _ := rec["reason"].(string)
					return rec["msg"] == "trading state changed" && rec["to"] == "HALTED" && strings.Contains(reason, tc.reason)
				}) > 0
			})
		})
	}
}

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

// TestAStopDuringStartUpIsACleanStop: SIGTERM while start-up waits on
// Coinbase (a slow API: each request answers after 700ms) ends Run with
// nil, as a stop after start-up does, not with the interrupted request's
// error ("cannot read Coinbase's time ... Check the network"), which the
// command turned into exit 1 and systemd into a failed unit.
func TestAStopDuringStartUpIsACleanStop(t *testing.T) {
	w := newLiveWorld(t, false)
	w.e.Delay(700 * time.Millisecond)
	// Start-up makes more than six requests in a row: the clock, the
	// key, the portfolio, the products, the balances, the recovery's
	// listings. Each stop below lands in one of them.
	for _, after := range []time.Duration{300 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second} {
		t.Run(after.String(), func(t *testing.T) {
			cfg := w.config("exchange")
			cfg.StateDir = t.TempDir()
			log := &syncBuffer{}
			served := make(chan net.Addr, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, Options{Config: cfg, Log: NewLogger(log, "json", "info"), Version: "test",
					Ready: func(a net.Addr) { served <- a }})
			}()
			select {
			case err := <-done:
				t.Fatalf("Run ended before the stop: %v\n%s", err, log.String())
			case <-served:
				t.Fatalf("start-up finished within %s: the stop would not land in it", after)
			case <-time.After(after):
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("a stop during start-up ended Run with %v, want nil (a clean stop)", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not end within 10s of the stop")
			}
			if !strings.Contains(log.String(), "stopped during start-up") {
				t.Errorf("the log does not say start-up was stopped:\n%s", log.String())
			}
		})
	}
}

// TestAStartUpFailureWithAStopIsStillAFailure: a start-up that fails for
// a reason of its own (a journal that does not open, a key file that does
// not parse, a kill-switch socket another process serves) fails Run even
// though the operator's stop arrived meanwhile: only the stop's own error
// (context.Canceled) is a clean stop. Run used to return nil for any
// start-up error once its context had ended, so the command exited 0 and
// the supervisor never saw the failure.
func TestAStartUpFailureWithAStopIsStillAFailure(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, cfg *config.Config)
		want  string
	}{
		{"a journal that does not open", func(t *testing.T, cfg *config.Config) {
			cfg.StateDir = t.TempDir()
			if err := os.WriteFile(filepath.Join(cfg.StateDir, "journal.db"), []byte(strings.Repeat("not a database ", 300)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "journal"},
		{"a key file that does not parse", func(t *testing.T, cfg *config.Config) {
			cfg.Mode = config.ModeLive
			cfg.StateDir = t.TempDir()
			cfg.Coinbase.KeyFile = filepath.Join(t.TempDir(), "cdp_api_key.json")
			if err := os.WriteFile(cfg.Coinbase.KeyFile, []byte(`{"name": "organizations/x/apiKeys/y", "privateKey": "no key"}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "key"},
		{"a kill-switch socket in use", func(t *testing.T, cfg *config.Config) {
			cfg.KillSwitch.Socket = filepath.Join(t.TempDir(), "ks.sock")
			l, err := net.Listen("unix", cfg.KillSwitch.Socket)
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
		}, "in use by a running process"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := exampleConfig(t, func(cfg *config.Config) { tc.setup(t, cfg) })
			log := &syncBuffer{}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // the stop has arrived when the failure lands
			err := Run(ctx, Options{Config: cfg, Log: NewLogger(log, "json", "info"), Version: "test"})
			if err == nil {
				t.Fatalf("Run returned nil: a start-up failure that lands with a stop was taken for a clean stop\n%s", log.String())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run's error %q does not name the failure (%q)", err, tc.want)
			}
			if strings.Contains(log.String(), "stopped during start-up") {
				t.Errorf("the log calls the failure a stop:\n%s", log.String())
			}
		})
	}
}

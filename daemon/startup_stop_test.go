package daemon

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
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

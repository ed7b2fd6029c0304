package live

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAStopWhileCoinbaseIsUnreachableSaysThePositionIsNaked stops (SIGTERM)
// a daemon whose position's stop the bot watches while every REST
// request fails with 503, so the stop cannot be parked on the exchange.
// The daemon must still stop within its budget, and say loudly, at
// ERROR, that the position has no stop resting on the venue; the next
// start, with Coinbase back, must rest a stop covering it.
func TestAStopWhileCoinbaseIsUnreachableSaysThePositionIsNaked(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	cfg := liveConfig(t, e, "", botInstance)
	d := startDaemon(t, cfg)
	ctx := context.Background()
	held := holdAPosition(t, e, d)
	e.ServerErrorBurst(1<<30, 503)
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// shutdown_timeout (10 s) and the wait for the loops.
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("tradebot did not stop within 30s of SIGTERM while Coinbase was unreachable\n%s", tail(d.output()))
	}
	if st := restingStop(t, e, ctx); st != nil {
		t.Fatalf("a stop (%s) rests on the exchange although every request failed: the test proves nothing", st.ClientOrderID)
	}
	naked := false
	for _, rec := range d.logLines("shutdown: left unresolved") {
		what, _ := rec["what"].(string)
		if rec["level"] == "ERROR" && strings.Contains(what, "no stop resting on the venue") && strings.Contains(what, "bot holds "+held.String()) {
			naked = true
		}
	}
	if !naked {
		t.Errorf("the daemon stopped with %s BTC unprotected and did not say so at ERROR\n%s", held, warnings(d.output()))
	}

	// Coinbase is back: the next start protects the position first.
	e.ServerErrorBurst(0, 0)
	d2 := startDaemon(t, cfg)
	waitFor(t, 20*time.Second, "a stop resting on the exchange after the restart", func() bool {
		st := restingStop(t, e, ctx)
		return st != nil && st.BaseSize.Sub(st.FilledSize).GreaterThanOrEqual(held)
	})
	d2.stop()
	assertOnePerClientID(t, e)
}

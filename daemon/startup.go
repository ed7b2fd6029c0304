package daemon

import (
	"fmt"
	"net/http"
	"time"
)

// The HTTP server answers from the start of start-up (listen), which
// can take minutes (the journal, Coinbase's key and products, the
// recovery's listings, the warm-up's candles): /healthz answers 200
// "starting: " and the step, /readyz 503, and /killswitch 503 until the
// kill switch is armed. A step that has run for startupStallAfter (or
// loop_stall_after, if longer) fails /healthz, so that a liveness probe
// restarts a start-up that no longer progresses, as it restarts a stuck
// loop once the daemon trades.

// startStep is the start-up step running and since when.
type startStep struct {
	name  string
	since time.Time
}

// startupStallAfter is how long one start-up step may run before
// /healthz calls start-up stuck, as long as deploy/tradebot.service's
// TimeoutStartSec gives the whole start-up. Each step's Coinbase requests
// are bounded (10 s each, retried a few times), so a step that runs this
// long waits on something that does not answer.
const startupStallAfter = 5 * time.Minute

// starting records that start-up runs step now, and tells systemd (if
// any) which step and that this step may take as long as /healthz lets
// it: TimeoutStartSec bounds the first step, and each step extends the
// start by the per-step limit (EXTEND_TIMEOUT_USEC), so that systemd and
// the liveness probe judge a slow start-up by the same rule.
func (d *daemon) starting(step string) {
	d.step.Store(&startStep{name: step, since: time.Now()})
	d.notifySystemd(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d\nSTATUS=%s", d.startStepLimit().Microseconds(), step))
}

// runningStatus is the STATUS= that READY=1 carries, in place of the
// last start-up step's.
const runningStatus = "running"

// startStepLimit is how long one start-up step may run.
func (d *daemon) startStepLimit() time.Duration {
	return max(startupStallAfter, d.cfg.LoopStallAfter)
}

// startUpProbe is the HTTP server's Starting: the step running, and an
// error once it has run for startupStallAfter or loop_stall_after,
// whichever is longer.
func (d *daemon) startUpProbe() (string, error) {
	st := d.step.Load()
	limit := d.startStepLimit()
	if took := time.Since(st.since); took >= limit {
		return st.name, fmt.Errorf("start-up has been %s since %s (%s; a start-up step may take %s)",
			st.name, st.since.UTC().Format(time.RFC3339), took.Round(time.Second), limit)
	}
	return st.name, nil
}

// killSwitchHTTP serves /killswitch: the kill switch's handler once
// armKillSwitch has armed it, 503 before. Until then no means of the
// kill switch is in place (nor SIGUSR1), and nothing trades yet: the
// engine starts once it is armed.
func (d *daemon) killSwitchHTTP() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := d.ksHTTP.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "starting: %s; the kill switch takes requests once start-up is done, before anything trades (to stop now, stop the daemon)\n", d.step.Load().name)
	})
}

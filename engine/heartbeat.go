package engine

import "time"

// An instance's goroutine (run) stamps the wall clock each time it takes
// its idle timer, and once as it starts: its heartbeat, which the daemon's
// /healthz and tradebot_loop_last_turn_age_seconds read. A loop stuck
// inside a round (a strategy that never returns, a venue call that never
// answers, a deadlock) takes no timer and its stamp ages; a loop that
// merely exists does not count.
//
// The timer is the one the loop already serves every IdleInterval (a
// second), so the tick path pays nothing: a busy loop still takes it,
// because select chooses among ready cases at random, so the timer waits
// a round or two at most. The stamp is the wall clock, never the engine's
// clock: a paper replay's clock is the recording's, and a stall is
// measured in real time.

// turned records that the loop took an event now.
func (in *Instance) turned() {
	now := time.Now()
	in.turnedAt.Store(now.UnixNano())
	if !in.engine.nopObs {
		in.obs.LoopTurned(in.name, in.product.ID, now)
	}
}

// LastTurn returns when the instance's goroutine last took an event (its
// idle timer, at least once a second while it runs), on the wall clock;
// the zero time before Run starts it and after it ends. A backtest, which
// drives instances with Drain, has none. Safe from any goroutine.
func (in *Instance) LastTurn() time.Time {
	ns := in.turnedAt.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

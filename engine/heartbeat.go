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
// a round or two at most. The stamp is real time, never the engine's
// clock: a paper replay's clock is the recording's. It is kept as the
// monotonic time since heartbeatEpoch, so that a step of the wall clock
// (NTP) neither fakes a stall nor hides one.

// heartbeatEpoch is what the stamps count from.
var heartbeatEpoch = time.Now()

// turned records that the loop took an event now.
func (in *Instance) turned() {
	now := time.Now()
	// +1: zero means "not running".
	in.turnedAt.Store(int64(now.Sub(heartbeatEpoch)) + 1)
	if !in.engine.nopObs {
		in.obs.LoopTurned(in.name, in.product.ID, now)
	}
}

// LastTurn returns when the instance's goroutine last took an event (its
// idle timer, at least once a second while it runs), with a monotonic
// clock reading, so that time.Since(LastTurn()) is real time elapsed; the
// zero time before Run starts it and after it ends. A backtest, which
// drives instances with Drain, has none. Safe from any goroutine.
func (in *Instance) LastTurn() time.Time {
	d := in.turnedAt.Load()
	if d == 0 {
		return time.Time{}
	}
	return heartbeatEpoch.Add(time.Duration(d - 1))
}

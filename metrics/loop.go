package metrics

import "time"

// LoopTurned records that the goroutine of the instance strategy trading
// product took an event at at (the wall clock): its loop is alive.
// tradebot_loop_last_turn_age_seconds counts from there. The series is
// labelled by the instance's name alone (unique in a config), like the
// mailbox's conflated ticks: one series per instance is what a scrape of
// many instances can afford.
func (m *Metrics) LoopTurned(strategy, product string, at time.Time) {
	m.Instance(strategy, product).lastTurn.Store(unixNanos(at))
}

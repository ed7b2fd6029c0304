package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LoopTurned records that the goroutine of the instance strategy trading
// product took an event at at (the wall clock): its loop is alive.
// tradebot_loop_last_turn_age_seconds counts from there.
func (m *Metrics) LoopTurned(strategy, product string, at time.Time) {
	m.Instance(strategy, product).lastTurn.Store(unixNanos(at))
}

// loopAgeCollector computes tradebot_loop_last_turn_age_seconds at scrape
// time, on the wall clock, so that the age keeps growing while a loop is
// stuck and records nothing.
type loopAgeCollector struct {
	m    *Metrics
	desc *prometheus.Desc
}

// Describe sends the one descriptor.
func (c *loopAgeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends one age per known instance, labelled by its name alone
// (unique in a config), like the mailbox's conflated ticks: one series per
// instance is what a scrape of many instances can afford.
func (c *loopAgeCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.m.wall.Now()
	for id, in := range *c.m.instances.Load() {
		// A simulated wall clock not yet set (tests) has no age to tell.
		age := 0.0
		if last := in.lastTurn.Load(); last != 0 && !now.IsZero() {
			age = max(now.Sub(time.Unix(0, last)).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, age, id.Strategy)
	}
}

package metrics

import (
	"iter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradebot/tradebot/clock"
)

// ageCollector computes, at scrape time, a gauge of the seconds since
// stored times (the last tick of a product, the last turn of a loop), so
// that an age keeps growing while nothing records anything: a silent
// feed, a stuck loop.
type ageCollector struct {
	desc  *prometheus.Desc
	clock clock.Clock
	// last yields each series' one label value and its stored time in
	// Unix nanoseconds (0 for none).
	last iter.Seq2[string, int64]
}

// Describe sends the one descriptor.
func (c *ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends one age per series.
func (c *ageCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.clock.Now()
	for label, last := range c.last {
		// A simulated clock that has not started yet, or a time stored
		// before it started, has no age to tell: 0, rather than the
		// distance to year 1, which would page (FeedStale, LoopStalled).
		age := 0.0
		if last != 0 && !now.IsZero() {
			age = max(now.Sub(time.Unix(0, last)).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, age, label)
	}
}

// tickTimes yields each product's last tick time on the metrics clock.
func (m *Metrics) tickTimes(yield func(string, int64) bool) {
	for product, p := range *m.products.Load() {
		if !yield(product, p.last.Load()) {
			return
		}
	}
}

// turnTimes yields each instance's name and its loop's last turn on the
// wall clock.
func (m *Metrics) turnTimes(yield func(string, int64) bool) {
	for id, in := range *m.instances.Load() {
		if !yield(id.Strategy, in.lastTurn.Load()) {
			return
		}
	}
}

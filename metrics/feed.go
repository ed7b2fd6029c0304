package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// Product holds one product's feed series with their labels resolved. Get
// it from Metrics.Product and keep it on the feed's hot path; it is safe
// for concurrent use.
type Product struct {
	clock clock.Clock
	ticks prometheus.Counter
	lag   prometheus.Observer
	// last is the metrics clock's time at the latest tick, in Unix
	// nanoseconds, read at scrape time by the age collector. It is taken
	// from the same clock as the scrape-time "now", never from the tick,
	// so that the age is right even when a source stamps Received on
	// another timeline (a paced replay stamps wall time while the daemon
	// runs on the recording's).
	last atomic.Int64
}

// Product returns the feed handle for product, creating its series on
// first use. Until the first tick its age counts from this call, so that a
// feed that never delivers shows as stale.
func (m *Metrics) Product(product string) *Product {
	if p, ok := (*m.products.Load())[product]; ok {
		return p
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.products.Load()
	if p, ok := old[product]; ok {
		return p
	}
	p := &Product{
		clock: m.clock,
		ticks: m.feedTicks.WithLabelValues(product),
		lag:   m.feedLag.WithLabelValues(product),
	}
	p.last.Store(unixNanos(m.clock.Now()))
	next := make(map[string]*Product, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[product] = p
	m.products.Store(&next)
	return p
}

// Tick records a tick the venue stamped at venueTime and tradebot received
// at received: it counts the tick, observes the lag (received minus
// venueTime), and restarts the product's last-tick age on the metrics
// clock. A zero venueTime (a venue that sends none)
// skips the lag; a negative lag (clocks out of step) is observed as 0,
// since a histogram's sum must not run backwards.
func (p *Product) Tick(venueTime, received time.Time) {
	p.ticks.Inc()
	if !venueTime.IsZero() {
		lag := received.Sub(venueTime)
		if lag < 0 {
			lag = 0
		}
		p.lag.Observe(lag.Seconds())
	}
	p.last.Store(unixNanos(p.clock.Now()))
}

// unixNanos returns t in Unix nanoseconds, or 0 for the zero time (a
// simulated clock before the first tick sets it), which UnixNano cannot
// represent.
func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// TickReceived records t for its product (see Product.Tick). A tick without
// a receive time counts as received now on the metrics clock.
func (m *Metrics) TickReceived(t exchange.Tick) {
	recv := t.Received
	if recv.IsZero() {
		recv = m.clock.Now()
	}
	m.Product(t.ProductID).Tick(t.Time, recv)
}

// TickToOrder observes the time from receiving the tick that triggered an
// order to handing the order to the venue client.
func (m *Metrics) TickToOrder(d time.Duration) {
	m.tickToOrder.Observe(d.Seconds())
}

// Conflated adds n ticks that strategy skipped because newer ones replaced
// them in its mailbox.
func (m *Metrics) Conflated(strategy string, n uint64) {
	m.feedConflated.WithLabelValues(strategy).Add(float64(n))
}

// FeedReconnected counts a reconnection of feed (e.g. ticker, user).
func (m *Metrics) FeedReconnected(feed string) {
	m.feedReconnects.WithLabelValues(m.feeds.admit(feed)).Inc()
}

// FeedSequenceGap counts a gap in feed's sequence numbers, which means
// messages were lost.
func (m *Metrics) FeedSequenceGap(feed string) {
	m.feedGaps.WithLabelValues(m.feeds.admit(feed)).Inc()
}

// FeedMalformed counts a message from feed that could not be decoded.
func (m *Metrics) FeedMalformed(feed string) {
	m.feedMalformed.WithLabelValues(m.feeds.admit(feed)).Inc()
}

package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// health holds the metrics that say whether the daemon can trust what it
// sees and records: the journal, the feeds' reconnection, what the
// reconciliation found, what shutdown left unresolved and the
// notifications a full queue dropped.
type health struct {
	journalWritable   prometheus.Gauge
	reconnectDelay    *prometheus.GaugeVec
	phantoms          *prometheus.GaugeVec
	unresolvedAtClose prometheus.Counter
	notifyDropped     prometheus.Counter
}

// PhantomKinds are the kinds of disagreement between the exchange and the
// journal that the reconciliation reports (tradebot_reconcile_phantoms).
var PhantomKinds = []string{"order", "balance"}

func newHealth(reg prometheus.Registerer, feeds []string) (health, error) {
	h := health{
		journalWritable: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "journal_writable",
			Help: "1 while the journal takes writes, 0 while they fail (a full or failing disk): entries are halted, exits still go out."}),
		reconnectDelay: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "feed_reconnect_delay_seconds",
			Help: "Wait before the feed's next connection attempt; 0 while connected."}, []string{"feed"}),
		phantoms: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "reconcile_phantoms",
			Help: "What the last reconciliation found the journal holds and the exchange does not: orders it does not know (order), base balances below the journal's positions (balance); entries are halted while above 0."}, []string{"kind"}),
		unresolvedAtClose: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "shutdown_unresolved_orders_total",
			Help: "Orders whose outcome was still unknown, or whose fill was still unprotected, when shutdown's bounded wait ended."}),
		notifyDropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "notifications_dropped_total",
			Help: "Notifications never sent because the webhook's queue was full (the webhook slower than the events)."}),
	}
	for _, c := range []prometheus.Collector{h.journalWritable, h.reconnectDelay, h.phantoms, h.unresolvedAtClose, h.notifyDropped} {
		if err := reg.Register(c); err != nil {
			return h, err
		}
	}
	h.journalWritable.Set(1)
	for _, f := range feeds {
		h.reconnectDelay.WithLabelValues(f)
	}
	for _, k := range PhantomKinds {
		h.phantoms.WithLabelValues(k)
	}
	return h, nil
}

// SetJournalWritable records whether the journal takes writes.
func (m *Metrics) SetJournalWritable(ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	m.health.journalWritable.Set(v)
}

// SetReconnectDelay records the wait before feed's next connection
// attempt; 0 once it is connected.
func (m *Metrics) SetReconnectDelay(feed string, d time.Duration) {
	m.health.reconnectDelay.WithLabelValues(m.feeds.admit(feed)).Set(d.Seconds())
}

// SetPhantoms records how many disagreements of kind (one of
// PhantomKinds) the last reconciliation found.
func (m *Metrics) SetPhantoms(kind string, n int) {
	m.health.phantoms.WithLabelValues(kind).Set(float64(n))
}

// UnresolvedAtShutdown counts orders shutdown could not resolve or
// protect within its bounded wait.
func (m *Metrics) UnresolvedAtShutdown(n int) {
	m.health.unresolvedAtClose.Add(float64(n))
}

// NotificationDropped counts a notification the webhook's full queue
// dropped.
func (m *Metrics) NotificationDropped() {
	m.health.notifyDropped.Inc()
}

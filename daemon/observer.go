package daemon

import (
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/metrics"
)

// metricsObserver is the engine's Observer backed by Prometheus metrics.
type metricsObserver struct {
	*metrics.Metrics
}

var _ engine.Observer = metricsObserver{}

// Position implements engine.Observer.
func (o metricsObserver) Position(p engine.PositionReport) {
	o.SetPosition(metrics.Position(p))
}

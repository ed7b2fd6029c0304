package daemon

import (
	"errors"
	"time"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange/coinbase"
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

// coinbaseObserver reports the Coinbase client's and feed's measurements
// as metrics.
type coinbaseObserver struct {
	m *metrics.Metrics
}

var _ coinbase.Observer = coinbaseObserver{}

func (o coinbaseObserver) ObserveRequest(endpoint string, status int, d time.Duration) {
	var err error
	if status == 0 {
		err = errNoResponse
	}
	o.m.ObserveREST(endpoint, status, d, err)
}

func (o coinbaseObserver) RateLimitWait(_ string, d time.Duration) { o.m.RateLimitWait(d) }
func (o coinbaseObserver) Retry(string, string)                    {}
func (o coinbaseObserver) MalformedMessage(feed, _ string)         { o.m.FeedMalformed(feed) }
func (o coinbaseObserver) Reconnect(feed, _ string)                { o.m.FeedReconnected(feed) }
func (o coinbaseObserver) SequenceGap(feed string, _ int64)        { o.m.FeedSequenceGap(feed) }

var errNoResponse = errors.New("no response")

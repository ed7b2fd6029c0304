package daemon

import (
	"errors"
	"slices"
	"time"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/notify"
	"github.com/tradebot/tradebot/position"
)

// metricsObserver is the engine's Observer: Prometheus metrics, and the
// webhook for the events users want pushed, when one is configured.
type metricsObserver struct {
	*metrics.Metrics
	notify *notify.Webhook // nil without a webhook
	// replay is set in paper replay, where a tick's Time is the
	// recording's (years ago) and Received the wall clock's: the feed lag
	// between the two means nothing there and is reported as zero.
	replay bool
}

// TickReceived implements engine.Observer.
func (o *metricsObserver) TickReceived(t exchange.Tick) {
	if o.replay {
		t.Received = t.Time
	}
	o.Metrics.TickReceived(t)
}

var _ engine.Observer = (*metricsObserver)(nil)

// Position implements engine.Observer.
func (o *metricsObserver) Position(p engine.PositionReport) {
	o.SetPosition(metrics.Position(p))
}

// Fill implements engine.Observer.
func (o *metricsObserver) Fill(strategy string, f exchange.Fill) {
	o.Metrics.Fill(strategy, f)
	if o.notify != nil {
		o.notify.Notify(notify.FillEvent(strategy, f))
	}
}

// Exit implements engine.Observer.
func (o *metricsObserver) Exit(rt position.RoundTrip) {
	o.Metrics.Exit(rt.Strategy, rt.ProductID, exitLabel(rt.ExitReason))
	if o.notify != nil {
		o.notify.Notify(notify.ExitEvent(rt))
	}
}

// exitLabel is the exits_total reason of a round trip that ended with
// reason: an exit rule's own name, or metrics.ExitStrategy for a reason
// the strategy gave (a grid's lot sold by its own sell, a Close under a
// name of its own), which as a label would be free-form.
func exitLabel(reason string) string {
	if slices.Contains(exits.Reasons, reason) {
		return reason
	}
	return metrics.ExitStrategy
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
func (o coinbaseObserver) Retry(endpoint, reason string)           { o.m.RESTRetry(endpoint, reason) }
func (o coinbaseObserver) MalformedMessage(feed, _ string)         { o.m.FeedMalformed(feed) }
func (o coinbaseObserver) Reconnect(feed, _ string)                { o.m.FeedReconnected(feed) }
func (o coinbaseObserver) SequenceGap(feed string, _ int64)        { o.m.FeedSequenceGap(feed) }
func (o coinbaseObserver) ReconnectDelay(feed string, d time.Duration) {
	o.m.SetReconnectDelay(feed, d)
}

var errNoResponse = errors.New("no response")

package coinbase

import "time"

// Observer receives what the client and the feed measure, for metrics.
// Labels are small closed sets: endpoint names such as "create_order" (see
// the Endpoint constants), feed names "market" and "user", channel names;
// never an order id, product or price. Methods are called from the
// client's and feed's goroutines and must not block.
type Observer interface {
	// ObserveRequest reports one HTTP attempt; status is 0 when no
	// response arrived (timeout, connection error).
	ObserveRequest(endpoint string, status int, d time.Duration)
	// RateLimitWait reports time spent waiting for the client-side limiter.
	RateLimitWait(endpoint string, d time.Duration)
	// Retry reports a retried request and why: "429", "5xx", "transport".
	Retry(endpoint string, reason string)
	// MalformedMessage reports a WebSocket message that was skipped
	// because it did not decode.
	MalformedMessage(feed, channel string)
	// Reconnect reports a WebSocket reconnection and why: "dial",
	// "read", "watchdog", "sequence_gap", "server_error", "auth_failure"
	// (the server refused the key), "redial" (Feed.RedialUser).
	Reconnect(feed, reason string)
	// SequenceGap reports missed sequence numbers on a connection.
	SequenceGap(feed string, missed int64)
	// ReconnectDelay reports the wait before feed's next connection
	// attempt, and 0 once a connection delivers.
	ReconnectDelay(feed string, d time.Duration)
}

// NopObserver ignores everything; embed it to implement only some methods.
type NopObserver struct{}

// ObserveRequest does nothing.
func (NopObserver) ObserveRequest(string, int, time.Duration) {}

// RateLimitWait does nothing.
func (NopObserver) RateLimitWait(string, time.Duration) {}

// Retry does nothing.
func (NopObserver) Retry(string, string) {}

// MalformedMessage does nothing.
func (NopObserver) MalformedMessage(string, string) {}

// Reconnect does nothing.
func (NopObserver) Reconnect(string, string) {}

// SequenceGap does nothing.
func (NopObserver) SequenceGap(string, int64) {}

// ReconnectDelay does nothing.
func (NopObserver) ReconnectDelay(string, time.Duration) {}

package coinbase

import (
	"sync"
	"testing"
	"time"
)

// A connection that subscribes and receives data resets the backoff, even
// when it lives far shorter than ReconnectMax: with drops every 20 s the
// old rule (reset after a connection lived ReconnectMax) grew the wait
// from 0.26 to 22.8 s and kept the user channel down half the time
// (issue 15, finding 3). Every wait stays within the jitter of
// ReconnectMin, each delivering connection reports up then down, and the
// delay is reported (0 once connected).
func TestFeedBackoffResetsOnceAConnectionDeliversData(t *testing.T) {
	srv := newWSServer(t, nil)
	obs := &recordingObserver{}
	var mu sync.Mutex
	var states []bool
	const minWait = 20 * time.Millisecond
	startFeed(t, FeedConfig{MarketURL: srv.url(), Products: []string{"BTC-USD"}, Channels: []string{ChannelTicker},
		Observer: obs, ReconnectMin: minWait, ReconnectMax: 10 * time.Second,
		OnConnection: func(feed string, up bool) {
			mu.Lock()
			states = append(states, up)
			mu.Unlock()
		}})
	const drops = 6
	for range drops {
		c := srv.accept(t)
		c.expectSub(t)
		c.expectSub(t)
		c.send(t, []byte(`{"channel":"heartbeats","timestamp":"2024-08-09T00:00:00Z","events":[{"current_time":"2024-08-09 00:00:00 +0000 UTC","heartbeat_counter":1}]}`))
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			n := len(states)
			mu.Unlock()
			if n%2 == 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		c.ws.Close()
	}
	srv.accept(t)
	var waits []time.Duration
	for _, d := range obs.snapshot().delays {
		if d > 0 {
			waits = append(waits, d)
		}
	}
	if len(waits) < drops {
		t.Fatalf("%d reconnect waits reported, want %d (delays %v)", len(waits), drops, obs.snapshot().delays)
	}
	for i, d := range waits {
		if d > minWait*3/2 {
			t.Errorf("wait %d after a connection that delivered is %s, want at most 1.5 × ReconnectMin %s (waits %v)",
				i, d, minWait, waits)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(states) < 2*drops {
		t.Fatalf("connection states %v, want up and down for each of %d connections", states, drops)
	}
	for i := range 2 * drops {
		if states[i] != (i%2 == 0) {
			t.Fatalf("connection states %v, want up, down, up, down...", states)
		}
	}
}

// A server that accepts and drops before any data keeps the wait growing
// up to its cap: a reset needs data.
func TestFeedBackoffGrowsWhileConnectionsDeliverNothing(t *testing.T) {
	srv := newWSServer(t, nil)
	obs := &recordingObserver{}
	const minWait, maxWait = 5 * time.Millisecond, 40 * time.Millisecond
	startFeed(t, FeedConfig{MarketURL: srv.url(), Products: []string{"BTC-USD"}, Channels: []string{ChannelTicker},
		Observer: obs, ReconnectMin: minWait, ReconnectMax: maxWait})
	for range 7 {
		c := srv.accept(t)
		c.expectSub(t)
		c.ws.Close()
	}
	waits := obs.snapshot().delays
	if len(waits) < 6 {
		t.Fatalf("waits %v, want 6 or more", waits)
	}
	if waits[5] < maxWait/2 {
		t.Errorf("sixth wait %s, want grown to within the jitter of the %s cap (waits %v)", waits[5], maxWait, waits)
	}
	for _, d := range waits {
		if d > maxWait {
			t.Errorf("wait %s above ReconnectMax %s", d, maxWait)
		}
	}
}

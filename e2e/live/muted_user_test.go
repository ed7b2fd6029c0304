package live

import (
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// mutedBareLimit bounds how long an entry's position may stay without a
// resting stop while the user channel is silent: the daemon takes the
// channel for silent 3 s after an order it tracks goes unmentioned, then
// asks Coinbase over REST (a second or two under the race detector).
const mutedBareLimit = 10 * time.Second

// TestASilentUserChannelIsFoundAndItsFillsProtected mutes the user
// channel of the open connection while its socket and heartbeats go on,
// as when Coinbase drops a subscription without a word: the daemon never
// hears of its entry's fill from it. The daemon must find the channel
// silent, book the fill through REST and rest the entry's stop within
// mutedBareLimit of the fill (it waited for the minutely safety net,
// 58 s bare in a run), resubscribe so that later orders are heard, and
// still agree with the exchange, one order per client id.
func TestASilentUserChannelIsFoundAndItsFillsProtected(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	d := startDaemon(t, liveConfig(t, e, ""))
	// The mute is the open connections': wait for the user channel's.
	d.waitUserChannel()
	e.MuteUserChannel(true)
	var entry exchange.Fill
	waitFor(t, 60*time.Second, "an entry fill", func() bool {
		for _, f := range e.Sim().Fills() {
			if f.Side == exchange.Buy {
				entry = f
				return true
			}
		}
		return false
	})
	// The exchange's own record says when the fill was covered: a stop
	// placed after it, or a sale.
	covered := func() (time.Time, bool) {
		for _, o := range e.Sim().Orders() {
			if o.Side == exchange.Sell && o.StopPrice.IsPositive() && o.CreatedAt.After(entry.Time) {
				return o.CreatedAt, true
			}
		}
		for _, f := range e.Sim().Fills() {
			if f.Side == exchange.Sell && f.Time.After(entry.Time) {
				return f.Time, true
			}
		}
		return time.Time{}, false
	}
	var at time.Time
	waitFor(t, 90*time.Second, "the entry's position covered by a stop or sold", func() bool {
		var ok bool
		at, ok = covered()
		return ok
	})
	if bare := at.Sub(entry.Time); bare > mutedBareLimit {
		t.Errorf("the entry filled at %s stayed bare %s with the user channel silent; want at most %s\n%s",
			entry.Time.Format(time.StampMilli), bare, mutedBareLimit, warnings(d.output()))
	} else {
		t.Logf("the entry filled unseen on the user channel was covered %s later", bare)
	}
	const silent = "the user channel said nothing of orders Coinbase accepted; asking Coinbase over REST and resubscribing"
	if len(d.logLines(silent)) == 0 {
		t.Errorf("the daemon did not say the user channel was silent\n%s", warnings(d.output()))
	}
	// Resubscribed: the mute was the old connection's, so the rest of
	// the round trip (the stop, the exit) is heard; the books must then
	// agree.
	waitFor(t, 60*time.Second, "a round trip after the resubscription", func() bool { return closedRoundTrips(e) >= 1 })
	quietMatch(t, d, e)
	if n := len(d.logLines(silent)); n > 1 {
		t.Errorf("the user channel was found silent %d times: the daemon did not resubscribe it\n%s", n, warnings(d.output()))
	}
	assertOnePerClientID(t, e)
}

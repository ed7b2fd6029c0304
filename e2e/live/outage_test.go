package live

import (
	"context"
	"testing"
	"time"
)

// TestFillsDuringASocketOutageAreAdopted cuts both WebSockets while a
// position's bracket rests on the exchange, until the bracket fills with
// the daemon deaf to the user channel. After the outage the daemon must
// learn of the fill through REST reconciliation: its position, fills,
// fees and realized PnL match the exchange, its journal holds the
// exchange's fills one for one, and the position was never unprotected.
func TestFillsDuringASocketOutageAreAdopted(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	d := startDaemon(t, liveConfig(t, e, ""))
	ctx := context.Background()

	missed := false
	deadline := time.Now().Add(45 * time.Second)
	for !missed && time.Now().Before(deadline) {
		assertProtected(t, d.scrape())
		stop := restingStop(t, e, ctx)
		if stop == nil || positionOf(d.scrape()) == 0 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		const outage = 6 * time.Second
		e.SocketOutage(outage)
		end := time.Now().Add(outage - 500*time.Millisecond)
		for time.Now().Before(end) {
			if o, err := e.Sim().Order(stop.ID); err == nil && o.FilledSize.IsPositive() {
				missed = true
				t.Logf("bracket %s filled during the outage (%s at %s)", o.ID, o.FilledSize, o.AverageFilledPrice)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Until(end.Add(500 * time.Millisecond)))
	}
	if !missed {
		t.Fatalf("no bracket filled during an outage within 45s\n%s", warnings(d.output()))
	}
	waitFor(t, 20*time.Second, "a reconciliation after the outage", func() bool {
		for _, rec := range d.logLines("reconciling orders with Coinbase") {
			if rec["reason"] == "reconnect" {
				return true
			}
		}
		return false
	})
	q := quietMatch(t, d, e)
	assertFillsReflected(t, q, e, "brk")
	assertJournalHoldsTheExchangesFills(t, d, e, q)
	assertOnePerClientID(t, e)
}

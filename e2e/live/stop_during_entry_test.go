package live

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// TestASIGTERMDuringAnEntrysSendLeavesNoEntryWorking stops the daemon
// while its entry's create-order request is on its way (every REST
// request waits 1 s in the emulator; SIGTERM follows the entry's log
// line) and the market is held, so that the entry, once created, works
// on the exchange without filling. The stop must not leave it there: an
// entry that fills after the process has gone is a position nobody
// protects until the next start. The stop asked about the entries
// working when it began, parked the stops, and exited with the entry
// whose send had returned meanwhile still open ("left unresolved").
// Whatever the entry bought before it ended must have its stop resting,
// and the stop must exit 0 having placed no order twice.
func TestASIGTERMDuringAnEntrysSendLeavesNoEntryWorking(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	d := startDaemon(t, liveConfig(t, e, ""))
	ctx := context.Background()
	d.waitUserChannel()
	e.Delay(time.Second)
	waitFor(t, 60*time.Second, "an entry", func() bool { return len(d.logLines("entry")) > 0 })
	e.market.Close()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.exited:
	case <-time.After(40 * time.Second):
		t.Fatalf("tradebot did not stop within 40s of SIGTERM\n%s", tail(d.output()))
	}
	if d.err != nil {
		t.Errorf("tradebot exited with %v after SIGTERM during an entry\n%s", d.err, warnings(d.output()))
	}
	e.Delay(0)
	if len(e.Stats().CreateRequests) == 0 {
		t.Fatal("no create-order request reached the exchange: the signal came before the entry's send")
	}
	for _, o := range openOrders(t, e, ctx) {
		if o.Side == exchange.Buy {
			t.Errorf("entry %s is still working on the exchange after the daemon stopped (%s of %s filled)\n%s",
				o.ClientOrderID, o.FilledSize, o.BaseSize, warnings(d.output()))
		}
	}
	if held := baseBalance(t, e); held.IsPositive() {
		st := restingStop(t, e, ctx)
		switch {
		case st == nil:
			t.Errorf("%s BTC bought by the entry has no stop resting on the exchange\n%s", held, warnings(d.output()))
		case st.BaseSize.Sub(st.FilledSize).LessThan(held):
			t.Errorf("the resting stop covers %s of %s BTC\n%s", st.BaseSize.Sub(st.FilledSize), held, warnings(d.output()))
		}
	}
	assertOnePerClientID(t, e)
}

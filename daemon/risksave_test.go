package daemon

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/risk"
)

// The risk guard's counters reach the journal with the fills they count,
// not only when the trading state changes: a restart (after a stop or a
// kill) must not forget the day's PnL. An entry's fees are the day's
// realized PnL; the journal's counters hold them while the daemon runs,
// with no change of state, and after it stops.
func TestTheDaysPnLIsSavedWithTheFills(t *testing.T) {
	w := newLiveWorld(t, true)
	r := startDaemon(t, w.config("exchange"))
	w.waitForPosition(r, true) // the market is held from here
	fees := decimal.Zero
	for _, f := range w.e.Sim().Fills() {
		fees = fees.Add(f.Fee)
	}
	if !fees.IsPositive() {
		t.Fatalf("the entry's fills paid no fee: %+v", w.e.Sim().Fills())
	}
	saved := func() decimal.Decimal {
		j, err := journal.OpenReadOnlyWith(filepath.Join(w.stateDir, "journal.db"), journal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		b, err := j.Risk(riskAccount)
		if err != nil || len(b) == 0 {
			return decimal.Decimal{}
		}
		var c risk.Counters
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c.RealizedToday
	}
	r.waitFor("the journal's risk counters to hold the entry's fees", 10*time.Second, func() bool {
		return saved().Equal(fees.Neg())
	})
	if st, _ := r.state(); st != "ACTIVE" {
		t.Fatalf("trading state %s; the test needs no change of state to have saved the counters", st)
	}
	r.stop()
	if got := saved(); !got.Equal(fees.Neg()) {
		t.Errorf("after the stop the journal's counters hold %s realized today, want the fees %s", got, fees.Neg())
	}
}

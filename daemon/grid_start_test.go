package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
)

// The grid of these tests (startGrid): levels at 58,000, 59,000, 60,000,
// 61,000 and 62,000, the stop at 57,000, 600 USD a lot.

// gridWaiting is the log message of a grid that waits under its stop.
const gridWaiting = "grid waiting: the price is at or under the inventory's stop; it buys nothing until a trade over the stop"

// TestANewGridStartedUnderItsStopBuysNothingUntilATradeOverIt: a grid
// started with the price under its stop places nothing and holds nothing
// (it does not buy into a market already under its stop) and says so
// once, not on every trade. A trade over the stop arms it: the levels
// under the price buy, and the next fall to the stop ends it for good.
func TestANewGridStartedUnderItsStopBuysNothingUntilATradeOverIt(t *testing.T) {
	x, clk := newGridVenue(t)
	r := startGrid(t, x, clk, filepath.Join(t.TempDir(), "journal.db"), exits.InBot)
	for _, p := range []string{"56500", "56000", "57000", "56800"} {
		r.trade(p)
	}
	if got := orders(t, x); len(got) != 0 || stateOf(t, r.grid).Stopped {
		t.Fatalf("under the stop: orders %v, stopped %v; want nothing placed and the grid waiting", got, stateOf(t, r.grid).Stopped)
	}
	if n := strings.Count(r.log.String(), `"msg":"`+gridWaiting+`"`); n != 1 {
		t.Fatalf("%d waiting messages for four trades under the stop, want one\n%s", n, r.log.String())
	}

	r.trade("57500") // over the stop, under the ladder: armed, nothing to buy
	if got := orders(t, x); len(got) != 0 {
		t.Fatalf("at 57,500: %v, want no order (every level is over the price)", got)
	}
	r.trade("58500")
	if got, want := fmt.Sprint(orders(t, x)), "[BUY LIMIT 58000 0.01034482]"; got != want {
		t.Fatalf("at 58,500: %s, want %s", got, want)
	}
	for _, p := range []string{"56900", "56900", "58500", "60500"} {
		r.trade(p)
	}
	if got := orders(t, x); len(got) != 0 || !stateOf(t, r.grid).Stopped || btcHeld(t, x) != "0" {
		t.Fatalf("after the stop and back up: orders %v, stopped %v, %s BTC held; want the lot sold at the stop and the grid stopped for good",
			got, stateOf(t, r.grid).Stopped, btcHeld(t, x))
	}
}

// TestANewGridStartedAboveItsRangeRestsItsWholeLadder: over upper every
// level is under the price, so each rests its buy, once; nothing is for
// sale.
func TestANewGridStartedAboveItsRangeRestsItsWholeLadder(t *testing.T) {
	x, clk := newGridVenue(t)
	r := startGrid(t, x, clk, filepath.Join(t.TempDir(), "journal.db"), exits.InBot)
	for _, p := range []string{"62500", "63000", "62500"} {
		r.trade(p)
	}
	want := "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.01016949 BUY LIMIT 60000 0.01 BUY LIMIT 61000 0.00983606]"
	if got := fmt.Sprint(orders(t, x)); got != want {
		t.Fatalf("over the range: %s, want %s", got, want)
	}
}

// TestAGridRestartedAboveItsRangeBuysAgainTheLevelItSold: a lot on sale
// at 61,000 is sold while the daemon is down and the price climbs over
// the range. Restarted, the grid counts the sale and rests a buy at
// every level, the sold one again, none twice.
func TestAGridRestartedAboveItsRangeBuysAgainTheLevelItSold(t *testing.T) {
	x, clk := newGridVenue(t)
	r, path := killAGridHoldingALotOnSale(t, x, clk)
	r.trade("62500") // while down: the sell at 61,000 fills
	r = startGrid(t, x, clk, path, exits.InBot)
	for _, p := range []string{"62500", "62500", "62500"} {
		r.trade(p)
	}
	want := "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.01016949 BUY LIMIT 60000 0.01 BUY LIMIT 61000 0.00983606]"
	if got := fmt.Sprint(orders(t, x)); got != want || stateOf(t, r.grid).Sold != 1 || stateOf(t, r.grid).Stopped {
		t.Fatalf("after the restart: %s, %d sold, stopped %v; want %s, the lot sold once, the grid trading",
			got, stateOf(t, r.grid).Sold, stateOf(t, r.grid).Stopped, want)
	}
}

// TestAGridRestartedUnderItsStopStopsWhateverItsSavedState: a grid holds a
// lot on sale and two buys; while the daemon is down the price falls to
// under the stop on thin trades that fill the buys only in part (the
// venue fills what the market shows). Restarted there, the grid behaves
// as one that never stopped: it cancels its buys, the exits sell the
// whole inventory, and it places nothing more when the price comes back,
// whether its
// saved state says it was armed, is from a version before armed existed
// (no armed field), or was never saved (a crash before the first save;
// the grid adopts its orders from the journal).
func TestAGridRestartedUnderItsStopStopsWhateverItsSavedState(t *testing.T) {
	for _, c := range []struct {
		name  string
		state func(t *testing.T, saved []byte) []byte
	}{
		{"armed", func(t *testing.T, saved []byte) []byte { return saved }},
		{"from before armed", func(t *testing.T, saved []byte) []byte {
			var st map[string]any
			if err := json.Unmarshal(saved, &st); err != nil {
				t.Fatal(err)
			}
			if st["armed"] != true {
				t.Fatalf("saved state %s, want it armed", saved)
			}
			delete(st, "armed")
			b, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"never saved", func(*testing.T, []byte) []byte { return nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, clk := newGridVenueWith(t, true)
			r, path := killAGridHoldingALotOnSale(t, x, clk)
			rewriteGridState(t, path, c.state)

			// While down the price falls under the stop on thin trades: the
			// 59,000 buy fills in part, and both buys still rest.
			r.tradeShowing("56500", "0.005", "0.005")
			want := "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.00016949 SELL LIMIT 61000 0.01]"
			if got := fmt.Sprint(orders(t, x)); got != want || btcHeld(t, x) != "0.02" {
				t.Fatalf("while down: %s, %s BTC held; want %s and 0.02", got, btcHeld(t, x), want)
			}
			r = startGrid(t, x, clk, path, exits.InBot)
			r.tradeShowing("56500", "0.00000001", "0.00000001")
			r.tradeShowing("56500", "0.00000001", "0.00000001")
			if got := orders(t, x); !stateOf(t, r.grid).Stopped || strings.Contains(fmt.Sprint(got), "BUY") {
				t.Fatalf("restarted under the stop: orders %v, stopped %v; want the buys cancelled and the grid stopped", got, stateOf(t, r.grid).Stopped)
			}
			for _, p := range []string{"56500", "56500"} {
				r.trade(p)
			}
			if got := orders(t, x); len(got) != 0 || !stateOf(t, r.grid).Stopped || btcHeld(t, x) != "0" {
				t.Fatalf("restarted under the stop: orders %v, stopped %v, %s BTC held; want the inventory sold and the grid stopped",
					got, stateOf(t, r.grid).Stopped, btcHeld(t, x))
			}
			for _, p := range []string{"58500", "60500", "60500"} {
				r.trade(p)
			}
			if got := orders(t, x); len(got) != 0 {
				t.Fatalf("back in the range after the stop: %v, want nothing placed", got)
			}
		})
	}
}

// rewriteGridState replaces the grid's strategy state in the journal at
// path with what change makes of it, as another version or a crash
// would have left it.
func rewriteGridState(t *testing.T, path string, change func(t *testing.T, saved []byte) []byte) {
	t.Helper()
	j, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	exitState, saved, err := j.InstanceState("grid")
	if err != nil || len(saved) == 0 {
		t.Fatalf("saved grid state %q: %v", saved, err)
	}
	if err := j.SaveInstanceState("grid", exitState, change(t, saved)); err != nil {
		t.Fatal(err)
	}
}

// btcHeld returns the venue's BTC balance, held funds included.
func btcHeld(t *testing.T, x *sim.Exchange) string {
	t.Helper()
	bals, err := x.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bals {
		if b.Currency == "BTC" {
			return b.Total().String()
		}
	}
	return "0"
}

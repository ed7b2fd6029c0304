package daemon

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/strategy"
)

// startDailyDCA starts a run of a dca that buys 100 once a day and sells
// all 1.5 % over its average entry, with a bot-watched stop 8 % under it
// and the exits' time stop after two hours, recovered from the journal at
// path as the daemon does at start.
func startDailyDCA(t *testing.T, x *sim.Exchange, clk *clock.Sim, path string) *killableRun {
	t.Helper()
	r, _ := startDCAWith(t, x, clk, path, dailyDCAParams(), exits.Config{Placement: exits.InBot, StopLoss: &exits.StopLoss{Percent: dec("8")},
		TimeStop: &exits.TimeStop{MaxHolding: 2 * time.Hour}})
	return r
}

// dailyDCAParams are a dca that buys 100 once a day, with one safety buy
// 2 % under its average entry, and sells all 1.5 % over it.
func dailyDCAParams() *strategy.DCAParams {
	return &strategy.DCAParams{Every: 24 * time.Hour, OrderQuote: dec("100"), SafetyOrders: 1, SafetyStepPercent: 2, SafetyScale: 1,
		TakeProfitPercent: 1.5}
}

// sellDuringKill opens a position with the dca's scheduled buy and its
// safety buy (so that no order rests whose events would save the exit
// state as the sale is placed), then lets
// sell (a move of the market) cause an exit sale that fills on the venue
// while the daemon dies at the sale's first event, before the exit state
// that names the sale is saved; it restarts the daemon (before restart,
// which may change the journal while no daemon runs) and returns the
// round trips the journal holds.
func sellDuringKill(t *testing.T, sell func(r *killableRun), restart func(path string)) []journal.RoundTrip {
	t.Helper()
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	r := startDailyDCA(t, x, clk, path)
	r.trade("60000")
	r.wait(24*time.Hour, "60000") // the scheduled buy, and the safety buy under it
	r.trade("58700")              // the safety buy fills: no order rests
	if v := venueOf(t, x); v.safety != 1 || len(v.resting) != 0 {
		t.Fatalf("%d safety buys filled, %d resting; want 1 and none", v.safety, len(v.resting))
	}
	dead := r.dieAtFirst(func(o exchange.Order) bool { return o.Side == exchange.Sell })
	sell(r)
	if v := venueOf(t, x); !dead() || v.sells != 1 {
		t.Fatalf("%d sells placed (the daemon heard of one: %v), want 1", v.sells, !dead())
	}
	for _, o := range x.Orders() {
		if o.Side == exchange.Sell && o.Status != exchange.StatusFilled {
			t.Fatalf("the sale is %s on the venue, want FILLED while the daemon is down", o.Status)
		}
	}
	saved, _, err := r.j.InstanceState("dca")
	if err != nil {
		t.Fatal(err)
	}
	var st exits.State
	if err := json.Unmarshal(saved, &st); err != nil {
		t.Fatal(err)
	}
	if st.Market != nil || len(st.Sells) > 0 || st.Resting != nil {
		t.Fatalf("the saved exit state names an exit order (%+v): the case this test makes is one it does not", st)
	}
	r.crash()
	if restart != nil {
		restart(path)
	}

	r = startDailyDCA(t, x, clk, path)
	r.trade("61000")
	if r.position().Size.IsPositive() {
		t.Fatalf("%s still held after the restart; the sale filled while the daemon was down", r.position().Size)
	}
	rts, err := r.j.RoundTrips(journal.RoundTripFilter{Instance: "dca"})
	if err != nil {
		t.Fatal(err)
	}
	return rts
}

func wantExitReason(t *testing.T, rts []journal.RoundTrip, want string) {
	t.Helper()
	if len(rts) != 1 || rts[0].ExitReason != want {
		var got []string
		for _, rt := range rts {
			got = append(got, rt.ExitReason)
		}
		t.Fatalf("round trips journaled with exit reasons %q, want one with %q", got, want)
	}
}

// TestAnExitThatFilledWhileTheDaemonWasDownKeepsItsReason: the daemon is
// killed just after it asked for an exit sale and before its exit state
// recorded it; the sale fills on the venue while it is down. The
// restarted daemon books the round trip with the reason the sale was sent
// for, which only the journal's order row kept, not with stop_loss (what
// it wrote before the journal kept reasons).
func TestAnExitThatFilledWhileTheDaemonWasDownKeepsItsReason(t *testing.T) {
	takeProfit := func(r *killableRun) {
		tp := gridProduct.RoundPriceUp(r.position().AvgEntryPrice.Mul(dec("1.016")))
		r.trade(tp.String())
	}
	t.Run("the strategy's take-profit", func(t *testing.T) {
		wantExitReason(t, sellDuringKill(t, takeProfit, nil), "take_profit")
	})
	t.Run("the exits' time stop", func(t *testing.T) {
		timeStop := func(r *killableRun) { r.wait(2*time.Hour+time.Minute, "59000") }
		wantExitReason(t, sellDuringKill(t, timeStop, nil), exits.ReasonTimeStop)
	})
	t.Run("an order from a journal that kept no reasons", func(t *testing.T) {
		// The killed run's journal is taken back to schema version 3,
		// which had no reason column (nor version 5's index on the
		// fills' order id, nor version 6's fill numbers), as a
		// tradebot before it left it;
		// the restarted daemon migrates it, and cannot know why the sale
		// was sent: "unknown", not a stop-loss it never was.
		toVersion3 := func(path string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range []string{"DROP INDEX fills_order", "ALTER TABLE fills DROP COLUMN seq", "ALTER TABLE orders DROP COLUMN reason", "PRAGMA user_version = 3"} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}
		wantExitReason(t, sellDuringKill(t, takeProfit, toVersion3), exits.ReasonUnknown)
	})
}

// TestPaperModesJournalKeepsAnIntentsReason: the paper daemon's journal,
// which writes intents off the order path, keeps their reasons too, from
// a copied intent and from one taken by reference.
func TestPaperModesJournalKeepsAnIntentsReason(t *testing.T) {
	j := openPaperTestJournal(t)
	a := newAsyncJournalWith(j, nil, 16, asyncInterval)
	copied, kept := marketBuy("copied"), marketBuy("kept")
	copied.Purpose, copied.Reason = exchange.Exit, exits.ReasonTakeProfit
	kept.Purpose, kept.Reason = exchange.Exit, exits.ReasonTimeStop
	if err := a.RecordIntent(copied); err != nil {
		t.Fatal(err)
	}
	if err := a.KeepIntent(&kept); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"copied": exits.ReasonTakeProfit, "kept": exits.ReasonTimeStop} {
		r, err := j.Order(id)
		if err != nil || r.Reason != want {
			t.Fatalf("order %s journaled with reason %q (%v), want %q", id, r.Reason, err, want)
		}
	}
}

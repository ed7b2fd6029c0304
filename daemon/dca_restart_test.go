package daemon

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/strategy"
)

// startDCA starts a run on x with the journal at path: a new engine and a
// new dca (a scheduled buy of 100 every hour, up to 3 safety buys 2 %
// under the average entry, each 1.5 times the last, sold 1.5 % over it;
// a bot-watched stop 8 % under the average entry), recovered from the
// journal as the daemon does at start.
func startDCA(t *testing.T, x *sim.Exchange, clk *clock.Sim, path string) (*killableRun, *strategy.DCA) {
	t.Helper()
	return startDCAVia(t, x, x, clk, path, hourlyDCA(), stopUnder8())
}

// hourlyDCA is startDCA's dca.
func hourlyDCA() *strategy.DCAParams {
	return &strategy.DCAParams{Every: time.Hour, OrderQuote: dec("100"), SafetyOrders: 3, SafetyStepPercent: 2, SafetyScale: 1.5,
		TakeProfitPercent: 1.5}
}

// stopUnder8 is startDCA's exits: a stop 8 % under the average entry,
// watched by the bot.
func stopUnder8() exits.Config {
	return exits.Config{Placement: exits.InBot, StopLoss: &exits.StopLoss{Percent: dec("8")}}
}

// startDCAWith starts a run on x with the journal at path of a new dca
// of params p and exits ex, recovered from the journal as the daemon does
// at start.
func startDCAWith(t *testing.T, x *sim.Exchange, clk *clock.Sim, path string, p *strategy.DCAParams, ex exits.Config) (*killableRun, *strategy.DCA) {
	t.Helper()
	return startDCAVia(t, x, x, clk, path, p, ex)
}

// startDCAVia is startDCAWith with the engine reaching x through venue.
func startDCAVia(t *testing.T, x *sim.Exchange, venue exchange.Venue, clk *clock.Sim, path string, p *strategy.DCAParams,
	ex exits.Config) (*killableRun, *strategy.DCA) {
	t.Helper()
	st, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	r := startRunVia(t, x, venue, clk, path, engine.InstanceSpec{Name: "dca", ProductID: "BTC-USD", Strategy: st, QuoteSize: dec("100"), Exits: ex})
	return r, st.(*strategy.DCA)
}

// dcaVenue is the venue's view of a dca's orders.
type dcaVenue struct {
	resting                  []exchange.Order // open limit buys: safety buys
	scheduled, safety, sells int              // market buys, limit buys filled, sells placed
}

func venueOf(t *testing.T, x *sim.Exchange) dcaVenue {
	t.Helper()
	var v dcaVenue
	for _, o := range x.Orders() {
		switch {
		case o.Side == exchange.Sell:
			v.sells++
		case o.Type == exchange.Market:
			v.scheduled++
		case o.Status == exchange.StatusFilled:
			v.safety++
		case !o.Status.Terminal():
			v.resting = append(v.resting, o)
		}
	}
	return v
}

// position is the instance's position as the journal holds it.
func (r *killableRun) position() journal.PositionRow {
	r.t.Helper()
	return r.positionOf("dca")
}

// positionOf is the position of instance as the journal holds it.
func (r *killableRun) positionOf(instance string) journal.PositionRow {
	r.t.Helper()
	rows, err := r.j.Positions()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, p := range rows {
		if p.Instance == instance {
			return p
		}
	}
	return journal.PositionRow{}
}

// wantOneSafetyBuy fails unless exactly one safety buy rests: the n-th
// of its cycle (100 × 1.5^n of quote), 2 % under the journaled average
// entry.
func wantOneSafetyBuy(t *testing.T, r *killableRun, n int, when string) exchange.Order {
	t.Helper()
	v := venueOf(t, r.x)
	if len(v.resting) != 1 {
		t.Fatalf("%s: %d safety buys rest on the venue (%v), want exactly one", when, len(v.resting), prices(v.resting))
	}
	o := v.resting[0]
	avg := r.position().AvgEntryPrice
	if want := gridProduct.RoundPriceDown(avg.Mul(dec("0.98"))); !o.LimitPrice.Equal(want) {
		t.Fatalf("%s: the safety buy rests at %s, want %s (2 %% under the average entry %s)", when, o.LimitPrice, want, avg)
	}
	quote := dec("100").Mul(decimal.NewFromFloat(1.5).Pow(decimal.NewFromInt(int64(n))))
	if spent := o.BaseSize.Mul(o.LimitPrice); spent.GreaterThan(quote) || quote.Sub(spent).GreaterThan(dec("1")) {
		t.Fatalf("%s: the safety buy spends %s, want safety buy %d's %s", when, spent, n, quote)
	}
	return o
}

func prices(os []exchange.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ClientOrderID+"@"+o.LimitPrice.String())
	}
	return out
}

// dieAtFirst makes the run die unaware at the first event of an order
// that match accepts: from then on its engine hears of nothing, as if
// killed as the venue answered. The function returned reports whether
// it has died.
func (r *killableRun) dieAtFirst(match func(exchange.Order) bool) func() bool {
	dead, eng := false, r.eng
	r.x.SetHandler(func(ev exchange.OrderEvent) {
		if match(ev.Order) {
			dead = true
		}
		if !dead {
			eng.HandleEvent(ev)
		}
	})
	return func() bool { return dead }
}

// wait moves the market time on by d and trades at price.
func (r *killableRun) wait(d time.Duration, price string) {
	r.clk.Set(r.clk.Now().Add(d - time.Second))
	r.trade(price)
}

// TestADCAKilledAndRestartedKeepsItsCycle: a dca's cycle (the resting
// safety buy, the safety buys filled, the average entry, the take-profit)
// survives kills of the daemon, journaled in SQLite, on the simulated
// exchange that outlives each run:
//
//   - killed with a safety buy resting and one filled, restarted: the same
//     safety buy rests, and when the next scheduled buy moves the average
//     entry it is replaced, never doubled;
//   - killed again, the safety buy fills while the daemon is down: the
//     restarted dca counts it and rests the third, the last of the cycle,
//     under the recovered average entry; the scheduled buy placed just
//     before the kill is not placed again;
//   - killed as the take-profit's sale fills, unheard: the cycle ends
//     once, the next one counts its safety buys from none;
//   - killed after the sale was booked but before the cycle's end was
//     seen: it ends once.
func TestADCAKilledAndRestartedKeepsItsCycle(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	r, d := startDCA(t, x, clk, path)
	r.trade("60000")
	r.wait(time.Hour, "60000") // the scheduled buy, and safety buy 1 under it
	wantOneSafetyBuy(t, r, 1, "after the first scheduled buy")
	r.trade("58700") // safety buy 1 fills, safety buy 2 rests
	first := wantOneSafetyBuy(t, r, 2, "after safety buy 1 filled")
	if stateOf(t, d).SafetyBuys != 1 {
		t.Fatalf("%d safety buys counted, want 1", stateOf(t, d).SafetyBuys)
	}
	r.crash()

	r, d = startDCA(t, x, clk, path)
	r.trade("58700")
	r.trade("58700")
	if o := wantOneSafetyBuy(t, r, 2, "after the first restart"); o.ClientOrderID != first.ClientOrderID {
		t.Fatalf("after the first restart safety buy %s rests, want %s, the one placed before the kill", o.ClientOrderID, first.ClientOrderID)
	}
	if stateOf(t, d).SafetyBuys != 1 {
		t.Fatalf("after the first restart %d safety buys counted, want the 1 filled before the kill", stateOf(t, d).SafetyBuys)
	}
	r.wait(time.Hour, "58700") // the next scheduled buy moves the average entry
	r.trade("58700")
	wantOneSafetyBuy(t, r, 2, "after a scheduled buy following the first restart")
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("%d scheduled buys placed, want 2", v.scheduled)
	}
	r.crash()

	r.trade("57900") // while down: safety buy 2 fills
	r.trade("58000")
	if v := venueOf(t, x); v.safety != 2 || len(v.resting) != 0 {
		t.Fatalf("while down: %d safety buys filled, %d rest; want 2 and none", v.safety, len(v.resting))
	}
	r, d = startDCA(t, x, clk, path)
	r.trade("58000")
	r.trade("58000")
	wantOneSafetyBuy(t, r, 3, "after the second restart")
	if stateOf(t, d).SafetyBuys != 2 {
		t.Fatalf("after the second restart %d safety buys counted, want 2 (one filled while down)", stateOf(t, d).SafetyBuys)
	}
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("after the second restart %d scheduled buys placed, want still 2", v.scheduled)
	}
	r.trade("57400") // safety buy 3 fills: the cycle's last
	r.trade("57400")
	if v := venueOf(t, x); v.safety != 3 || len(v.resting) != 0 || stateOf(t, d).SafetyBuys != 3 {
		t.Fatalf("after the third safety buy: %d filled, %d rest (%v), %d counted; want 3, none, 3",
			v.safety, len(v.resting), prices(v.resting), stateOf(t, d).SafetyBuys)
	}

	// The take-profit: its sale fills on the venue and the daemon dies
	// before it hears of it.
	avg := r.position().AvgEntryPrice
	tp := gridProduct.RoundPriceUp(avg.Mul(dec("1.016")))
	dead := r.dieAtFirst(func(o exchange.Order) bool { return o.Side == exchange.Sell })
	r.trade(tp.String())
	if v := venueOf(t, x); !dead() || v.sells != 1 {
		t.Fatalf("at the take-profit %s (average entry %s): %d sells placed, want 1", tp, avg, v.sells)
	}
	r.crash()

	r, d = startDCA(t, x, clk, path)
	r.trade(tp.String())
	r.trade(tp.String())
	if v := venueOf(t, x); v.sells != 1 || len(v.resting) != 0 || stateOf(t, d).Cycles != 1 || stateOf(t, d).SafetyBuys != 0 || r.position().Size.IsPositive() {
		t.Fatalf("after a restart as the take-profit sold: %d sells, %d safety buys resting, %d cycles ended, %d safety buys "+
			"counted, %s held; want 1, none, 1, 0, nothing", v.sells, len(v.resting), stateOf(t, d).Cycles, stateOf(t, d).SafetyBuys, r.position().Size)
	}
	wantRoundTrips(t, r, 1)

	// A new cycle: its first safety buy is the first again. Its
	// take-profit sells, the daemon is killed before the next trade.
	r.wait(time.Hour, tp.String())
	r.trade(tp.String())
	wantOneSafetyBuy(t, r, 1, "in the next cycle")
	tp2 := gridProduct.RoundPriceUp(r.position().AvgEntryPrice.Mul(dec("1.016")))
	r.trade(tp2.String())
	if r.position().Size.IsPositive() {
		t.Fatalf("%s held after the second take-profit at %s", r.position().Size, tp2)
	}
	r.crash()

	r, d = startDCA(t, x, clk, path)
	r.trade(tp2.String())
	r.trade(tp2.String())
	if v := venueOf(t, x); v.sells != 2 || len(v.resting) != 0 || stateOf(t, d).Cycles != 2 || v.scheduled != 3 {
		t.Fatalf("after a restart once the second take-profit sold: %d sells, %d safety buys resting, %d cycles ended, "+
			"%d scheduled buys; want 2, none, 2, 3", v.sells, len(v.resting), stateOf(t, d).Cycles, v.scheduled)
	}
	wantRoundTrips(t, r, 2)
}

// wantRoundTrips fails unless the journal holds n round trips, every one
// ended by the dca's take-profit (the first one's sale filled while the
// daemon was down, unnamed by its saved exit state: only the journal's
// order row says why it was sent).
func wantRoundTrips(t *testing.T, r *killableRun, n int) {
	t.Helper()
	rts, err := r.j.RoundTrips(journal.RoundTripFilter{Instance: "dca"})
	if err != nil {
		t.Fatal(err)
	}
	wrong := slices.ContainsFunc(rts, func(rt journal.RoundTrip) bool { return rt.ExitReason != "take_profit" })
	if len(rts) != n || wrong {
		var got []string
		for _, rt := range rts {
			got = append(got, fmt.Sprintf("%s %s", rt.ExitReason, rt.Size))
		}
		t.Fatalf("%d round trips journaled (%v), want %d, each ended by take_profit", len(rts), got, n)
	}
}

// TestADCAScheduledBuyIsNeverPlacedTwiceAcrossARestart: the daemon dies
// as a scheduled buy fills, unheard; restarted half a period later, the
// dca learns of the buy from the journal and the venue (the safety buy
// moves under the new average entry) and does not buy again, though the
// last buy its saved state knew of is a period old. Down for three
// periods, it places the buy that fell due once at restart, then one
// per period again.
func TestADCAScheduledBuyIsNeverPlacedTwiceAcrossARestart(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	r, _ := startDCA(t, x, clk, path)
	r.trade("60000")
	r.wait(time.Hour, "60000")
	wantOneSafetyBuy(t, r, 1, "after the first scheduled buy")
	dead := r.dieAtFirst(func(o exchange.Order) bool { return o.Type == exchange.Market })
	r.wait(time.Hour, "59500") // the second scheduled buy fills; the daemon dies unaware
	if v := venueOf(t, x); !dead() || v.scheduled != 2 {
		t.Fatalf("%d scheduled buys placed, want 2", v.scheduled)
	}
	restartAfter := func(down time.Duration) {
		r.crash()
		clk.Set(clk.Now().Add(down))
		r, _ = startDCA(t, x, clk, path)
		for range 3 {
			r.trade("59500")
		}
	}

	restartAfter(30 * time.Minute)
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("after a restart half a period after the last scheduled buy: %d placed, want still 2", v.scheduled)
	}
	wantOneSafetyBuy(t, r, 1, "after a restart that learned of a scheduled buy")

	restartAfter(3 * time.Hour)
	if v := venueOf(t, x); v.scheduled != 3 {
		t.Fatalf("after three periods down: %d scheduled buys placed, want 3 (the one due, once)", v.scheduled)
	}
	wantOneSafetyBuy(t, r, 1, "after the buy due while down")
	r.wait(time.Hour, "59500")
	if v := venueOf(t, x); v.scheduled != 4 {
		t.Fatalf("a period after the restart: %d scheduled buys placed, want 4", v.scheduled)
	}
}

// TestADCAAsksAgainForWhatTheGuardRefusedAtRestart: the first trades
// after a start may come before the user channel is reconciled, while
// the risk guard refuses entries (stale data). A safety buy missing at
// the restart (the scheduled buy before it filled unheard) and the
// scheduled buy that fell due while the daemon was down are refused
// then; once order updates can be seen, each is asked again within
// seconds, once: not left for the next fill or the next period.
func TestADCAAsksAgainForWhatTheGuardRefusedAtRestart(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	r, _ := startDCA(t, x, clk, path)
	r.trade("60000")
	dead := r.dieAtFirst(func(o exchange.Order) bool { return o.Type == exchange.Market })
	r.wait(time.Hour, "60000") // the scheduled buy fills; the daemon dies unaware, no safety buy placed
	if v := venueOf(t, x); !dead() || v.scheduled != 1 || len(v.resting) != 0 {
		t.Fatalf("%d scheduled buys, %d safety buys resting; want 1, none", v.scheduled, len(v.resting))
	}
	restartUnseen := func(down time.Duration) {
		r.crash()
		clk.Set(clk.Now().Add(down))
		r, _ = startDCA(t, x, clk, path)
		r.guard.SetOrderUpdatesUnseen("the user channel is down")
		r.trade("60000")
		r.trade("60000")
	}

	restartUnseen(time.Minute)
	if v := venueOf(t, x); len(v.resting) != 0 {
		t.Fatalf("while order updates cannot be seen: %d safety buys rest, want none (refused)", len(v.resting))
	}
	r.guard.SetOrderUpdatesUnseen("")
	for range 3 {
		r.trade("60000")
	}
	wantOneSafetyBuy(t, r, 1, "a few seconds after the refused safety buy")

	restartUnseen(3 * time.Hour)
	if v := venueOf(t, x); v.scheduled != 1 {
		t.Fatalf("while order updates cannot be seen: %d scheduled buys placed, want still 1", v.scheduled)
	}
	r.guard.SetOrderUpdatesUnseen("")
	for range 10 {
		r.trade("60000")
	}
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("seconds after the refused buy that fell due while down: %d scheduled buys placed, want 2 (it, once)", v.scheduled)
	}
	wantOneSafetyBuy(t, r, 1, "after the buy that fell due")
}

// TestADCAKilledAsTheNextCycleBeginsStartsItAfresh: the take-profit
// sold, a trade saw the position flat (the cycle's end, in memory) and
// the daemon died as the next cycle's scheduled buy filled, unheard; the
// journal's last state is the old cycle's. The restarted dca ends that
// cycle and rests the new one's first safety buy, not the old cycle's
// next.
func TestADCAKilledAsTheNextCycleBeginsStartsItAfresh(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	r, d := startDCA(t, x, clk, path)
	r.trade("60000")
	r.wait(time.Hour, "60000")
	r.trade("58700") // safety buy 1 fills, safety buy 2 rests
	wantOneSafetyBuy(t, r, 2, "after safety buy 1 filled")
	tp := gridProduct.RoundPriceUp(r.position().AvgEntryPrice.Mul(dec("1.016")))
	r.trade(tp.String())
	r.trade(tp.String()) // the cycle's end
	if v := venueOf(t, x); r.position().Size.IsPositive() || len(v.resting) != 0 || stateOf(t, d).Cycles != 1 {
		t.Fatalf("after the take-profit: %s held, %d safety buys resting, %d cycles ended; want nothing, none, 1",
			r.position().Size, len(v.resting), stateOf(t, d).Cycles)
	}
	dead := r.dieAtFirst(func(o exchange.Order) bool { return o.Type == exchange.Market })
	r.wait(time.Hour, tp.String())
	if v := venueOf(t, x); !dead() || v.scheduled != 2 {
		t.Fatalf("%d scheduled buys placed, want 2", v.scheduled)
	}
	r.crash()

	r, d = startDCA(t, x, clk, path)
	for range 3 {
		r.trade(tp.String())
	}
	wantOneSafetyBuy(t, r, 1, "after a restart as the next cycle's scheduled buy filled")
	if stateOf(t, d).Cycles != 1 || stateOf(t, d).SafetyBuys != 0 {
		t.Fatalf("after the restart: %d cycles ended, %d safety buys counted; want 1, 0", stateOf(t, d).Cycles, stateOf(t, d).SafetyBuys)
	}
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("after the restart: %d scheduled buys placed, want still 2", v.scheduled)
	}
}

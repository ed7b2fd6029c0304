package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
)

// TestADCACycleEndsAtTheTimerAfterAStop: the exits' time stop sells the
// position under a resting safety buy, and the next callback is the
// schedule's timer, not a trade. The timer ends the cycle before it buys,
// as a trade would have: the old safety buy is cancelled and the new
// cycle's first safety buy (150, not the old cycle's second, 225) rests
// under the new position.
func TestADCACycleEndsAtTheTimerAfterAStop(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	ex := stopUnder8()
	ex.TimeStop = &exits.TimeStop{MaxHolding: 30 * time.Minute}
	r, d := startDCAWith(t, x, clk, path, hourlyDCA(), ex)
	r.trade("60000")
	r.wait(time.Hour, "60000") // the scheduled buy
	r.trade("58700")           // safety buy 1 fills; safety buy 2 rests
	wantOneSafetyBuy(t, r, 2, "after safety buy 1 filled")
	// Quotes alone from now on: the time stop sells the position at
	// the first; safety buy 2 rests on.
	clk.Set(clk.Now().Add(30 * time.Minute))
	r.quoteOnly("58700")
	if held := r.position().Size; held.IsPositive() || stateOf(t, d).SafetyBuys != 1 || stateOf(t, d).Cycles != 0 || len(venueOf(t, x).resting) != 1 {
		t.Fatalf("after the time stop: %s held, %d safety buys counted, %d cycles ended; want nothing, 1, 0 (no trade seen since), "+
			"the safety buy resting", held, stateOf(t, d).SafetyBuys, stateOf(t, d).Cycles)
	}

	clk.Set(clk.Now().Add(30 * time.Minute))
	r.quoteOnly("58700") // the schedule's timer, before any trade
	r.trade("58700")
	if stateOf(t, d).Cycles != 1 || stateOf(t, d).SafetyBuys != 0 {
		t.Fatalf("after the scheduled buy following the stop: %d cycles ended, %d safety buys counted; want 1, 0",
			stateOf(t, d).Cycles, stateOf(t, d).SafetyBuys)
	}
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("%d scheduled buys, want 2", v.scheduled)
	}
	wantOneSafetyBuy(t, r, 1, "in the cycle the timer began")
}

// quoteOnly moves the best bid and ask around price, one second on,
// through the venue and the engine, without a trade.
func (r *killableRun) quoteOnly(price string) {
	now := r.clk.Now().Add(time.Second)
	r.clk.Set(now)
	p := dec(price)
	tk := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: now, Received: now, Bid: p.Sub(dec("0.01")), BidSize: dec("5"),
		Ask: p.Add(dec("0.01")), AskSize: dec("5")}
	r.x.OnTick(&tk)
	r.eng.OnTick(tk)
	r.eng.Drain(context.Background())
}

// cancelLink is the simulated exchange behind a link that drops the
// next fail cancels: each fails without reaching the venue, as over a
// dropped connection; everything else goes through.
type cancelLink struct {
	*sim.Exchange
	fail atomic.Int64
}

// cut drops every cancel until mend.
func (v *cancelLink) cut()  { v.fail.Store(1 << 30) }
func (v *cancelLink) mend() { v.fail.Store(0) }

func (v *cancelLink) CancelOrder(ctx context.Context, orderID string) error {
	if v.fail.Add(-1) >= 0 {
		return errors.New("cancel order: connection refused")
	}
	v.fail.Store(0)
	return v.Exchange.CancelOrder(ctx, orderID)
}

// placeSecondSafetyBuy places, as the dca's, a limit buy of 150 at price
// beside the one it rests: what a killed run may leave, sent and
// journaled by the engine's executor like any of the dca's orders.
func placeSecondSafetyBuy(t *testing.T, r *killableRun, price string) exchange.Order {
	t.Helper()
	e := r.eng.Executor()
	id, err := e.NextClientOrderID("dca")
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.Place(context.Background(), engine.Intent{Instance: "dca", Purpose: exchange.Entry, Reason: "dca: safety buy 1",
		Request: exchange.OrderRequest{ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Limit,
			TimeInForce: exchange.GoodTilCancelled, LimitPrice: dec(price), BaseSize: gridProduct.RoundSize(dec("150").Div(dec(price)))}})
	if err != nil {
		t.Fatal(err)
	}
	r.eng.Drain(context.Background())
	return o
}

// killedWithTwoSafetyBuys runs a dca, on a venue reached through a
// cancelLink with its journal at path, to its first scheduled buy and
// the safety buy kept under it, places a second safety buy at 59000
// beside it and kills the run: what a restart then finds.
func killedWithTwoSafetyBuys(t *testing.T) (x *sim.Exchange, clk *clock.Sim, v *cancelLink, path string, kept, second exchange.Order) {
	t.Helper()
	x, clk = newGridVenue(t)
	v = &cancelLink{Exchange: x}
	path = filepath.Join(t.TempDir(), "journal.db")
	r, _ := startDCAVia(t, x, v, clk, path, hourlyDCA(), stopUnder8())
	r.trade("60000")
	r.wait(time.Hour, "60000")
	kept = wantOneSafetyBuy(t, r, 1, "after the scheduled buy")
	second = placeSecondSafetyBuy(t, r, "59000")
	r.crash()
	return x, clk, v, path, kept, second
}

// TestADCANeverForgetsASecondSafetyBuyFoundAtRestart: a restart finds
// two safety buys resting and the cancel of the second fails (the link
// is down). It is asked again, with the back-off of refused orders,
// until it lands: one safety buy rests. Found again at the next restart
// and its cancel failing again, the second fills before the link comes
// back: it is counted as a safety buy of the cycle, the one kept is
// moved under the new average entry as the cycle's next (225), and
// never two rest. Found a third time beside one that the restart
// replaces (safety_step_percent changed), the cancel of the second alone
// failing: the replacement waits for the second's end.
func TestADCANeverForgetsASecondSafetyBuyFoundAtRestart(t *testing.T) {
	x, clk, v, path, kept, _ := killedWithTwoSafetyBuys(t)
	r, _ := startDCAVia(t, x, v, clk, path, hourlyDCA(), stopUnder8())
	v.cut()
	r.trade("60000")
	r.trade("60000")
	if n := len(venueOf(t, x).resting); n != 2 {
		t.Fatalf("with the link cut: %d safety buys rest, want both still", n)
	}
	v.mend()
	for range 3 {
		r.trade("60000")
	}
	if o := wantOneSafetyBuy(t, r, 1, "once the link is back"); o.ClientOrderID != kept.ClientOrderID {
		t.Fatalf("safety buy %s rests, want %s, the one the state named", o.ClientOrderID, kept.ClientOrderID)
	}

	second := placeSecondSafetyBuy(t, r, "59000")
	r.crash()
	r, d := startDCAVia(t, x, v, clk, path, hourlyDCA(), stopUnder8())
	v.cut()
	r.trade("60000")
	r.trade("58950") // the second fills before its cancel lands
	if o, err := x.Order(second.ID); err != nil || o.Status != exchange.StatusFilled {
		t.Fatalf("the second safety buy: %+v, %v; want it filled", o, err)
	}
	if stateOf(t, d).SafetyBuys != 1 {
		t.Fatalf("after the second safety buy filled: %d safety buys counted, want 1", stateOf(t, d).SafetyBuys)
	}
	if n := len(venueOf(t, x).resting); n != 1 {
		t.Fatalf("with the link cut: %d safety buys rest, want 1", n)
	}
	v.mend()
	for range 3 {
		r.trade("58950")
	}
	wantOneSafetyBuy(t, r, 2, "once the link is back")

	third := placeSecondSafetyBuy(t, r, "57000")
	r.crash()
	p := hourlyDCA()
	p.SafetyStepPercent = 3
	r, d = startDCAVia(t, x, v, clk, path, p, stopUnder8())
	v.fail.Store(1) // the second's cancel fails, the replaced one's lands
	r.trade("58950")
	if v := venueOf(t, x); len(v.resting) != 1 || v.resting[0].ClientOrderID != third.ClientOrderID {
		t.Fatalf("the second's cancel failed: %v rest, want only it (%s): no replacement beside it", prices(v.resting), third.ClientOrderID)
	}
	r.trade("58950")
	want := gridProduct.RoundPriceDown(r.position().AvgEntryPrice.Mul(dec("0.97")))
	if v := venueOf(t, x); len(v.resting) != 1 || !v.resting[0].LimitPrice.Equal(want) || stateOf(t, d).SafetyBuys != 1 {
		t.Fatalf("once the second's cancel landed: %v rest, %d safety buys counted; want one at %s (3 %% under the average entry), 1",
			prices(v.resting), stateOf(t, d).SafetyBuys, want)
	}
}

// dustVenue is newGridVenue with partial fills: a market sale sells no
// more than the bid shows.
func dustVenue(t *testing.T) (*sim.Exchange, *clock.Sim) {
	t.Helper()
	clk := clock.NewSim(time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC))
	x, err := sim.New(sim.Config{Products: []exchange.Product{gridProduct},
		Balances: map[string]decimal.Decimal{"USD": dec("100000")}, Fees: sim.DefaultFees(), PartialFills: true}, clk)
	if err != nil {
		t.Fatal(err)
	}
	return x, clk
}

// sellLeavingDust trades at the take-profit with a bid that holds all
// but 0.000005 BTC of the position, half the minimum order size: the
// sale leaves that dust, which no order can sell.
func sellLeavingDust(t *testing.T, r *killableRun) string {
	t.Helper()
	return sellLeaving(t, r, "0.000005")
}

// sellLeaving is sellLeavingDust leaving rest instead.
func sellLeaving(t *testing.T, r *killableRun, rest string) string {
	t.Helper()
	tp := gridProduct.RoundPriceUp(r.position().AvgEntryPrice.Mul(dec("1.016")))
	dust := dec(rest)
	r.tradeShowing(tp.String(), r.position().Size.Sub(dust).String(), "0.1")
	if held := r.position().Size; !held.Equal(dust) {
		t.Fatalf("after the take-profit's sale: %s held, want the dust %s", held, dust)
	}
	return tp.String()
}

// TestADCACycleEndsWithDustLeft: a take-profit whose sale fills in part
// leaves less than the minimum order size. That dust cannot be sold: the
// cycle ends as if flat, at the next trade, and at the first trade after
// a restart; no order is sent for the dust; the next scheduled buy
// begins a new cycle holding it (its first safety buy rests under the
// average entry of both).
func TestADCACycleEndsWithDustLeft(t *testing.T) {
	x, clk := dustVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	r, d := startDCA(t, x, clk, path)
	r.trade("60000")
	r.wait(time.Hour, "60000")
	wantOneSafetyBuy(t, r, 1, "after the first scheduled buy")
	tp := sellLeavingDust(t, r)
	for range 3 {
		r.trade(tp)
	}
	if v := venueOf(t, x); stateOf(t, d).Cycles != 1 || stateOf(t, d).SafetyBuys != 0 || v.sells != 1 || len(v.resting) != 0 {
		t.Fatalf("with dust left by the take-profit: %d cycles ended, %d safety buys counted, %d sells, %d safety buys resting; "+
			"want 1, 0, 1 (none for the dust), none", stateOf(t, d).Cycles, stateOf(t, d).SafetyBuys, v.sells, len(v.resting))
	}
	r.wait(time.Hour, tp)
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("a period after the cycle's end: %d scheduled buys placed, want 2", v.scheduled)
	}
	wantOneSafetyBuy(t, r, 1, "in the cycle after the dust")

	// Dust again, and the daemon is killed before a trade sees it: the
	// restarted dca ends the cycle at its first trade.
	tp = sellLeavingDust(t, r)
	r.crash()
	r, d = startDCA(t, x, clk, path)
	for range 3 {
		r.trade(tp)
	}
	if v := venueOf(t, x); stateOf(t, d).Cycles != 2 || v.sells != 2 || len(v.resting) != 0 {
		t.Fatalf("restarted with dust left by the take-profit: %d cycles ended, %d sells, %d safety buys resting; want 2, 2, none",
			stateOf(t, d).Cycles, v.sells, len(v.resting))
	}
	r.wait(time.Hour, tp)
	if v := venueOf(t, x); v.scheduled != 3 {
		t.Fatalf("a period after the restart: %d scheduled buys placed, want 3", v.scheduled)
	}
	wantOneSafetyBuy(t, r, 1, "in the cycle after the restart")
}

// TestADCACycleEndsWithARestWorthLessThanTheMinimumOrder: the
// take-profit's sale leaves 0.000015 BTC, over the minimum order size
// (0.00001) but worth 0.91 USD at the take-profit's price, under the
// minimum order value (1 USD): no order can sell it either
// (exchange.Product.Dust). The cycle ends as with any dust, no sale of
// it is asked for, and the next scheduled buy begins a new cycle. Until
// 2026-12-07 dca and the exits judged dust by the size alone: the exits
// asked the venue to sell the rest, refused every update.min_interval,
// and dca waited for a sale that never came, its take-profit asked for
// (closing), so it placed no scheduled buy again.
func TestADCACycleEndsWithARestWorthLessThanTheMinimumOrder(t *testing.T) {
	x, clk := dustVenue(t)
	r, d := startDCA(t, x, clk, filepath.Join(t.TempDir(), "journal.db"))
	r.trade("60000")
	r.wait(time.Hour, "60000")
	wantOneSafetyBuy(t, r, 1, "after the first scheduled buy")
	tp := sellLeaving(t, r, "0.000015")
	for range 3 {
		r.trade(tp)
	}
	if v := venueOf(t, x); stateOf(t, d).Cycles != 1 || stateOf(t, d).SafetyBuys != 0 || v.sells != 1 || len(v.resting) != 0 {
		t.Fatalf("with 0.000015 left by the take-profit: %d cycles ended, %d safety buys counted, %d sells, %d safety buys resting; "+
			"want 1, 0, 1 (none for the rest), none", stateOf(t, d).Cycles, stateOf(t, d).SafetyBuys, v.sells, len(v.resting))
	}
	if strings.Contains(r.log.String(), "venue refused the market exit") {
		t.Fatalf("a sale of the rest was sent and refused:\n%s", r.log.String())
	}
	r.wait(time.Hour, tp)
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("a period after the cycle's end: %d scheduled buys placed, want 2", v.scheduled)
	}
	wantOneSafetyBuy(t, r, 1, "in the cycle after the rest")
}

// TestADCAAsksAgainAtTheTimerOnAQuietMarket: a restart finds two safety
// buys resting and the cancel of the second fails at the first trade
// (the link is down). The link comes back, and from then on the market
// is quiet: quotes alone, no trade. Nothing is asked between callbacks;
// the schedule's timer, the first callback after the back-off, asks for
// the cancel again before anything else could: it lands, and the one
// safety buy left is moved under the average entry the timer's
// scheduled buy made. Asked only at trades (until 2026-12-07), the
// cancel waited on: the timer's buy moved the kept safety buy away and,
// the second's cancel pending, rested none; the second rested on.
func TestADCAAsksAgainAtTheTimerOnAQuietMarket(t *testing.T) {
	x, clk, v, path, _, second := killedWithTwoSafetyBuys(t)
	r, _ := startDCAVia(t, x, v, clk, path, hourlyDCA(), stopUnder8())
	v.cut()
	r.trade("60000") // the restart's check: the second's cancel fails
	start := clk.Now()
	v.mend()
	for range 120 { // two minutes of quotes: the back-off is long over
		r.quoteOnly("60000")
	}
	if v := venueOf(t, x); len(v.resting) != 2 || v.scheduled != 1 {
		t.Fatalf("quotes alone, before the timer: %v rest, %d scheduled buys; want both safety buys still, 1 (no callback, nothing asked)",
			prices(v.resting), v.scheduled)
	}
	clk.Set(start.Add(time.Hour - time.Second))
	r.quoteOnly("60000") // the schedule's timer, still no trade
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("at the timer: %d scheduled buys, want 2", v.scheduled)
	}
	if o, err := x.Order(second.ID); err != nil || o.Status != exchange.StatusCancelled {
		t.Fatalf("the second safety buy after the timer: %+v, %v; want it cancelled", o, err)
	}
	wantOneSafetyBuy(t, r, 1, "after the timer, with no trade since the failed cancel")
}

// TestADCAWithBidTriggeredExitsEndsItsCycleWhenTheExitsCannotSell: the
// exits judge a sale at their trigger price, the bid here; dca judged the
// same rest at its last trade. The take-profit's sale leaves 0.000017
// BTC, then the bid drops to 58,000 while trades go on at the
// take-profit: worth 0.99 USD at the bid, under the 1 USD minimum, so the
// exits send no sale; worth 1.04 at the trade, so dca counted it sellable,
// kept its cycle waiting for the sale it had asked for, and placed no
// scheduled buy for as long as the bid stayed low. dca now asks the
// position's view (PositionView.Open, the exits' answer): the cycle ends,
// and the next scheduled buy is placed on time.
func TestADCAWithBidTriggeredExitsEndsItsCycleWhenTheExitsCannotSell(t *testing.T) {
	x, clk := dustVenue(t)
	ex := stopUnder8()
	ex.Trigger = exits.TriggerBid
	r, d := startDCAVia(t, x, x, clk, filepath.Join(t.TempDir(), "journal.db"), hourlyDCA(), ex)
	r.trade("60000")
	r.wait(time.Hour, "60000")
	tp := sellLeaving(t, r, "0.000017")
	start := clk.Now()
	lowBid := func() {
		now := clk.Now().Add(time.Second)
		clk.Set(now)
		tk := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: now, Received: now,
			Bid: dec("58000"), BidSize: dec("5"), Ask: dec(tp).Add(dec("0.01")), AskSize: dec("5")}
		r.x.OnTick(&tk)
		r.eng.OnTick(tk)
		r.eng.Drain(context.Background())
	}
	tradeOnly := func(at time.Time) {
		clk.Set(at)
		tk := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: at, Received: at, Price: dec(tp), Size: dec("0.1"),
			TakerSide: exchange.Buy}
		r.x.OnTick(&tk)
		r.eng.OnTick(tk)
		r.eng.Drain(context.Background())
	}
	lowBid()
	for m := 1; m <= 5; m++ {
		tradeOnly(start.Add(time.Duration(m) * time.Minute))
	}
	if held, v := r.position().Size, venueOf(t, x); !held.Equal(dec("0.000017")) || v.sells != 1 || stateOf(t, d).Cycles != 1 {
		t.Fatalf("five minutes of trades at %s with the bid at 58,000: %s held, %d sells, %d cycles ended; want the rest 0.000017 (worth less than the minimum at the bid), 1 (the take-profit's), 1",
			tp, held, v.sells, stateOf(t, d).Cycles)
	}
	for m := 6; m <= 61; m++ {
		tradeOnly(start.Add(time.Duration(m) * time.Minute))
	}
	if v := venueOf(t, x); v.scheduled != 2 {
		t.Fatalf("an hour later: %d scheduled buys, want 2 (the cycle is over and the schedule goes on)", v.scheduled)
	}
}

package strategy

import (
	"fmt"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

func newDCA(t *testing.T) *DCA {
	t.Helper()
	p := &DCAParams{Every: time.Hour, OrderQuote: dec("100"), SafetyOrders: 3, SafetyStepPercent: 2, SafetyScale: 1.5,
		TakeProfitPercent: 1.5}
	s, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s.(*DCA)
}

var dcaProduct = exchange.Product{ID: "BTC-USD", BaseIncrement: dec("0.00000001"), PriceIncrement: dec("0.01"), BaseMinSize: dec("0.00001"),
	QuoteMinSize: dec("1")}

func limitBuy(id, price string) exchange.Order {
	return exchange.Order{OrderRequest: exchange.OrderRequest{ClientOrderID: id, Side: exchange.Buy, Type: exchange.Limit,
		LimitPrice: dec(price)}}
}

// TestDCAStateSurvivesTheJournal: what MarshalState gives the journal
// brings the whole cycle back, to be checked again (sync) at the first
// callback.
func TestDCAStateSurvivesTheJournal(t *testing.T) {
	at := time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC)
	s := newDCA(t)
	s.st = dcaState{Safety: "dca-7", Used: 2, InCycle: true, Closing: true, Cycles: 4, LastBuy: at}
	s.synced = true
	b, err := s.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	r := newDCA(t)
	if err := r.UnmarshalState(b); err != nil {
		t.Fatal(err)
	}
	if r.st != s.st || r.synced {
		t.Fatalf("restored %+v (synced %v) from %s, want %+v, not synced", r.st, r.synced, b, s.st)
	}
	if err := r.UnmarshalState([]byte("{")); err == nil {
		t.Fatal("a damaged state was taken")
	}
}

// TestDCACountsWhatRecoveryApplies: before the first callback after a
// start, the events recovery applies are booked in the cycle: a safety
// buy that filled while the daemon was down (named by the state, or not
// yet: placed after the last save) counts once, a scheduled buy is the
// last one, an ended safety buy is forgotten. Once synced, only the
// named safety buy counts.
func TestDCACountsWhatRecoveryApplies(t *testing.T) {
	s := newDCA(t)
	s.st = dcaState{Safety: "dca-2", Used: 1, InCycle: true}
	now := time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC)
	o := limitBuy("dca-2", "58000")
	if ours, _ := s.count(OrderEvent{Kind: PartiallyFilled, ClientOrderID: "dca-2", Order: o}, PositionView{}, dcaProduct, now); !ours ||
		s.st.Used != 1 {
		t.Fatalf("a partial fill: used %d, want still 1", s.st.Used)
	}
	s.count(OrderEvent{Kind: Filled, ClientOrderID: "dca-2", Order: o}, PositionView{}, dcaProduct, now)
	if s.st.Used != 2 || s.st.Safety != "" {
		t.Fatalf("the named safety buy filled: %+v, want used 2 and no safety buy", s.st)
	}
	s.count(OrderEvent{Kind: Filled, ClientOrderID: "dca-3", Order: limitBuy("dca-3", "57000")}, PositionView{}, dcaProduct, now)
	if s.st.Used != 3 {
		t.Fatalf("a safety buy placed after the last save filled: used %d, want 3", s.st.Used)
	}
	market := exchange.Order{OrderRequest: exchange.OrderRequest{ClientOrderID: "dca-4", Side: exchange.Buy, Type: exchange.Market},
		CreatedAt: now.Add(-time.Hour)}
	s.count(OrderEvent{Kind: Filled, ClientOrderID: "dca-4", Order: market}, PositionView{}, dcaProduct, now)
	if !s.st.LastBuy.Equal(now.Add(-time.Hour)) || s.st.Used != 3 {
		t.Fatalf("a scheduled buy filled: %+v, want it the last buy, used still 3", s.st)
	}
	market.CreatedAt = now.Add(-2 * time.Hour)
	s.count(OrderEvent{Kind: Filled, ClientOrderID: "dca-5", Order: market}, PositionView{}, dcaProduct, now)
	if !s.st.LastBuy.Equal(now.Add(-time.Hour)) {
		t.Fatalf("an older scheduled buy moved the last one back to %s", s.st.LastBuy)
	}
	market.CreatedAt = time.Time{}
	s.count(OrderEvent{Kind: Filled, ClientOrderID: "dca-6", Order: market}, PositionView{}, dcaProduct, now)
	if !s.st.LastBuy.Equal(now) {
		t.Fatalf("a scheduled buy of unknown time: last buy %s, want now", s.st.LastBuy)
	}
	// Filled in part, the rest cancelled (as recovery reports a market
	// order the venue did not fill in full): it was placed all the same.
	s.st.LastBuy = now.Add(-2 * time.Hour)
	market.CreatedAt = now.Add(-time.Hour)
	s.count(OrderEvent{Kind: PartiallyFilled, ClientOrderID: "dca-7", Order: market}, PositionView{}, dcaProduct, now)
	s.count(OrderEvent{Kind: Cancelled, ClientOrderID: "dca-7", Order: market}, PositionView{}, dcaProduct, now)
	if !s.st.LastBuy.Equal(now.Add(-time.Hour)) {
		t.Fatalf("a scheduled buy filled in part: last buy %s, want %s", s.st.LastBuy, now.Add(-time.Hour))
	}
	market.CreatedAt = now.Add(-30 * time.Minute)
	s.count(OrderEvent{Kind: Refused, ClientOrderID: "dca-7", Order: market}, PositionView{}, dcaProduct, now)
	if !s.st.LastBuy.Equal(now.Add(-time.Hour)) {
		t.Fatalf("a scheduled buy refused (it bought nothing) moved the last buy to %s", s.st.LastBuy)
	}

	s.st.Safety = "dca-8"
	if ours, _ := s.count(OrderEvent{Kind: Cancelled, ClientOrderID: "dca-8"}, PositionView{}, dcaProduct, now); !ours || s.st.Safety != "" {
		t.Fatalf("the named safety buy cancelled: %+v, want none named", s.st)
	}
	s.synced = true
	s.count(OrderEvent{Kind: Filled, ClientOrderID: "dca-9", Order: limitBuy("dca-9", "56000")}, PositionView{}, dcaProduct, now)
	if s.st.Used != 3 {
		t.Fatalf("synced, a limit buy the state does not name counted: used %d", s.st.Used)
	}
}

// TestDCASyncPlan: after a start, one safety buy is kept (the named one,
// else the latest) and any other cancelled; one resting where the
// recovered average entry does not put it, or beyond safety_orders, is
// replaced; a flat position ends the cycle; a scheduled buy that fell
// due while the daemon was down is placed once, and not while a
// take-profit was under way.
func TestDCASyncPlan(t *testing.T) {
	now := time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC)
	open := PositionView{Size: dec("0.01"), AvgEntry: dec("60000")} // 2 % under: 58800
	market := exchange.Order{OrderRequest: exchange.OrderRequest{ClientOrderID: "dca-9", Side: exchange.Buy, Type: exchange.Market}}
	sell := exchange.Order{OrderRequest: exchange.OrderRequest{ClientOrderID: "dca-10", Side: exchange.Sell, Type: exchange.Limit,
		LimitPrice: dec("61000")}}
	working := market
	working.CreatedAt = now.Add(-time.Minute)
	partial := limitBuy("dca-2", "59000")
	partial.FilledSize = dec("0.001")
	for _, c := range []struct {
		name    string
		st      dcaState
		open    []exchange.Order
		pos     PositionView
		catchUp bool
		want    string // keep adopted cancel endCycle replace buy
	}{
		{"the named one rests where it should", dcaState{Safety: "dca-2", Used: 1, InCycle: true},
			[]exchange.Order{market, limitBuy("dca-2", "58800"), sell}, open, true, "dca-2 false [] false false false"},
		{"a second beside the named one", dcaState{Safety: "dca-2", Used: 1, InCycle: true},
			[]exchange.Order{limitBuy("dca-2", "58800"), limitBuy("dca-3", "58800")}, open, true, "dca-2 false [dca-3] false false false"},
		{"none named: the latest adopted", dcaState{Used: 1, InCycle: true},
			[]exchange.Order{limitBuy("dca-2", "58800"), limitBuy("dca-3", "58800")}, open, true, "dca-3 true [dca-2] false false false"},
		{"the named one ended", dcaState{Safety: "dca-2", Used: 2, InCycle: true}, nil, open, true, "none false [] false false false"},
		{"the average entry moved", dcaState{Safety: "dca-2", Used: 1, InCycle: true},
			[]exchange.Order{limitBuy("dca-2", "59000")}, open, true, "dca-2 false [] false true false"},
		{"filled in part: it moved the average entry itself", dcaState{Safety: "dca-2", Used: 1, InCycle: true},
			[]exchange.Order{partial}, open, true, "dca-2 false [] false false false"},
		{"beyond safety_orders", dcaState{Safety: "dca-2", Used: 3, InCycle: true},
			[]exchange.Order{limitBuy("dca-2", "58800")}, open, true, "dca-2 false [] false true false"},
		{"sold while down", dcaState{Used: 3, InCycle: true, Closing: true}, nil, PositionView{}, true, "none false [] true false false"},
		{"stopped out under a safety buy", dcaState{Safety: "dca-2", Used: 1, InCycle: true},
			[]exchange.Order{limitBuy("dca-2", "58800")}, PositionView{}, true, "dca-2 false [] true false false"},
		// Dust as the engine shows it: the exits' answer (PositionView.Dust).
		{"dust left by the take-profit", dcaState{Used: 1, InCycle: true, Closing: true}, nil,
			PositionView{Size: dec("0.000009"), AvgEntry: dec("60000"), Dust: true}, true, "none false [] true false false"},
		{"nothing yet", dcaState{}, nil, PositionView{}, true, "none false [] false false false"},
		{"a buy due while down", dcaState{LastBuy: now.Add(-time.Hour)}, nil, PositionView{}, true, "none false [] false false true"},
		{"no buy due yet", dcaState{LastBuy: now.Add(-59 * time.Minute)}, nil, PositionView{}, true, "none false [] false false false"},
		{"due, but the timer buys", dcaState{LastBuy: now.Add(-time.Hour)}, nil, PositionView{}, false, "none false [] false false false"},
		{"due, but the killed run's scheduled buy still works", dcaState{LastBuy: now.Add(-2 * time.Hour)},
			[]exchange.Order{working}, PositionView{}, true, "none false [] false false false"},
		{"due, but a take-profit was under way", dcaState{InCycle: true, Closing: true, LastBuy: now.Add(-3 * time.Hour)}, nil,
			open, true, "none false [] false false false"},
	} {
		s := newDCA(t)
		s.st = c.st
		pl := s.plan(c.open, c.pos, dcaProduct, now, c.catchUp)
		keep := "none"
		if pl.keep != nil {
			keep = pl.keep.ClientOrderID
		}
		var cancel []string
		for _, o := range pl.cancel {
			cancel = append(cancel, o.ClientOrderID)
		}
		if got := fmt.Sprintf("%s %v %v %v %v %v", keep, pl.adopted, cancel, pl.endCycle, pl.replace, pl.buy); got != c.want {
			t.Errorf("%s: plan %q, want %q", c.name, got, c.want)
		}
	}
}

// TestDCAEndsACycleOnce: the end of a cycle counts once, keeps the
// schedule and starts the safety buys from none.
func TestDCAEndsACycleOnce(t *testing.T) {
	at := time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC)
	s := newDCA(t)
	s.st = dcaState{Used: 3, InCycle: true, Closing: true, Cycles: 1, LastBuy: at}
	s.endCycle(nil) // no safety buy to cancel: the context is not needed
	s.endCycle(nil)
	if want := (dcaState{Cycles: 2, LastBuy: at}); s.st != want {
		t.Fatalf("after the end of a cycle, seen twice: %+v, want %+v", s.st, want)
	}
}

// TestDCAAsksAgainAfterARefusal: an order refused (the risk guard's
// refusal at the first trade after a start, while the user channel is
// not reconciled yet, or the venue's) is asked again at a trade a second
// later, not at every trade; refusals in a row wait twice as long each,
// up to a minute; a scheduled buy the venue refused is due again and no
// longer the last buy (a restart must find it due); a refused safety buy
// is asked again, and not once the cycle has ended.
func TestDCAAsksAgainAfterARefusal(t *testing.T) {
	now := time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC)
	var r dcaRetry
	if r.due(now) {
		t.Fatal("nothing refused, yet something is due")
	}
	r.safety = true
	r.refused(now)
	if r.due(now.Add(999*time.Millisecond)) || !r.due(now.Add(time.Second)) {
		t.Fatalf("refused at %s: asked again from %s, want a second later", now, r.at)
	}
	r.refused(now)
	if !r.at.Equal(now.Add(time.Second)) {
		t.Fatalf("a second refusal at the same trade: asked again from %s, want still a second later", r.at)
	}
	for range 10 {
		r.refused(r.at)
	}
	if r.wait != time.Minute {
		t.Fatalf("after 11 refusals in a row: wait %s, want a minute", r.wait)
	}

	before := now.Add(-time.Hour)
	s := newDCA(t)
	s.synced = true
	s.st = dcaState{Safety: "dca-3", Used: 1, InCycle: true, LastBuy: now}
	s.retry = dcaRetry{buyID: "dca-4", lastBuy: before}
	s.venueRefused(OrderEvent{Kind: Refused, ClientOrderID: "dca-4"}, false, now)
	if !s.retry.buy || !s.st.LastBuy.Equal(before) || s.retry.buyID != "" || !s.retry.at.Equal(now.Add(time.Second)) {
		t.Fatalf("the scheduled buy refused by the venue: %+v, last buy %s; want it due a second later, the last buy %s",
			s.retry, s.st.LastBuy, before)
	}
	s.venueRefused(OrderEvent{Kind: Refused, ClientOrderID: "dca-4"}, false, now)
	if !s.retry.at.Equal(now.Add(time.Second)) {
		t.Fatalf("its refusal booked twice: asked again at %s", s.retry.at)
	}
	ours, _ := s.count(OrderEvent{Kind: Refused, ClientOrderID: "dca-3"}, PositionView{}, dcaProduct, now)
	s.venueRefused(OrderEvent{Kind: Refused, ClientOrderID: "dca-3"}, ours, now)
	if !s.retry.safety || s.st.Safety != "" {
		t.Fatalf("the safety buy refused by the venue: %+v, named %q; want it asked again", s.retry, s.st.Safety)
	}
	s.endCycle(nil)
	if s.retry.safety || !s.retry.buy {
		t.Fatalf("after the end of the cycle: %+v, want the scheduled buy still due and no safety buy", s.retry)
	}
}

// TestDCARecoveryFindsTheCycleEndedBeforeAScheduledBuy: a run that saw
// the position flat (a trade ended the cycle, in memory) and died just
// after it sent the next scheduled buy left the old cycle in the journal
// (the state is saved with order events). When recovery applies that
// buy's fill and the buy holds the whole position, the old cycle is
// over: the new one counts its safety buys from none, also when it was
// added to dust. A scheduled buy added to an open position goes on with
// the cycle.
func TestDCARecoveryFindsTheCycleEndedBeforeAScheduledBuy(t *testing.T) {
	now := time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC)
	market := exchange.Order{OrderRequest: exchange.OrderRequest{ClientOrderID: "dca-9", Side: exchange.Buy, Type: exchange.Market},
		FilledSize: dec("0.0016"), Status: exchange.StatusFilled, CreatedAt: now.Add(-time.Minute)}
	filled := OrderEvent{Kind: Filled, ClientOrderID: "dca-9", Order: market, Fill: &exchange.Fill{Size: dec("0.0016")}}

	s := newDCA(t)
	s.st = dcaState{Used: 2, InCycle: true, Cycles: 0, LastBuy: now.Add(-2 * time.Minute)}
	s.count(filled, PositionView{Size: dec("0.0016"), AvgEntry: dec("60000")}, dcaProduct, now)
	if want := (dcaState{Used: 0, InCycle: true, Cycles: 1, LastBuy: now.Add(-time.Minute)}); s.st != want {
		t.Fatalf("the restored cycle after a scheduled buy that opened the position: %+v, want %+v", s.st, want)
	}

	// The take-profit left dust, which the buy holds with it: the cycle
	// had ended all the same.
	s.st = dcaState{Used: 2, InCycle: true, Cycles: 0, LastBuy: now.Add(-2 * time.Minute)}
	s.count(filled, PositionView{Size: dec("0.001605"), AvgEntry: dec("60000")}, dcaProduct, now)
	if want := (dcaState{Used: 0, InCycle: true, Cycles: 1, LastBuy: now.Add(-time.Minute)}); s.st != want {
		t.Fatalf("the restored cycle after a scheduled buy added to dust: %+v, want %+v", s.st, want)
	}

	s.st = dcaState{Used: 2, InCycle: true, Cycles: 0, LastBuy: now.Add(-2 * time.Minute)}
	s.count(filled, PositionView{Size: dec("0.0056"), AvgEntry: dec("60000")}, dcaProduct, now)
	if want := (dcaState{Used: 2, InCycle: true, Cycles: 0, LastBuy: now.Add(-time.Minute)}); s.st != want {
		t.Fatalf("the restored cycle after a scheduled buy added to it: %+v, want %+v", s.st, want)
	}
}

// TestDCATellsDustFromAPosition: a position a sale can sell holds at
// least the minimum order size once rounded down to the size increment,
// and is worth the minimum order value at the last trade (when one has
// been seen); less is dust, which ends a cycle like a flat position.
func TestDCATellsDustFromAPosition(t *testing.T) {
	for _, c := range []struct {
		size, price string
		want        bool
	}{
		{"0", "0", false}, {"-0.001", "0", false}, {"0.000005", "0", false}, {"0.00000999", "0", false},
		{"0.000009999", "0", false}, // rounds down to 0.00000999
		{"0.00001", "0", true}, {"0.000010001", "0", true}, {"0.0016", "0", true},
		{"0.00001", "60000", false}, // worth 0.60, under the 1 USD minimum
		{"0.00002", "60000", true}, {"0.00001667", "60000", true},
		{"0.0000166699", "60000", false}, // rounds down to 0.00001666, worth 0.9996
	} {
		if got := sellable(PositionView{Size: dec(c.size)}, dcaProduct, dec(c.price)); got != c.want {
			t.Errorf("%s BTC held at %s (minimums 0.00001 BTC and 1 USD, increment 0.00000001): sellable %v, want %v",
				c.size, c.price, got, c.want)
		}
	}
}

// TestDCAJudgesItsPositionAsTheExitsDo: whether the position holds what
// a sale can sell is the exits' answer (PositionView.Dust, at the price
// they would sell at), not dca's own at its last trade: a buy into what
// the exits call dust begins no cycle, and a cycle whose position they
// call dust ends at a restart, whatever the last trade says; and the
// other way round. dca judged at its last trade in count, sync, plan and
// rest until 2026-12-07, so that a cycle could begin, or a safety buy
// rest, under a position the exits would never sell.
func TestDCAJudgesItsPositionAsTheExitsDo(t *testing.T) {
	now := time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC)
	buy := exchange.Order{OrderRequest: exchange.OrderRequest{ClientOrderID: "dca-1", Side: exchange.Buy, Type: exchange.Market}}
	for _, c := range []struct {
		name string
		last string
		dust bool
	}{
		// 0.00002 BTC is worth 1.20 at 60,000 and 0.80 at 40,000 (minimum 1).
		{"sellable at the last trade, dust to the exits", "60000", true},
		{"dust at the last trade, sellable to the exits", "40000", false},
	} {
		pos := PositionView{Size: dec("0.00002"), AvgEntry: dec("60000"), Dust: c.dust}
		s := newDCA(t)
		s.synced, s.last = true, dec(c.last)
		s.count(OrderEvent{Kind: Filled, ClientOrderID: "dca-1", Order: buy}, pos, dcaProduct, now)
		if s.st.InCycle != !c.dust {
			t.Errorf("%s: a buy filled, in a cycle %v; want %v", c.name, s.st.InCycle, !c.dust)
		}
		s = newDCA(t)
		s.st, s.last = dcaState{Used: 1, InCycle: true}, dec(c.last)
		if pl := s.plan(nil, pos, dcaProduct, now, false); pl.endCycle != c.dust {
			t.Errorf("%s: at a restart, the cycle ends %v; want %v", c.name, pl.endCycle, c.dust)
		}
	}
}

package engine

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
)

// TestPartialFillsKeepExactlyWhatIsHeldProtected runs the engine against
// the real simulated exchange with partial fills on, on a market that
// shows a little at each price (0.002 BTC, then less): the 300 USD entry
// (0.005 BTC) fills in part and the rest of the market buy is cancelled;
// the bracket's take-profit fills in parts; its stop sells the rest in
// parts over three ticks. After
// every tick the base the account holds is the instance's position, and
// the open sell still has exactly that to sell.
func TestPartialFillsKeepExactlyWhatIsHeldProtected(t *testing.T) {
	t0 := time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)
	clk := clock.NewSim(t0)
	x, err := sim.New(sim.Config{Products: []exchange.Product{btcUSD}, Balances: map[string]decimal.Decimal{"USD": d("100000")},
		Fees: sim.DefaultFees(), PartialFills: true}, clk)
	if err != nil {
		t.Fatal(err)
	}
	g, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		t.Fatal(err)
	}
	var ex exits.Config
	ex.Placement = exits.OnExchange
	ex.StopLoss = &exits.StopLoss{Percent: d("1")}
	ex.TakeProfit = []exits.TakeProfit{{Percent: d("2"), Close: d("1")}}
	eng, err := New(context.Background(), Options{Venue: x, Guard: g, Clock: clk, MakerFee: d("0.004"), TakerFee: d("0.006"),
		Instances: []InstanceSpec{{Name: "p", ProductID: "BTC-USD", Strategy: enterOnce(), QuoteSize: d("300"), Exits: ex}}})
	if err != nil {
		t.Fatal(err)
	}
	x.SetHandler(eng.HandleEvent)
	now := t0
	step := func(price, shown string) {
		t.Helper()
		now = now.Add(time.Second)
		clk.Set(now)
		p := d(price)
		q := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: now, Received: now,
			Bid: p.Sub(d("0.01")), BidSize: d(shown), Ask: p.Add(d("0.01")), AskSize: d(shown)}
		tr := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: now, Received: now,
			Price: p, Size: d(shown), TakerSide: exchange.Buy}
		for _, tk := range []exchange.Tick{q, tr} {
			x.OnTick(&tk)
			eng.OnTick(tk)
			eng.Drain(context.Background())
		}
		held := eng.instances[0].exits.Position().Size
		var btc decimal.Decimal
		bals, _ := x.Balances(context.Background())
		for _, b := range bals {
			if b.Currency == "BTC" {
				btc = b.Total()
			}
		}
		if !btc.Equal(held) {
			t.Fatalf("at %s: the account holds %s BTC, the position %s", price, btc, held)
		}
		open, _ := x.OpenOrders(context.Background(), "BTC-USD")
		var toSell decimal.Decimal
		for _, o := range open {
			if o.Side == exchange.Sell {
				toSell = toSell.Add(o.BaseSize.Sub(o.FilledSize))
			}
		}
		if !toSell.Equal(held) {
			t.Fatalf("at %s: open sells have %s to sell, the position holds %s", price, toSell, held)
		}
	}
	step("60000", "0.002")
	entry := eng.instances[0].exits.Position().Size
	if !entry.Equal(d("0.002")) {
		t.Fatalf("entry bought %s, want the 0.002 the ask showed", entry)
	}
	var entryOrder exchange.Order
	for _, o := range x.Orders() {
		if o.Side == exchange.Buy {
			entryOrder = o
		}
	}
	if entryOrder.Status != exchange.StatusCancelled || !entryOrder.FilledSize.Equal(d("0.002")) {
		t.Fatalf("entry order %s filled %s, want CANCELLED after 0.002 (immediate-or-cancel)", entryOrder.Status, entryOrder.FilledSize)
	}
	step("60500", "0.002")
	// Through the 61,200 take-profit with 0.0005 shown: the bid crosses
	// it, then the trade goes through it; 0.0005 each.
	step("61300", "0.0005")
	if got := eng.instances[0].exits.Position().Size; !got.Equal(d("0.001")) {
		t.Fatalf("after part of the take-profit the position is %s, want 0.001", got)
	}
	step("60000", "0.002")
	step("59300", "0.0004") // the stop (59,400) fires on the 0.001 left: 0.0004 a tick
	step("59300", "0.0004")
	step("59300", "0.0004")
	if got := eng.instances[0].exits.Position().Size; got.IsPositive() {
		t.Fatalf("position %s after the stop, want flat", got)
	}
	rts := eng.RoundTrips()
	if len(rts) != 1 || rts[0].ExitReason != "stop_loss" || !rts[0].Size.Equal(d("0.002")) {
		t.Fatalf("round trips %+v, want one of 0.002 closed by stop_loss", rts)
	}
}

package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// gridRisk lets a grid rest its ladder: several buys at once, some way
// under the market.
func gridRisk() risk.Config {
	cfg := risk.DefaultConfig()
	cfg.Limits.PriceCollarPct = d("20")
	cfg.PerStrategy.MaxOpenOrders = 20
	cfg.PerStrategy.MaxExposure = d("20000")
	cfg.PerStrategy.MaxPositionNotional = d("20000")
	cfg.PerStrategy.MaxEntriesPerDay = 1000
	cfg.PerStrategy.OrdersPerSecond = 20
	cfg.PerStrategy.OrdersPerMinute = 1000
	return cfg
}

// newGrid builds a grid from 58,000 to 62,000 in five levels (1,000
// apart) with its stop at 57,000.
func newGrid(t testing.TB, placement exits.Placement) (*strategy.Grid, InstanceSpec) {
	t.Helper()
	p := &strategy.GridParams{Lower: d("58000"), Upper: d("62000"), Levels: 5, StopPrice: d("57000"), PostOnly: true}
	st, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	var ex exits.Config
	ex.Placement = placement
	return st.(*strategy.Grid), InstanceSpec{Name: "grid", ProductID: "BTC-USD", Strategy: st, QuoteSize: d("600"), Exits: ex}
}

// gridCounts reads the lots a grid sold and whether it stopped from its
// state as the journal keeps it (Stateful).
func gridCounts(t interface {
	Helper()
	Fatalf(string, ...any)
}, g *strategy.Grid) (sold int, stopped bool) {
	t.Helper()
	var st struct {
		Sold    int  `json:"sold"`
		Stopped bool `json:"stopped"`
	}
	b, err := g.MarshalState()
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		t.Fatalf("grid state: %v", err)
	}
	return st.Sold, st.Stopped
}

// venueOrders returns the venue's open orders by side, as "price size".
func (r *rig) venueOrders(t testing.TB) (buys, sells []string) {
	t.Helper()
	os, err := r.x.OpenOrders(context.Background(), "BTC-USD")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range os {
		s := o.LimitPrice.String() + " " + o.BaseSize.Sub(o.FilledSize).String()
		if o.Side == exchange.Buy {
			buys = append(buys, s)
		} else {
			sells = append(sells, string(o.Type)+" "+s)
		}
	}
	return buys, sells
}

// TestGridBuysSellsOneLevelUpBuysAgainAndItsStopSellsTheInventory runs the
// grid on the simulated exchange, on exchange placement (the hard case:
// a resting stop holds the base a grid sell needs):
//   - at 60,500 the ladder rests buys at 58,000, 59,000 and 60,000, none
//     above the price;
//   - at 59,900 the 60,000 buy fills; its lot (600/60,000 = 0.01) is
//     sold by a limit at 61,000, and the resting stop does not cover it;
//   - at 61,100 the sell fills and the 60,000 buy rests again;
//   - down to 58,900 two lots are held, their sells rest one level up,
//     the bot watches the stop for both;
//   - at 56,990 (under the stop at 57,000) the exits cancel the sells and
//     sell the inventory at market, the grid cancels its buys and places
//     nothing more.
func TestGridBuysSellsOneLevelUpBuysAgainAndItsStopSellsTheInventory(t *testing.T) {
	g, spec := newGrid(t, exits.OnExchange)
	r := newRig(t, gridRisk(), spec)
	in := r.eng.instances[0]

	r.trade("60500")
	buys, sells := r.venueOrders(t)
	if fmt.Sprint(buys) != "[58000 0.01034482 59000 0.01016949 60000 0.01]" || len(sells) != 0 {
		t.Fatalf("ladder at 60,500: buys %v sells %v, want buys at 58,000, 59,000 and 60,000 only", buys, sells)
	}

	r.trade("59900")
	r.trade("59900")
	if pos := in.exits.Position(); !pos.Size.Equal(d("0.01")) {
		t.Fatalf("position %s after the 60,000 buy filled, want 0.01", pos.Size)
	}
	buys, sells = r.venueOrders(t)
	if fmt.Sprint(sells) != "[LIMIT 61000 0.01]" || len(buys) != 2 {
		t.Fatalf("after the fill: buys %v sells %v, want the lot on sale at 61,000 and two buys", buys, sells)
	}
	if prot := in.exits.Protection(); !prot.Watched || !prot.Stop.Equal(d("57000")) {
		t.Fatalf("protection %+v, want the inventory's stop at 57,000 watched by the bot", prot)
	}

	r.trade("61100")
	r.trade("61100")
	if sold, _ := gridCounts(t, g); sold != 1 || in.exits.Position().Size.IsPositive() {
		t.Fatalf("%d lots sold, position %s; want the lot sold at 61,000 and flat", sold, in.exits.Position().Size)
	}
	buys, sells = r.venueOrders(t)
	if fmt.Sprint(buys) != "[58000 0.01034482 59000 0.01016949 60000 0.01 61000 0.00983606]" || len(sells) != 0 {
		t.Fatalf("after the sale at 61,100: buys %v sells %v, want the 60,000 buy resting again and one at 61,000", buys, sells)
	}
	if trips := r.eng.RoundTrips(); len(trips) != 1 || trips[0].ExitReason != "grid_sell" || !trips[0].PnL.IsPositive() {
		t.Fatalf("round trips %+v, want one grid_sell with a profit", trips)
	}

	for _, p := range []string{"60500", "60500", "59900", "59900", "58900", "58900"} {
		r.trade(p)
	}
	buys, sells = r.venueOrders(t)
	if fmt.Sprint(sells) != "[LIMIT 62000 0.00983606 LIMIT 61000 0.01 LIMIT 60000 0.01016949]" || len(buys) != 1 {
		t.Fatalf("three lots held: buys %v sells %v, want their sells one level up and the 58,000 buy", buys, sells)
	}
	if free := in.exits.Free(); !free.IsZero() {
		t.Fatalf("%s free beside the sells, want 0", free)
	}
	if prot := in.exits.Protection(); !prot.Watched {
		t.Fatalf("protection %+v, want the stop watched by the bot", prot)
	}

	r.trade("56990")
	r.trade("56990")
	buys, sells = r.venueOrders(t)
	if len(buys) != 0 || len(sells) != 0 {
		t.Fatalf("after the stop: buys %v sells %v, want none", buys, sells)
	}
	if pos := in.exits.Position(); pos.Size.IsPositive() {
		t.Fatalf("position %s after the stop, want flat", pos.Size)
	}
	trips := r.eng.RoundTrips()
	if len(trips) != 2 || trips[1].ExitReason != exits.ReasonStopLoss {
		t.Fatalf("round trips %+v, want the inventory sold at the stop", trips)
	}
	if _, stopped := gridCounts(t, g); !stopped {
		t.Fatal("the grid did not stop at its stop")
	}
	for _, p := range []string{"58500", "59500", "60500"} {
		r.trade(p)
	}
	if buys, _ := r.venueOrders(t); len(buys) != 0 {
		t.Fatalf("a stopped grid placed buys again: %v", buys)
	}
}

// TestStrategySellIsReduceOnly: on exchange placement the resting stop
// shrinks to what a strategy sell leaves (on spot the two cannot hold the
// same base); a strategy sell larger than what is held and not already on
// sale is refused, and the strategy hears of it; the zero size sells the
// rest, and no stop is left resting beside the sells.
func TestStrategySellIsReduceOnly(t *testing.T) {
	var errs []error
	var r *rig
	var between []string
	p := &probe{needs: func(n *strategy.Needs) { n.Bars("", 2*time.Second, 0) }}
	p.bar = func(ctx strategy.Context, b *strategy.Bar) {
		switch len(p.bars) {
		case 1:
			_, err := ctx.Buy(strategy.Order{Size: strategy.Size{Base: d("0.01")}})
			errs = append(errs, err)
		case 3:
			_, err := ctx.Sell(strategy.Order{Type: strategy.Limit, Price: d("61000"), Size: strategy.Size{Base: d("0.006")}})
			errs = append(errs, err)
			_, err = ctx.Sell(strategy.Order{Type: strategy.Limit, Price: d("62000"), Size: strategy.Size{Base: d("0.006")}})
			errs = append(errs, err)
		case 4:
			_, between = r.venueOrders(t)
			_, err := ctx.Sell(strategy.Order{Type: strategy.Limit, Price: d("62000")})
			errs = append(errs, err)
		}
	}
	r = newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "probe", ProductID: "BTC-USD", Strategy: p,
		QuoteSize: d("100"), Exits: exchangeStop("2")})
	for range 11 {
		r.trade("60000")
	}
	if len(errs) != 4 || errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[3] != nil {
		t.Fatalf("errors %v, want nil, nil, a reduce-only refusal, nil (the rest)", errs)
	}
	if fmt.Sprint(between) != "[STOP_LIMIT 58506.01 0.004 LIMIT 61000 0.006]" {
		t.Fatalf("sells after the first strategy sell %v, want it and the resting stop on the 0.004 left", between)
	}
	_, sells := r.venueOrders(t)
	if fmt.Sprint(sells) != "[LIMIT 61000 0.006 LIMIT 62000 0.004]" {
		t.Fatalf("sells %v, want 0.006 at 61,000 and the 0.004 left at 62,000, and no resting stop", sells)
	}
	var refused int
	for _, e := range p.events {
		if e.Kind == strategy.Refused {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("events %+v, want one refusal", p.events)
	}
}

// TestGridLadderInvariantsHoldOnAnyPricePath drives the grid through
// random price paths on the simulated exchange and checks after every
// trade: at most one buy rests per level; the sells on the venue never
// sell more than is held; once the stop is reached the grid holds
// nothing and rests nothing.
func TestGridLadderInvariantsHoldOnAnyPricePath(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g, spec := newGrid(t, rapid.SampledFrom([]exits.Placement{exits.OnExchange, exits.InBot}).Draw(rt, "placement"))
		r := newRig(t, gridRisk(), spec)
		in := r.eng.instances[0]
		price := 60000
		steps := rapid.IntRange(5, 60).Draw(rt, "steps")
		for i := range steps {
			price += rapid.IntRange(-1200, 1200).Draw(rt, fmt.Sprintf("move%d", i))
			price = max(price, 50000)
			r.trade(fmt.Sprint(price))
			os, err := r.x.OpenOrders(context.Background(), "BTC-USD")
			if err != nil {
				rt.Fatal(err)
			}
			levels := map[string]int{}
			var onSale decimal.Decimal
			for _, o := range os {
				if o.Side == exchange.Buy {
					levels[o.LimitPrice.String()]++
					if levels[o.LimitPrice.String()] > 1 {
						rt.Fatalf("two buys at %s: %+v", o.LimitPrice, os)
					}
					continue
				}
				onSale = onSale.Add(o.BaseSize.Sub(o.FilledSize))
			}
			held := in.exits.Position().Size
			if onSale.GreaterThan(held) {
				rt.Fatalf("sells of %s on the venue, %s held", onSale, held)
			}
			if _, stopped := gridCounts(rt, g); stopped && (len(os) > 0 || held.IsPositive()) {
				rt.Fatalf("the stopped grid rests %+v and holds %s", os, held)
			}
		}
	})
}

// TestGridForgetsLotsSoldByOtherExits: a time stop sells the inventory
// under the grid (cancelling its sell); the grid forgets the lot instead
// of asking to sell it again, and its level buys again.
func TestGridForgetsLotsSoldByOtherExits(t *testing.T) {
	_, spec := newGrid(t, exits.InBot)
	spec.Exits.TimeStop = &exits.TimeStop{MaxHolding: time.Minute}
	r := newRig(t, gridRisk(), spec)
	in := r.eng.instances[0]
	for _, p := range []string{"60500", "59900", "59900"} {
		r.trade(p)
	}
	if _, sells := r.venueOrders(t); len(sells) != 1 {
		t.Fatalf("sells %v, want the lot on sale", sells)
	}
	for range 70 {
		r.trade("60500")
	}
	trips := r.eng.RoundTrips()
	if len(trips) != 1 || trips[0].ExitReason != exits.ReasonTimeStop || in.exits.Position().Size.IsPositive() {
		t.Fatalf("round trips %+v, want the lot sold by the time stop", trips)
	}
	buys, sells := r.venueOrders(t)
	if fmt.Sprint(buys) != "[58000 0.01034482 59000 0.01016949 60000 0.01]" || len(sells) != 0 {
		t.Fatalf("after the time stop: buys %v sells %v, want the 60,000 level buying again and no sell", buys, sells)
	}
}

package engine

import (
	"context"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// TestASignalStrategyEntersAgainOverDust: a strategy that enters only
// while flat (sma_cross, breakout, rules, a Signaler of one's own) holds
// 0.005 BTC; its stop sells at market, but the bid shows all but
// 0.000005 BTC, which is left: dust, which no order can sell. The
// strategy's view of that position is not open (PositionView.Dust), so
// it enters again, and the dust is sold with the position that entry
// opens. Until 2026-12-07 the view called the dust an open position:
// the strategy never entered again.
func TestASignalStrategyEntersAgainOverDust(t *testing.T) {
	entries := 0
	s := &scripted{decide: func(_ *exchange.Tick, pos strategy.PositionView) strategy.Decision {
		if pos.Open() || pos.Pending {
			return strategy.Decision{}
		}
		entries++
		return strategy.Decision{Signal: strategy.Enter, Reason: "test"}
	}}
	r := newRigOn(t, sim.Config{PartialFills: true}, nil, risk.DefaultConfig(),
		InstanceSpec{Name: "p", ProductID: "BTC-USD", Strategy: s, QuoteSize: d("300"), Exits: stopLoss("1")})
	in := r.eng.instances[0]
	r.trade("60000")
	if held := in.exits.Position().Size; entries != 1 || !held.Equal(d("0.00499999")) {
		t.Fatalf("after the entry: %d entries, %s held; want 1, 0.00499999 (300 USD at 60,000.01)", entries, held)
	}

	// At the stop (59,400) the bid shows 0.004995: the sale leaves 0.00000499.
	r.now = r.now.Add(time.Second)
	r.clock.Set(r.now)
	for _, tk := range []exchange.Tick{
		{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: r.now, Received: r.now, Bid: d("59300"), BidSize: d("0.004995"),
			Ask: d("59300.02"), AskSize: d("5")},
		{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: r.now, Received: r.now, Price: d("59300.01"), Size: d("0.004995"),
			TakerSide: exchange.Sell},
	} {
		r.x.OnTick(&tk)
		r.eng.OnTick(tk)
		r.eng.Drain(context.Background())
	}
	dust := d("0.00000499")
	if held := in.exits.Position().Size; !held.Equal(dust) || !in.exits.Dust() {
		t.Fatalf("after the stop: %s held (dust %v), want the dust %s", held, in.exits.Dust(), dust)
	}

	r.trade("59300")
	r.trade("59300")
	var bought []string
	for _, o := range r.x.Orders() {
		if o.Side == exchange.Buy {
			bought = append(bought, o.FilledSize.String())
		}
	}
	held := in.exits.Position().Size
	if entries != 2 || len(bought) != 2 || !held.Equal(d(bought[1]).Add(dust)) {
		t.Fatalf("with dust held: %d entries, bought %v, %s held; want 2 entries, the second's fill with the dust in the position",
			entries, bought, held)
	}
}

package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// observer is a strategy that enters and leaves on a fixed rhythm of
// trade ticks and writes down everything it was shown, so that two runs
// can be compared tick by tick.
type observer struct {
	every, hold int
	n           int
	seen        []string
}

func (o *observer) OnTick(t *exchange.Tick, pos strategy.PositionView) strategy.Decision {
	o.seen = append(o.seen, fmt.Sprintf("%s %d %s size=%s pending=%v", t.Time.Format(time.RFC3339Nano), t.Kind,
		t.Price, pos.Size, pos.Pending))
	if t.Kind != exchange.TradeTick {
		return strategy.Decision{}
	}
	o.n++
	switch {
	case !pos.Open() && o.n%o.every == 0:
		return strategy.Decision{Signal: strategy.Enter, Reason: "rhythm"}
	case pos.Open() && o.n%o.hold == 0:
		return strategy.Decision{Signal: strategy.Exit, Reason: "rhythm"}
	}
	return strategy.Decision{}
}

// stepRun is what one way of driving the engine produced.
type stepRun struct {
	seen       [][]string
	roundTrips []string
	orders     []string
	// pendingAtStep counts the ticks at which some instance had messages
	// waiting (order events of resting orders the exchange's OnTick
	// filled, or a command): Step's mailbox path.
	pendingAtStep int
}

// driveEngine runs two instances (one protected by bot-watched exits,
// one by resting orders on the exchange) over a deterministic walk of
// quotes and trades, with a flatten command in the middle, and either
// steps the engine or calls OnTick and Drain.
func driveEngine(t *testing.T, step bool) stepRun {
	t.Helper()
	cfg := risk.DefaultConfig()
	cfg.Loss.MaxConsecutiveLosses.Limit = 0
	cfg.StopLossCooldown.StopLosses = 0
	cfg.Account.MaxEntriesPerDay = 1e6
	cfg.PerStrategy.MaxEntriesPerDay = 1e6
	bot, onExchange := &observer{every: 5, hold: 40}, &observer{every: 7, hold: 55}
	botExits := stopLoss("0.3")
	botExits.TakeProfit = []exits.TakeProfit{{Percent: d("0.4"), Close: d("1")}}
	exExits := stopLoss("0.2")
	exExits.Placement = exits.OnExchange
	r := newRig(t, cfg,
		InstanceSpec{Name: "bot", ProductID: "BTC-USD", Strategy: bot, QuoteSize: d("100"), Exits: botExits},
		InstanceSpec{Name: "exchange", ProductID: "BTC-USD", Strategy: onExchange, BaseSize: d("0.002"), Exits: exExits},
	)
	ctx := context.Background()
	var run stepRun
	price, seed := int64(6000000), uint64(42) // cents
	for i := 0; i < 3000; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		price += int64(seed>>33)%6001 - 3000
		r.now = r.now.Add(time.Second)
		r.clock.Set(r.now)
		p := decimal.New(price, -2)
		ticks := []exchange.Tick{
			{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: r.now, Received: r.now,
				Bid: p.Sub(d("0.01")), BidSize: d("5"), Ask: p.Add(d("0.01")), AskSize: d("5")},
			{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: r.now, Received: r.now, Price: p, Size: d("0.1")},
		}
		if i == 1500 {
			r.eng.Flatten(ctx, exits.ReasonKillSwitch)
		}
		for k := range ticks {
			r.x.OnTick(&ticks[k])
			for _, in := range r.eng.instances {
				if in.mailbox.pending() {
					run.pendingAtStep++
					break
				}
			}
			if step {
				r.eng.Step(ctx, &ticks[k])
			} else {
				r.eng.OnTick(ticks[k])
				r.eng.Drain(ctx)
			}
		}
	}
	run.seen = [][]string{bot.seen, onExchange.seen}
	for _, rt := range r.eng.RoundTrips() {
		run.roundTrips = append(run.roundTrips, fmt.Sprintf("%s %s %s %s %s %s", rt.Strategy, rt.EntryPrice, rt.ExitPrice,
			rt.Size, rt.PnL, rt.ExitReason))
	}
	for _, o := range r.x.Orders() {
		run.orders = append(run.orders, fmt.Sprintf("%s %s %s %s %s", o.ClientOrderID, o.Type, o.Side, o.Status, o.FilledSize))
	}
	return run
}

func TestStepMakesTheSameTradesAsOnTickAndDrain(t *testing.T) {
	want := driveEngine(t, false)
	got := driveEngine(t, true)
	if len(want.roundTrips) < 20 {
		t.Fatalf("only %d round trips: the walk does not exercise the exits", len(want.roundTrips))
	}
	if got.pendingAtStep == 0 {
		t.Fatal("no tick found a message waiting: Step's mailbox path was not exercised")
	}
	for i := range want.seen {
		if len(got.seen[i]) != len(want.seen[i]) {
			t.Fatalf("instance %d saw %d ticks stepped, %d with OnTick and Drain", i, len(got.seen[i]), len(want.seen[i]))
		}
		for k := range want.seen[i] {
			if got.seen[i][k] != want.seen[i][k] {
				t.Fatalf("instance %d, tick %d: stepped %q, with OnTick and Drain %q", i, k, got.seen[i][k], want.seen[i][k])
			}
		}
	}
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"round trips", got.roundTrips, want.roundTrips},
		{"orders", got.orders, want.orders},
	} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%d %s stepped, %d with OnTick and Drain", len(c.got), c.name, len(c.want))
		}
		for k := range c.want {
			if c.got[k] != c.want[k] {
				t.Errorf("%s %d: stepped %q, with OnTick and Drain %q", c.name, k, c.got[k], c.want[k])
			}
		}
	}
}

package engine

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// flipFlop enters when flat and leaves when holding, on every trade tick:
// each tick becomes exactly one order.
type flipFlop struct{}

func (flipFlop) OnTick(t exchange.Tick, pos strategy.PositionView) strategy.Decision {
	if t.Kind != exchange.TradeTick || pos.Pending {
		return strategy.Decision{}
	}
	if pos.Open() {
		return strategy.Decision{Signal: strategy.Exit, Reason: "flip"}
	}
	return strategy.Decision{Signal: strategy.Enter, Reason: "flop"}
}

func benchRisk() risk.Config {
	cfg := risk.DefaultConfig()
	cfg.Account.OrdersPerSecond = 0
	cfg.Account.OrdersPerMinute = 0
	cfg.Account.MaxEntriesPerDay = 0
	cfg.PerStrategy = risk.ScopeLimits{}
	cfg.PerProduct = risk.ScopeLimits{}
	cfg.Loss.DailyLoss.Limit = d("1000000000")
	cfg.Loss.MaxDrawdown.Limit = d("1000000000")
	cfg.Loss.MaxConsecutiveLosses.Limit = 0
	cfg.StopLossCooldown.StopLosses = 0
	return cfg
}

// BenchmarkTickToOrder measures the whole path of one tick that becomes an
// order: engine routing, mailbox, exits check, strategy, risk guard,
// executor, simulated exchange fill, and the fill's way back to the
// position. One op is one tick and one order.
func BenchmarkTickToOrder(b *testing.B) {
	r := newRig(b, benchRisk(), InstanceSpec{Name: "bench", ProductID: "BTC-USD", Strategy: flipFlop{},
		QuoteSize: d("100"), Exits: stopLoss("5")})
	ctx := context.Background()
	quote := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("59999.99"), BidSize: d("5"),
		Ask: d("60000.01"), AskSize: d("5")}
	r.x.OnTick(quote)
	tick := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("60000"), Size: d("0.1")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.now = r.now.Add(time.Millisecond)
		r.clock.Set(r.now)
		tick.Time, tick.Received = r.now, r.now
		r.x.OnTick(tick)
		r.eng.OnTick(tick)
		r.eng.Drain(ctx)
	}
	b.StopTimer()
	if n := len(r.x.Orders()); n < b.N/2 {
		b.Fatalf("%d orders for %d ticks", n, b.N)
	}
}

// BenchmarkRouteTick measures routing a tick that produces no order to
// ten instances: the feed's cost per tick.
func BenchmarkRouteTick(b *testing.B) {
	var specs []InstanceSpec
	for i := 0; i < 10; i++ {
		specs = append(specs, InstanceSpec{Name: "i" + string(rune('a'+i)), ProductID: "BTC-USD",
			Strategy: &scripted{}, QuoteSize: d("100"), Exits: stopLoss("5")})
	}
	r := newRig(b, benchRisk(), specs...)
	ctx := context.Background()
	tick := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: decimal.NewFromInt(60000), Size: d("0.1")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.now = r.now.Add(time.Millisecond)
		tick.Time, tick.Received = r.now, r.now
		r.eng.OnTick(tick)
		r.eng.Drain(ctx)
	}
}

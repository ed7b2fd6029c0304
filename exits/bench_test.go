package exits

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/position"
)

// refuseOrders fails the benchmark if the no-trigger path sends anything.
type refuseOrders struct{ b *testing.B }

func (r refuseOrders) Place(context.Context, exchange.OrderRequest) (exchange.Order, error) {
	r.b.Fatal("an order was placed on the no-trigger path")
	return exchange.Order{}, nil
}
func (r refuseOrders) Cancel(context.Context, string) error {
	r.b.Fatal("an order was cancelled on the no-trigger path")
	return nil
}
func (r refuseOrders) Edit(context.Context, string, exchange.OrderEdit) (exchange.Order, error) {
	r.b.Fatal("an order was edited on the no-trigger path")
	return exchange.Order{}, nil
}

// BenchmarkOnTick1000Positions is the exit check of one tick across 1,000
// open positions (1,000 Managers, one tick each) on the path where
// nothing triggers and no level moves; ns/position is the cost per
// position per tick.
func BenchmarkOnTick1000Positions(b *testing.B) {
	for _, placement := range []Placement{InBot, OnExchange} {
		b.Run(string(placement), func(b *testing.B) {
			cfg := Config{Placement: placement, StopLoss: pctStop("2"),
				TakeProfit:   []TakeProfit{{Percent: d("3"), Close: d("0.5")}, {Percent: d("6"), Close: d("1")}},
				TrailingStop: &TrailingStop{CallbackPercent: d("5"), ActivationPercent: d("1")},
				BreakEven:    &BreakEven{AtPercent: d("4"), OffsetPercent: d("0.5")},
				TimeStop:     &TimeStop{MaxHolding: 4 * time.Hour}}
			clk := clock.NewSim(t0)
			ms := make([]*Manager, 1000)
			for i := range ms {
				m := NewManager(cfg, Deps{Orders: refuseOrders{b}, Product: testProduct, Clock: clk, Strategy: fmt.Sprint("s", i)})
				st := State{Position: position.Position{Size: d("0.5"), AvgEntry: d("100"), OpenedAt: t0},
					Stop: d("99.75"), StopReason: ReasonTrailingStop, TrailActive: true, TrailHigh: d("105"), EntrySize: d("0.5")}
				if placement == OnExchange {
					st.Resting = &RestingOrder{ClientOrderID: "c", OrderID: "o", Type: exchange.Bracket, Size: d("0.5"),
						Stop: d("99.75"), Limit: d("106"), TriggerLimit: d("94.77"), Reason: ReasonTrailingStop}
				}
				m.Restore(st)
				m.s.NeedSync = false
				ms[i] = m
			}
			ctx := context.Background()
			tick := exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: t0.Add(time.Minute),
				Received: t0.Add(time.Minute), Price: d("100.5"), Size: d("0.1")}
			clk.Set(tick.Time)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for _, m := range ms {
					m.OnTick(ctx, &tick)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ms)), "ns/position")
			if !ms[0].Position().Size.IsPositive() {
				b.Fatal("a position closed on the no-trigger path")
			}
		})
	}
}

// BenchmarkManagerDust is the engine's question on every tick while a
// position is open (the strategy's view: is it dust?), with the price
// moving: what the Manager remembered of the position's size decides
// it, without Product.Dust's arithmetic.
func BenchmarkManagerDust(b *testing.B) {
	h := newHarness(b, Config{Placement: InBot, StopLoss: pctStop("2")})
	h.tick("100")
	h.enter("1")
	prices := []decimal.Decimal{d("100.5"), d("100.49"), d("99.98"), d("101.2")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.m.mark = prices[i%len(prices)]
		i++
		if h.m.Dust() {
			b.Fatal("1 BTC at 100 is dust")
		}
	}
}

// BenchmarkManagerTickAtStopOverDust is a tick at a watched stop while
// the position is dust: the exit is refused, and logged once a minute.
func BenchmarkManagerTickAtStopOverDust(b *testing.B) {
	h := newHarness(b, Config{Placement: InBot, StopLoss: pctStop("40")})
	h.tick("100")
	h.enter("0.015")
	h.tick("58.5")
	at := h.clk.Now()
	tick := exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: at, Received: at, Price: d("58.5"), Size: d("1")}
	b.ReportAllocs()
	for b.Loop() {
		h.m.OnTick(h.ctx, &tick)
	}
}

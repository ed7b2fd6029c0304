package risk

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// BenchmarkCheckRelease measures one guard decision, Check and Release of
// an allowed limit entry, with 100 strategies on 20 products that each
// hold a position, and reports the 99th percentile of the per-call
// latency as p99-ns.
func BenchmarkCheckRelease(b *testing.B) {
	const strategies, products = 100, 20
	cfg := DefaultConfig()
	cfg.StaleAfter = 1000 * time.Hour
	cfg.Account.MaxExposure = d("100000000")
	cfg.Account.MaxPositionNotional = d("100000000")
	cfg.Account.MaxOpenOrders = 1000
	cfg.Account.MaxEntriesPerDay = 1 << 30
	cfg.PerStrategy.MaxEntriesPerDay = 1 << 30
	cfg.Account.OrdersPerMinute = 1 << 30
	clk := clock.NewSim(t0)
	g, err := NewGuard(cfg, clk)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, products)
	prods := make([]exchange.Product, products)
	for p := range products {
		ids[p] = fmt.Sprintf("P%02d-USD", p)
		prods[p] = btcUSD()
		prods[p].ID = ids[p]
		g.OnTick(&exchange.Tick{ProductID: ids[p], Kind: exchange.TradeTick, Time: t0, Price: d("50000")})
	}
	intents := make([]Intent, strategies)
	for s := range strategies {
		name := fmt.Sprintf("strategy-%03d", s)
		p := s % products
		intents[s] = Intent{Strategy: name, ProductID: ids[p], Product: prods[p], Side: exchange.Buy,
			Type: exchange.Limit, BaseSize: d("0.002"), LimitPrice: d("50010.25")}
		g.SetPosition(name, ids[p], d("0.01"), d("500"))
	}
	durations := make([]time.Duration, 0, b.N)
	step := 100 * time.Millisecond // 10 entries a second: the account limit
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		clk.Set(t0.Add(time.Duration(i) * step))
		in := intents[i%strategies]
		start := time.Now()
		dec, r := g.Check(in)
		g.Release(r)
		durations = append(durations, time.Since(start))
		if !dec.Allowed {
			b.Fatalf("iteration %d refused: %+v", i, dec)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	if n := len(durations); n > 0 {
		b.ReportMetric(float64(durations[n*99/100].Nanoseconds()), "p99-ns")
		b.ReportMetric(float64(durations[n/2].Nanoseconds()), "p50-ns")
	}
}

// BenchmarkCheckReleaseParallel measures Check and Release from as many
// goroutines as GOMAXPROCS, all contending for the guard's one lock.
func BenchmarkCheckReleaseParallel(b *testing.B) {
	cfg := DefaultConfig()
	cfg.StaleAfter = 1000 * time.Hour
	cfg.Account.MaxExposure = d("100000000")
	cfg.Account.MaxPositionNotional = d("100000000")
	cfg.Account.MaxOpenOrders = 1000
	cfg.Account.MaxEntriesPerDay = 1 << 30
	cfg.Account.OrdersPerSecond = 30
	cfg.Account.OrdersPerMinute = 1 << 30
	cfg.PerStrategy = ScopeLimits{}
	g, clk, product := guardAt50000(b, cfg)
	var seq atomic.Int64
	var refused atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		in := Intent{Strategy: fmt.Sprintf("strategy-%d", seq.Add(1)), ProductID: product.ID, Product: product,
			Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.002"), LimitPrice: d("50010.25")}
		for pb.Next() {
			// Time moves 40 ms per decision, within 30 entries a second.
			clk.Set(t0.Add(time.Duration(seq.Add(1)) * 40 * time.Millisecond))
			dec, r := g.Check(in)
			if !dec.Allowed {
				refused.Add(1)
			}
			g.Release(r)
		}
	})
	b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
}

// BenchmarkOnTickWithPositions measures marking positions on a trade tick
// when 5 strategies hold the product.
func BenchmarkOnTickWithPositions(b *testing.B) {
	clk := clock.NewSim(t0)
	g, err := NewGuard(DefaultConfig(), clk)
	if err != nil {
		b.Fatal(err)
	}
	for s := range 5 {
		g.SetPosition(fmt.Sprintf("s%d", s), "BTC-USD", d("0.01"), d("500"))
	}
	prices := []decimal.Decimal{d("50000.01"), d("50000.02")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: t0, Price: prices[i%2]})
	}
}

// BenchmarkCheckReleaseMarket measures one decision on a market entry as
// the engine sends it (valued at its EstimatedPrice, the last trade):
// sized in base, whose worth at that price the venue bounds by
// quote_min_size and quote_max_size, and sized in quote, whose size at
// that price it bounds by base_min_size and base_max_size. Both are far
// from the bounds: the guard's fast path.
func BenchmarkCheckReleaseMarket(b *testing.B) {
	for _, bc := range []struct {
		name        string
		base, quote string
	}{{"base", "0.002", ""}, {"quote", "", "100"}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.StaleAfter = 1000 * time.Hour
			cfg.Account.MaxEntriesPerDay = 1 << 30
			cfg.Account.OrdersPerMinute = 1 << 30
			cfg.PerStrategy = ScopeLimits{}
			g, clk, product := guardAt50000(b, cfg)
			in := Intent{Strategy: "s", ProductID: product.ID, Product: product, Side: exchange.Buy,
				Type: exchange.Market, EstimatedPrice: d("50000")}
			if bc.base != "" {
				in.BaseSize = d(bc.base)
			} else {
				in.QuoteSize = d(bc.quote)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				clk.Set(t0.Add(time.Duration(i) * 100 * time.Millisecond))
				dec, r := g.Check(in)
				if !dec.Allowed {
					b.Fatalf("iteration %d refused: %+v", i, dec)
				}
				g.Release(r)
			}
		})
	}
}

// guardAt50000 is a guard of cfg on a simulated clock that has seen a
// BTC-USD trade at 50,000.
func guardAt50000(b *testing.B, cfg Config) (*Guard, *clock.Sim, exchange.Product) {
	b.Helper()
	clk := clock.NewSim(t0)
	g, err := NewGuard(cfg, clk)
	if err != nil {
		b.Fatal(err)
	}
	product := btcUSD()
	g.OnTick(&exchange.Tick{ProductID: product.ID, Kind: exchange.TradeTick, Time: t0, Price: d("50000")})
	return g, clk, product
}

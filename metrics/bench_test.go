package metrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/metrics"
)

func benchMetrics(b *testing.B) *metrics.Metrics {
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{
		Instances: []metrics.InstanceID{{Strategy: "s1", Product: "BTC-USD"}, {Strategy: "s1", Product: "ETH-USD"}, {Strategy: "s2", Product: "SOL-USD"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkTickReceived is the feed's per-tick cost through the
// engine-shaped method (a product lookup, a counter, a histogram, a store).
func BenchmarkTickReceived(b *testing.B) {
	m := benchMetrics(b)
	now := time.Now()
	tick := exchange.Tick{ProductID: "BTC-USD", Time: now.Add(-5 * time.Millisecond), Received: now}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.TickReceived(tick)
		}
	})
}

// BenchmarkProductTick is the same through a handle the feed keeps.
func BenchmarkProductTick(b *testing.B) {
	p := benchMetrics(b).Product("BTC-USD")
	now := time.Now()
	venue := now.Add(-5 * time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		p.Tick(venue, now)
	}
}

func BenchmarkTickToOrder(b *testing.B) {
	m := benchMetrics(b)
	b.ReportAllocs()
	for b.Loop() {
		m.TickToOrder(17 * time.Microsecond)
	}
}

// BenchmarkSetPosition is the per-tick position update of an instance with
// an open position (decimal arithmetic for notional and stop distance).
func BenchmarkSetPosition(b *testing.B) {
	in := benchMetrics(b).Instance("s1", "BTC-USD")
	p := metrics.Position{
		Size: decimal.RequireFromString("0.25"), AvgEntry: decimal.RequireFromString("50000"),
		Mark: decimal.RequireFromString("50500.5"), Unrealized: decimal.RequireFromString("125.12"),
		Stop: decimal.RequireFromString("49000"), Protected: true,
	}
	b.ReportAllocs()
	for b.Loop() {
		in.SetPosition(p)
	}
}

func BenchmarkOrderSubmittedByName(b *testing.B) {
	m := benchMetrics(b)
	b.ReportAllocs()
	for b.Loop() {
		m.OrderSubmitted("s1", "BTC-USD", exchange.Buy, exchange.Limit)
	}
}

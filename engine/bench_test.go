package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// flipFlop enters when flat and leaves when holding, on every trade tick:
// each tick becomes exactly one order.
type flipFlop struct{}

func (flipFlop) OnTick(t *exchange.Tick, pos strategy.PositionView) strategy.Decision {
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
	// Every limit out of reach of benchTickToOrder's order every 100
	// simulated milliseconds (Validate refuses a zero rate, and a rate
	// above Coinbase's 30 private requests a second).
	cfg.Account.OrdersPerSecond = 30
	cfg.Account.OrdersPerMinute = 30 * 60
	cfg.Account.MaxEntriesPerDay = 1e9
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
	benchTickToOrder(b, newRig(b, benchRisk(), InstanceSpec{Name: "bench", ProductID: "BTC-USD", Strategy: flipFlop{},
		QuoteSize: d("100"), Exits: stopLoss("5")}))
}

// BenchmarkTickToOrderJournaled is BenchmarkTickToOrder with a real SQLite
// journal written synchronously on the path, as live trading writes it:
// the intent before the request, the venue's answer, the fill, and the
// instance's progress, each committed before the path goes on.
//
//   - intents=durable: the live journal (journal.Open); the intent waits
//     for an fsync (synchronous=FULL).
//   - intents=relaxed: journal.Options.RelaxedIntents; every commit is
//     synchronous=NORMAL, which in WAL mode does not fsync.
//
// The paper daemon journals through daemon's asynchronous writer instead
// (daemon.BenchmarkPaperTickToOrder); docs/BENCHMARKS.md compares them.
func BenchmarkTickToOrderJournaled(b *testing.B) {
	for _, tt := range []struct {
		name string
		opt  journal.Options
	}{
		{"intents=durable", journal.Options{}},
		{"intents=relaxed", journal.Options{RelaxedIntents: true}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			j, err := journal.OpenWith(filepath.Join(b.TempDir(), "journal.db"), tt.opt)
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			r := newRigWith(b, benchRisk(), &benchJournal{j}, InstanceSpec{Name: "bench", ProductID: "BTC-USD",
				Strategy: flipFlop{}, QuoteSize: d("100"), Exits: stopLoss("5")})
			benchTickToOrder(b, r)
			if recs, err := j.Orders(journal.OrderFilter{}); err != nil || len(recs) < b.N/2 {
				b.Fatalf("%d orders journaled for %d ticks (%v)", len(recs), b.N, err)
			}
		})
	}
}

// benchJournal is engine.Journal over package journal, written as the
// daemon's adapter writes it (package daemon imports engine, so the
// benchmark cannot use that adapter itself).
type benchJournal struct{ *journal.Journal }

func (j *benchJournal) RecordIntent(rec OrderRecord) error {
	return j.Journal.RecordIntent(journal.OrderRecord{Instance: rec.Instance, Strategy: rec.Instance, Purpose: rec.Purpose,
		Reason: rec.Reason, Order: exchange.Order{OrderRequest: rec.Request, Status: journal.StatusInFlight}, IntentAt: rec.Time})
}

func (j *benchJournal) SaveProgress(instance string, orders []exchange.Order, exitState exits.State, strategyState []byte) error {
	enc, err := json.Marshal(&exitState)
	if err != nil {
		return err
	}
	return j.Batch(func(b *journal.Batch) error {
		for _, o := range orders {
			if err := b.UpdateOrder(o.ClientOrderID, o); err != nil {
				return err
			}
		}
		if r := exitState.Resting; r != nil && r.ClientOrderID != "" && r.OrderID != "" {
			if err := b.UpdateTerms(r.ClientOrderID, journal.RestingTerms{BaseSize: r.Size, LimitPrice: r.Limit,
				StopPrice: r.Stop, Reason: r.Reason}); err != nil {
				return err
			}
		}
		p := exitState.Position
		if err := b.SavePosition(journal.PositionRow{Instance: instance, ProductID: p.ProductID, Size: p.Size,
			AvgEntryPrice: p.AvgEntry, RealizedPnL: p.RealizedPnL, Fees: p.Fees, OpenedAt: p.OpenedAt,
			UpdatedAt: time.Now()}); err != nil {
			return err
		}
		return b.SaveInstanceState(instance, enc, strategyState)
	})
}

// processCPU is the CPU time the process has used, user and system: on a
// shared, loaded machine it measures the code more than the neighbours,
// which wall time does not (an fsync's wait shows only in wall time).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTickEvery is the simulated time between benchmark ticks: 10
// orders a second, within benchRisk's rates.
const benchTickEvery = 100 * time.Millisecond

// benchTickToOrder runs one trade tick per op through r, each becoming
// one order.
func benchTickToOrder(b *testing.B, r *rig) {
	ctx := context.Background()
	quote := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("59999.99"), BidSize: d("5"),
		Ask: d("60000.01"), AskSize: d("5")}
	r.x.OnTick(&quote)
	tick := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("60000"), Size: d("0.1")}
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU()
	for i := 0; i < b.N; i++ {
		r.now = r.now.Add(benchTickEvery)
		r.clock.Set(r.now)
		tick.Time, tick.Received = r.now, r.now
		r.x.OnTick(&tick)
		r.eng.OnTick(tick)
		r.eng.Drain(ctx)
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
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

// newRigWith is newRig with a journal.
func newRigWith(b *testing.B, riskCfg risk.Config, j Journal, specs ...InstanceSpec) *rig {
	b.Helper()
	t0 := time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)
	clk := clock.NewSim(t0)
	x, err := sim.New(sim.Config{Products: []exchange.Product{btcUSD},
		Balances: map[string]decimal.Decimal{"USD": d("100000")}, Fees: sim.DefaultFees()}, clk)
	if err != nil {
		b.Fatal(err)
	}
	g, err := risk.NewGuard(riskCfg, clk)
	if err != nil {
		b.Fatal(err)
	}
	eng, err := New(context.Background(), Options{Venue: x, Guard: g, Clock: clk, Journal: j, Instances: specs,
		MakerFee: d("0.004"), TakerFee: d("0.006")})
	if err != nil {
		b.Fatal(err)
	}
	x.SetHandler(eng.HandleEvent)
	return &rig{x: x, eng: eng, guard: g, clock: clk, t0: t0, now: t0}
}

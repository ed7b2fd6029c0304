package engine

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// enterBelow asks to enter on every tick whose price is at or below
// price while flat, so that a refused entry is asked for again.
func enterBelow(price string) *scripted {
	limit := d(price)
	return &scripted{decide: func(t *exchange.Tick, pos strategy.PositionView) strategy.Decision {
		if pos.Open() || pos.Pending || t.Kind != exchange.TradeTick || t.Price.GreaterThan(limit) {
			return strategy.Decision{}
		}
		return strategy.Decision{Signal: strategy.Enter, Reason: "test"}
	}}
}

// filledBuys sums the sim's filled buy notional (price × size) and counts
// the entry orders that filled.
func filledBuys(x interface{ Fills() []exchange.Fill }) (notional decimal.Decimal, orders int) {
	seen := map[string]bool{}
	for _, f := range x.Fills() {
		if f.Side != exchange.Buy {
			continue
		}
		notional = notional.Add(f.Price.Mul(f.Size))
		if !seen[f.OrderID] {
			seen[f.OrderID] = true
			orders++
		}
	}
	return notional, orders
}

func TestDailyLossHaltsEntriesWhileTheOpenStopLossStillFiresAndFills(t *testing.T) {
	cfg := risk.DefaultConfig()
	// The entry's taker fee (about 6 USD) counts: 15 leaves room for it.
	cfg.Loss.DailyLoss.Limit = d("15")
	cfg.Loss.DailyLoss.Action = risk.Halted
	first := enterOnce()
	// The second strategy wants in once the market has fallen, which is
	// exactly when the day's loss has halted trading.
	second := enterBelow("59600")
	r := newRig(t, cfg,
		InstanceSpec{Name: "first", ProductID: "BTC-USD", Strategy: first, QuoteSize: d("990"), Exits: stopLoss("2")},
		InstanceSpec{Name: "second", ProductID: "BTC-USD", Strategy: second, QuoteSize: d("100"), Exits: stopLoss("2")},
	)
	r.trade("60000")
	if pos := r.eng.instances[0].exits.Position(); !pos.Size.IsPositive() {
		t.Fatalf("first instance did not enter: %+v", pos)
	}
	if st := r.guard.State(); st != risk.Active {
		t.Fatalf("state after the entry = %s, want ACTIVE", st)
	}

	// About -11.5 USD unrealized and the fee: past the 15 USD limit, and
	// above the stop.
	r.trade("59300")
	info := r.guard.StateInfo()
	if info.State != risk.Halted || info.Rule != risk.RuleDailyLoss {
		t.Fatalf("state after the loss = %+v, want HALTED by %s", info, risk.RuleDailyLoss)
	}
	if pos := r.eng.instances[1].exits.Position(); pos.Size.IsPositive() {
		t.Fatalf("second instance entered while halted: %+v", pos)
	}
	if second.seen.Load() == 0 {
		t.Fatal("second strategy never saw a tick, so it never asked to enter")
	}

	// The stop at 2 % below entry (58800) fires and fills while HALTED.
	r.trade("58700")
	r.trade("58690")
	if pos := r.eng.instances[0].exits.Position(); pos.Size.IsPositive() {
		t.Fatalf("stop-loss did not close the position while halted: %+v", pos)
	}
	rts := r.eng.RoundTrips()
	if len(rts) != 1 || rts[0].ExitReason != "stop_loss" || rts[0].Strategy != "first" {
		t.Fatalf("round trips = %+v, want first's position closed by stop_loss", rts)
	}
	// Still halted after the exit: the realized loss stands.
	if info := r.guard.StateInfo(); info.State != risk.Halted {
		t.Fatalf("state after the stop = %+v, want HALTED", info)
	}
	// Later ticks keep asking the second strategy to enter, past the
	// engine's retry delay; none is placed.
	for i := 0; i < 5; i++ {
		r.now = r.now.Add(EntryRetryDelay)
		r.trade("58600")
	}
	if _, n := filledBuys(r.x); n != 1 {
		t.Fatalf("%d entries filled on the sim, want only the first one before the halt", n)
	}
	if pos := r.eng.instances[1].exits.Position(); pos.Size.IsPositive() {
		t.Fatalf("second instance entered while halted: %+v", pos)
	}
}

// barrier is a strategy that enters once, but only after every one of n
// instances has reached its decision, so that their entries reach the
// guard as close together as the scheduler allows.
type barrier struct {
	n       int
	arrived *atomic.Int64
	release chan struct{}
	once    *sync.Once
}

func (b barrier) strategy() *scripted {
	var done bool
	return &scripted{decide: func(t *exchange.Tick, pos strategy.PositionView) strategy.Decision {
		if done || pos.Open() || pos.Pending {
			return strategy.Decision{}
		}
		done = true
		if b.arrived.Add(1) == int64(b.n) {
			b.once.Do(func() { close(b.release) })
		}
		select {
		case <-b.release:
		case <-time.After(10 * time.Second):
		}
		return strategy.Decision{Signal: strategy.Enter, Reason: "test"}
	}}
}

func TestFiftyConcurrentEntriesNeverPushExposurePastItsLimit(t *testing.T) {
	const (
		instances = 50
		limit     = "1000"
		size      = "100"
	)
	cfg := risk.DefaultConfig()
	cfg.Account.MaxExposure = d(limit)
	cfg.Account.MaxPositionNotional = d(limit)
	cfg.Account.MaxOpenOrders = instances
	cfg.Account.MaxEntriesPerDay = instances
	cfg.Account.OrdersPerSecond = 30
	cfg.Account.OrdersPerMinute = 200
	cfg.PerStrategy = risk.ScopeLimits{}
	b := barrier{n: instances, arrived: &atomic.Int64{}, release: make(chan struct{}), once: &sync.Once{}}
	strats := make([]*scripted, instances)
	specs := make([]InstanceSpec, instances)
	for i := range specs {
		strats[i] = b.strategy()
		specs[i] = InstanceSpec{Name: fmt.Sprintf("s%02d", i), ProductID: "BTC-USD", Strategy: strats[i],
			QuoteSize: d(size), Exits: stopLoss("5")}
	}
	r := newRig(t, cfg, specs...)

	defer r.running()()

	// A strategy's second tick is processed only after its first tick's
	// entry was placed or refused: once all have seen two, all are done.
	send := func(price string) {
		r.now = r.now.Add(time.Second)
		r.clock.Set(r.now)
		p := d(price)
		for _, tk := range []exchange.Tick{
			{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: r.now, Received: r.now,
				Bid: p.Sub(d("0.01")), BidSize: d("5"), Ask: p.Add(d("0.01")), AskSize: d("5")},
			{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: r.now, Received: r.now,
				Price: p, Size: d("0.1"), TakerSide: exchange.Buy},
		} {
			r.x.OnTick(&tk)
			r.eng.OnTick(tk)
		}
	}
	waitSeen := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for _, s := range strats {
			for s.seen.Load() < n {
				if time.Now().After(deadline) {
					t.Fatalf("a strategy saw %d ticks, want %d", s.seen.Load(), n)
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	send("60000")
	waitSeen(1)
	send("60000")
	waitSeen(2)

	notional, orders := filledBuys(r.x)
	t.Logf("%d of %d entries filled, %s USD bought; guard exposure %s", orders, instances, notional, r.guard.Exposure())
	if notional.GreaterThan(d(limit)) {
		t.Fatalf("filled buys total %s, past max_exposure %s", notional, limit)
	}
	if r.guard.Exposure().GreaterThan(d(limit)) {
		t.Fatalf("guard exposure %s, past max_exposure %s", r.guard.Exposure(), limit)
	}
	// The limit binds: ten entries of 100 fit in 1000, an eleventh does not.
	if orders != 10 {
		t.Fatalf("%d entries filled, want 10 (limit %s / size %s)", orders, limit, size)
	}
}

package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/position"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var d = decimal.RequireFromString

var btcUSD = exchange.Product{ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD",
	BaseIncrement: d("0.00000001"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.01"),
	BaseMinSize: d("0.00001"), BaseMaxSize: d("1000"), QuoteMinSize: d("1"), QuoteMaxSize: d("1000000")}

// scripted is a strategy whose decisions a test writes as a function.
type scripted struct {
	decide func(t *exchange.Tick, pos strategy.PositionView) strategy.Decision
	seen   atomic.Int64
	delay  time.Duration
}

func (s *scripted) OnTick(t *exchange.Tick, pos strategy.PositionView) strategy.Decision {
	s.seen.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if s.decide == nil {
		return strategy.Decision{}
	}
	return s.decide(t, pos)
}

// enterOnce enters on the first tick it sees while flat, and never again.
func enterOnce() *scripted {
	var done bool
	return &scripted{decide: func(t *exchange.Tick, pos strategy.PositionView) strategy.Decision {
		if done || pos.Open() || pos.Pending {
			return strategy.Decision{}
		}
		done = true
		return strategy.Decision{Signal: strategy.Enter, Reason: "test"}
	}}
}

type rig struct {
	x     *sim.Exchange
	eng   *Engine
	guard *risk.Guard
	clock *clock.Sim
	t0    time.Time
	now   time.Time
}

func newRig(t testing.TB, riskCfg risk.Config, specs ...InstanceSpec) *rig {
	t.Helper()
	return newRigLogged(t, nil, riskCfg, specs...)
}

// newRigLogged is newRig with the engine logging to log (nil: nowhere).
func newRigLogged(t testing.TB, log *slog.Logger, riskCfg risk.Config, specs ...InstanceSpec) *rig {
	t.Helper()
	return newRigOn(t, sim.Config{}, log, riskCfg, specs...)
}

// newRigOn is newRigLogged on a simulated exchange of cfg, whose
// products, balances and fees are the rig's.
func newRigOn(t testing.TB, cfg sim.Config, log *slog.Logger, riskCfg risk.Config, specs ...InstanceSpec) *rig {
	t.Helper()
	t0 := time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)
	clk := clock.NewSim(t0)
	cfg.Products, cfg.Balances, cfg.Fees = []exchange.Product{btcUSD}, map[string]decimal.Decimal{"USD": d("100000")}, sim.DefaultFees()
	x, err := sim.New(cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	g, err := risk.NewGuard(riskCfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := New(context.Background(), Options{Venue: x, Guard: g, Clock: clk, Instances: specs, Log: log,
		MakerFee: d("0.004"), TakerFee: d("0.006")})
	if err != nil {
		t.Fatal(err)
	}
	x.SetHandler(eng.HandleEvent)
	return &rig{x: x, eng: eng, guard: g, clock: clk, t0: t0, now: t0}
}

// running runs the engine's instances on their goroutines (Run) until
// stop, which waits for them to end.
func (r *rig) running() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.eng.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}

// trade moves the market to price (a quote around it, then a trade) and
// lets the engine process everything, synchronously.
func (r *rig) trade(price string) {
	r.now = r.now.Add(time.Second)
	r.clock.Set(r.now)
	p := d(price)
	q := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: r.now, Received: r.now,
		Bid: p.Sub(d("0.01")), BidSize: d("5"), Ask: p.Add(d("0.01")), AskSize: d("5")}
	tr := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: r.now, Received: r.now,
		Price: p, Size: d("0.1"), TakerSide: exchange.Buy}
	for _, tk := range []exchange.Tick{q, tr} {
		r.x.OnTick(&tk)
		r.eng.OnTick(tk)
		r.eng.Drain(context.Background())
	}
}

func stopLoss(percent string) exits.Config {
	var c exits.Config
	c.Placement = "bot"
	c.StopLoss = &exits.StopLoss{Percent: d(percent)}
	return c
}

func TestExitPassesTheGuardWhileExposureIsAtItsLimit(t *testing.T) {
	cfg := risk.DefaultConfig()
	cfg.Account.MaxExposure = d("1000")
	cfg.Account.MaxPositionNotional = d("1000")
	cfg.PerStrategy = risk.ScopeLimits{}
	cfg.PerProduct = risk.ScopeLimits{}
	first := enterOnce()
	second := enterOnce()
	r := newRig(t, cfg,
		InstanceSpec{Name: "first", ProductID: "BTC-USD", Strategy: first, QuoteSize: d("990"), Exits: stopLoss("1")},
		InstanceSpec{Name: "second", ProductID: "BTC-USD", Strategy: second, QuoteSize: d("100"), Exits: stopLoss("1")},
	)
	r.trade("60000")
	first0 := r.eng.instances[0].exits.Position()
	if !first0.Size.IsPositive() {
		t.Fatalf("first instance did not enter: %+v", first0)
	}
	if pos := r.eng.instances[1].exits.Position(); pos.Size.IsPositive() {
		t.Fatalf("second instance entered past the exposure limit: %+v", pos)
	}
	// The stop at 1 % below entry fires and fills although exposure is
	// still at its limit.
	r.trade("59000")
	r.trade("58990")
	if pos := r.eng.instances[0].exits.Position(); pos.Size.IsPositive() {
		t.Fatalf("stop-loss did not close the position: %+v", pos)
	}
	rts := r.eng.RoundTrips()
	if len(rts) != 1 || rts[0].ExitReason != "stop_loss" {
		t.Fatalf("round trips = %+v, want one closed by stop_loss", rts)
	}
}

func TestSlowStrategyConflatesWithoutBlockingAFastOne(t *testing.T) {
	slow := &scripted{delay: 20 * time.Millisecond}
	fast := &scripted{}
	r := newRig(t, risk.DefaultConfig(),
		InstanceSpec{Name: "slow", ProductID: "BTC-USD", Strategy: slow, QuoteSize: d("10"), Exits: stopLoss("5")},
		InstanceSpec{Name: "fast", ProductID: "BTC-USD", Strategy: fast, QuoteSize: d("10"), Exits: stopLoss("5")},
	)
	stop := r.running()
	const n = 2000
	for i := 0; i < n; i++ {
		at := r.t0.Add(time.Duration(i) * time.Millisecond)
		r.eng.OnTick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: at, Received: at,
			Price: decimal.NewFromInt(int64(60000 + i)), Size: d("0.1")})
		// The fast strategy keeps up: wait until it has seen this tick
		// before sending the next one, which the slow one cannot do.
		deadline := time.Now().Add(5 * time.Second)
		for fast.seen.Load() < int64(i+1) {
			if time.Now().After(deadline) {
				t.Fatalf("fast strategy stalled at tick %d (saw %d): the slow one blocked it", i, fast.seen.Load())
			}
			time.Sleep(10 * time.Microsecond)
		}
	}
	stop()
	slowIn := r.eng.instances[0]
	if slow.seen.Load() >= n/2 {
		t.Errorf("slow strategy saw %d of %d ticks; expected most to be conflated", slow.seen.Load(), n)
	}
	if slowIn.mailbox.Conflated() == 0 {
		t.Error("no conflated tick counted for the slow strategy")
	}
	if got := r.eng.instances[1].mailbox.Conflated(); got != 0 {
		t.Errorf("fast strategy conflated %d ticks, want 0", got)
	}
}

// A daemon's engine (Options.ForgetRoundTrips) keeps no list of closed
// positions, which would grow for as long as it runs, and still hands
// each one to OnRoundTrip.
func TestForgetRoundTripsKeepsNoListButReportsEachClose(t *testing.T) {
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "unused", ProductID: "BTC-USD", Strategy: &scripted{},
		QuoteSize: d("100")})
	var reported []position.RoundTrip
	eng, err := New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock,
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(), QuoteSize: d("100"),
			Exits: stopLoss("1")}},
		MakerFee: d("0.004"), TakerFee: d("0.006"), ForgetRoundTrips: true,
		OnRoundTrip: func(rt position.RoundTrip) { reported = append(reported, rt) }})
	if err != nil {
		t.Fatal(err)
	}
	r.eng = eng
	r.x.SetHandler(eng.HandleEvent)
	r.trade("60000")
	r.trade("59000")
	r.trade("58990")
	if len(reported) != 1 || reported[0].ExitReason != "stop_loss" {
		t.Fatalf("OnRoundTrip got %+v, want one close by stop_loss", reported)
	}
	if rts := eng.RoundTrips(); len(rts) != 0 {
		t.Errorf("RoundTrips() = %+v with ForgetRoundTrips, want none", rts)
	}
}

package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// probe is a strategy of the strategy API whose callbacks a test writes.
type probe struct {
	needs  func(n *strategy.Needs)
	bar    func(ctx strategy.Context, b *strategy.Bar)
	order  func(ctx strategy.Context, e strategy.OrderEvent)
	timer  func(ctx strategy.Context, now time.Time)
	bars   []strategy.Bar
	events []strategy.OrderEvent
	timers []time.Time
}

func (p *probe) Needs(n *strategy.Needs) { p.needs(n) }

func (p *probe) OnBar(ctx strategy.Context, b *strategy.Bar) {
	p.bars = append(p.bars, *b)
	if p.bar != nil {
		p.bar(ctx, b)
	}
}

func (p *probe) OnOrder(ctx strategy.Context, e strategy.OrderEvent) {
	p.events = append(p.events, e)
	if p.order != nil {
		p.order(ctx, e)
	}
}

func (p *probe) OnTimer(ctx strategy.Context, now time.Time) {
	p.timers = append(p.timers, now)
	if p.timer != nil {
		p.timer(ctx, now)
	}
}

// TestAStrategyRestsALimitBuyOnceWarmAndItsFillIsProtected: bars of 5 s
// with a lookback of 2 close by the clock; the strategy's first buy, asked
// for on every bar, is refused until two bars have closed; then a
// post-only limit buy rests (an open order with its client order id),
// fills when the price comes down, is reported as a fill, and the
// position it bought gets the instance's stop.
func TestAStrategyRestsALimitBuyOnceWarmAndItsFillIsProtected(t *testing.T) {
	var refusedCold, placed int
	var id string
	p := &probe{needs: func(n *strategy.Needs) { n.Bars("", 5*time.Second, 2); n.Every(10 * time.Second) }}
	p.bar = func(ctx strategy.Context, b *strategy.Bar) {
		if id != "" {
			return
		}
		got, err := ctx.Buy(strategy.Order{Type: strategy.Limit, Price: d("59000"), PostOnly: true,
			Size: strategy.Size{Quote: d("590")}, Reason: "dip"})
		switch {
		case err == strategy.ErrNotWarm:
			refusedCold++
		case err != nil:
			t.Fatalf("limit buy refused: %v", err)
		default:
			id, placed = got, placed+1
		}
	}
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "probe", ProductID: "BTC-USD", Strategy: p,
		QuoteSize: d("100"), Exits: stopLoss("1")})
	in := r.eng.instances[0]
	for range 12 {
		r.trade("60000")
	}
	if len(p.bars) < 2 || refusedCold != 1 || placed != 1 {
		t.Fatalf("%d bars, %d buys refused before warm, %d placed; want 1 refused then 1 placed", len(p.bars), refusedCold, placed)
	}
	if b := p.bars[0]; b.Interval != 5*time.Second || b.CloseF != 60000 || b.Trades == 0 || b.VolumeF <= 0 {
		t.Fatalf("first bar %+v", b)
	}
	open := in.sctx.OpenOrders()
	if len(open) != 1 || open[0].ClientOrderID != id || open[0].Type != exchange.Limit || !open[0].PostOnly ||
		!open[0].BaseSize.Equal(d("0.01")) {
		t.Fatalf("open orders %+v, want the limit buy %s of 0.01", open, id)
	}
	if len(p.timers) == 0 {
		t.Fatal("no timer fired in 12 s of a 10 s timer")
	}
	r.trade("58990")
	if len(p.events) == 0 || p.events[len(p.events)-1].Kind != strategy.Filled || p.events[len(p.events)-1].ClientOrderID != id {
		t.Fatalf("events %+v, want the fill of %s", p.events, id)
	}
	if pos := in.exits.Position(); !pos.Size.Equal(d("0.01")) {
		t.Fatalf("position %+v, want 0.01", pos)
	}
	if prot := in.exits.Protection(); !prot.Stop.IsPositive() {
		t.Fatalf("the filled buy has no stop: %+v", prot)
	}
	if len(in.sctx.OpenOrders()) != 0 {
		t.Fatal("the filled order is still open")
	}
}

// TestAStrategyCancelsItsOrderAndHearsOfRefusals: a cancelled limit buy is
// reported as cancelled; a buy the risk guard refuses is reported as
// refused with the guard's reason, after the callback that asked for it.
func TestAStrategyCancelsItsOrderAndHearsOfRefusals(t *testing.T) {
	var ids []string
	var errs []error
	p := &probe{needs: func(n *strategy.Needs) { n.Bars("", 2*time.Second, 0) }}
	p.bar = func(ctx strategy.Context, b *strategy.Bar) {
		switch len(p.bars) {
		case 1:
			id, err := ctx.Buy(strategy.Order{Type: strategy.Limit, Price: d("58000"), Size: strategy.Size{Base: d("0.001")}})
			ids, errs = append(ids, id), append(errs, err)
		case 2:
			errs = append(errs, ctx.Cancel(ids[0]))
		case 3:
			id, err := ctx.Buy(strategy.Order{Size: strategy.Size{Quote: d("900000")}, Reason: "too big"})
			ids, errs = append(ids, id), append(errs, err)
			if len(p.events) != 1 {
				t.Errorf("a refusal was delivered inside the callback that caused it")
			}
		}
	}
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "probe", ProductID: "BTC-USD", Strategy: p,
		QuoteSize: d("100"), Exits: stopLoss("1")})
	for range 9 {
		r.trade("60000")
	}
	if len(errs) != 3 || errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("errors %v, want nil, nil, a refusal", errs)
	}
	if len(p.events) != 2 || p.events[0].Kind != strategy.Cancelled || p.events[0].ClientOrderID != ids[0] ||
		p.events[1].Kind != strategy.Refused || p.events[1].ClientOrderID != ids[1] ||
		!strings.Contains(p.events[1].Reason, "max_order_notional") {
		t.Fatalf("events %+v", p.events)
	}
}

// TestAStrategyWithoutCallbacksIsRefused: a value that implements no
// callback would never trade; New says so instead of running it.
func TestAStrategyWithoutCallbacksIsRefused(t *testing.T) {
	clk := clock.NewSim(time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC))
	x, err := sim.New(sim.Config{Products: []exchange.Product{btcUSD}}, clk)
	if err != nil {
		t.Fatal(err)
	}
	g, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(t.Context(), Options{Venue: x, Guard: g, Clock: clk,
		Instances: []InstanceSpec{{Name: "x", ProductID: "BTC-USD", Strategy: struct{}{}, QuoteSize: d("1")}}})
	if err == nil || !strings.Contains(err.Error(), "no callback") {
		t.Fatalf("error %v, want one saying the strategy has no callback", err)
	}
}

// TestARefusedOrdersRecordIsReusedWithoutTouchingOthers: the working
// record of a refused buy is reused by the next order, and the orders
// still working keep their own; OnEntryNotPlaced hears of the refusal
// alone.
func TestARefusedOrdersRecordIsReusedWithoutTouchingOthers(t *testing.T) {
	var ids []string
	var errs []error
	p := &probe{needs: func(n *strategy.Needs) { n.Bars("", 2*time.Second, 0) }}
	p.bar = func(ctx strategy.Context, b *strategy.Bar) {
		var id string
		var err error
		switch len(p.bars) {
		case 1:
			id, err = ctx.Buy(strategy.Order{Type: strategy.Limit, Price: d("58000"), Size: strategy.Size{Base: d("0.001")}})
		case 2:
			id, err = ctx.Buy(strategy.Order{Size: strategy.Size{Quote: d("900000")}, Reason: "too big"})
		case 3:
			id, err = ctx.Buy(strategy.Order{Type: strategy.Limit, Price: d("57000"), Size: strategy.Size{Base: d("0.002")}})
		default:
			return
		}
		ids, errs = append(ids, id), append(errs, err)
	}
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "probe", ProductID: "BTC-USD", Strategy: p,
		QuoteSize: d("100"), Exits: stopLoss("1")})
	var notPlaced []string
	r.eng.onEntryNotPlaced = func(strategy string, err error) {
		notPlaced = append(notPlaced, strategy+": "+err.Error())
	}
	for range 9 {
		r.trade("60000")
	}
	if len(errs) != 3 || errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errors %v, want nil, a refusal, nil", errs)
	}
	if len(notPlaced) != 1 || !strings.HasPrefix(notPlaced[0], "probe: ") || !strings.Contains(notPlaced[0], "max_order_notional") {
		t.Fatalf("OnEntryNotPlaced got %q, want the one refusal of probe by max_order_notional", notPlaced)
	}
	in := r.eng.Instances()[0]
	open := in.sctx.OpenOrders()
	if len(open) != 2 || open[0].ClientOrderID != ids[0] || open[1].ClientOrderID != ids[2] ||
		!open[0].LimitPrice.Equal(d("58000")) || !open[0].BaseSize.Equal(d("0.001")) ||
		!open[1].LimitPrice.Equal(d("57000")) || !open[1].BaseSize.Equal(d("0.002")) {
		t.Fatalf("open orders %+v, want %s at 58000 for 0.001 and %s at 57000 for 0.002", open, ids[0], ids[2])
	}
	if in.spareWorking != nil {
		t.Fatal("the refused order's record was not reused by the next order")
	}
}

// refusalCounter is a strategy that counts the refusals it hears of and,
// for the first, asks again at once and is refused again (as notPlaced
// queues it).
type refusalCounter struct {
	in    *Instance
	heard []string
}

func (c *refusalCounter) OnOrder(_ strategy.Context, e strategy.OrderEvent) {
	c.heard = append(c.heard, e.ClientOrderID)
	if e.ClientOrderID == "first" {
		c.in.refusals = append(c.in.refusals, strategy.OrderEvent{Kind: strategy.Refused, ClientOrderID: "again"})
	}
}

// Refusals reach the strategy in order, those queued while it hears of
// them included, and a refusal a callback costs no allocation once the
// list has grown: taking them from the front of the slice shrank its
// capacity, so that every refusal's append allocated (a dca or grid
// refused on every trade while the guard is REDUCING).
func TestRefusalsAreDeliveredInOrderWithoutAnAllocationEach(t *testing.T) {
	in := &Instance{}
	c := &refusalCounter{in: in, heard: make([]string, 0, 4)}
	in.hooks.order = c
	in.refusals = append(in.refusals, strategy.OrderEvent{Kind: strategy.Refused, ClientOrderID: "first"},
		strategy.OrderEvent{Kind: strategy.Refused, ClientOrderID: "second"})
	in.flushRefusals()
	if got := strings.Join(c.heard, " "); got != "first second again" {
		t.Fatalf("the strategy heard of %q, want first second again", got)
	}
	if len(in.refusals) != 0 {
		t.Fatalf("%d refusals left after the flush", len(in.refusals))
	}
	refused := strategy.OrderEvent{Kind: strategy.Refused, ClientOrderID: "each"}
	allocs := testing.AllocsPerRun(100, func() {
		c.heard = c.heard[:0]
		in.refusals = append(in.refusals, refused)
		in.flushRefusals()
	})
	if allocs != 0 {
		t.Errorf("a refusal flushed costs %.1f allocations, want none", allocs)
	}
}

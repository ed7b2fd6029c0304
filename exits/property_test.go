package exits

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
)

// genConfig draws an exits block that Validate accepts.
func genConfig(t *rapid.T) Config {
	c := Config{
		Placement: rapid.SampledFrom([]Placement{OnExchange, InBot}).Draw(t, "placement"),
		StopLoss:  &StopLoss{Percent: decimal.New(int64(rapid.IntRange(5, 50).Draw(t, "stop_tenths")), -1)},
		Update:    Update{MinInterval: time.Duration(rapid.IntRange(0, 3).Draw(t, "min_interval_s")) * time.Second},
	}
	switch rapid.IntRange(0, 2).Draw(t, "levels") {
	case 1:
		c.TakeProfit = []TakeProfit{{Percent: decimal.New(int64(rapid.IntRange(5, 60).Draw(t, "tp_tenths")), -1), Close: d("1")}}
	case 2:
		c.TakeProfit = []TakeProfit{
			{Percent: decimal.New(int64(rapid.IntRange(5, 30).Draw(t, "tp1_tenths")), -1), Close: decimal.New(int64(rapid.IntRange(1, 9).Draw(t, "close_tenths")), -1)},
			{Percent: decimal.New(int64(rapid.IntRange(31, 60).Draw(t, "tp2_tenths")), -1), Close: d("1")},
		}
		if rapid.Bool().Draw(t, "break_even") {
			c.BreakEven = &BreakEven{AfterTakeProfit: true, OffsetPercent: d("0.1")}
		}
	}
	if c.Placement == OnExchange && len(c.TakeProfit) == 1 && rapid.Bool().Draw(t, "attach") {
		c.AttachToEntry = true
	}
	if c.Placement == InBot && rapid.Bool().Draw(t, "bid") {
		c.Trigger = TriggerBid
	}
	if rapid.Bool().Draw(t, "trailing") {
		c.TrailingStop = &TrailingStop{CallbackPercent: decimal.New(int64(rapid.IntRange(3, 30).Draw(t, "callback_tenths")), -1),
			ActivationPercent: decimal.New(int64(rapid.IntRange(0, 20).Draw(t, "activation_tenths")), -1)}
	}
	if rapid.Bool().Draw(t, "time_stop") {
		c.TimeStop = &TimeStop{MaxHolding: time.Duration(rapid.IntRange(5, 60).Draw(t, "max_holding_s")) * time.Second}
	}
	return c
}

// TestExitInvariantsOverRandomPaths drives a Manager on the simulated
// exchange over generated price paths with entries, closes and stale
// feeds, and checks after every event and tick that:
//
//   - no exit ever asks to sell more than the position holds, nor more
//     than the venue's account holds beside the other open sells;
//   - the stop never moves down while a position is open;
//   - an open position has exactly one protective stop, resting (and then
//     the venue holds exactly that one untriggered sell at that stop) or
//     watched (and then the venue holds no untriggered sell);
//   - a trade at or below that stop leaves the position flat, even when
//     an entry filled while an exit worked: the venue here fills whole,
//     so no exit is cut short (one that is waits for the next tick or
//     idle pass; partial_test.go covers it).
func TestExitInvariantsOverRandomPaths(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		cfg := genConfig(rt)
		var opts []harnessOpt
		if rapid.Bool().Draw(rt, "no_edit") {
			opts = append(opts, noEdit())
		}
		h := newHarness(rt, cfg, opts...)
		fail := func(format string, args ...any) {
			rt.Fatalf("%s\nconfig %+v\nstate %+v\nvenue open sells %+v\nsent %v", fmt.Sprintf(format, args...), cfg, h.m.State(), h.openSells(), h.orders.sent)
		}
		watchInvariants(h, fail)
		// Every entry drawn is worth the product's minimum order value
		// (1 USD) on any path: 0.001 BTC at 10,000, down 3 % a step for
		// 60 steps, is still worth 1.6.
		price := decimal.NewFromInt(10000)
		h.tick(price.String())
		steps := rapid.IntRange(5, 60).Draw(rt, "steps")
		for i := range steps {
			switch rapid.IntRange(0, 9).Draw(rt, fmt.Sprintf("action%d", i)) {
			case 0, 1:
				size := decimal.New(int64(rapid.IntRange(10, 5000).Draw(rt, fmt.Sprintf("size%d", i))), -4)
				if _, err := h.tryEnter(size.String()); err != nil {
					fail("entry: %v", err)
				}
			case 2:
				if h.m.Position().Size.IsPositive() {
					_ = h.m.Close(h.ctx, ReasonSignal)
					h.drain()
				}
			case 4:
				h.orders.failFirst = rapid.IntRange(1, 4).Draw(rt, fmt.Sprintf("fail%d", i))
			case 5:
				h.orders.loseReply = rapid.IntRange(1, 2).Draw(rt, fmt.Sprintf("lose%d", i))
			case 3:
				h.clk.Set(h.clk.Now().Add(time.Minute))
				h.m.OnIdle(h.ctx, h.clk.Now())
				h.drain()
				h.after()
			}
			move := rapid.IntRange(-300, 300).Draw(rt, fmt.Sprintf("move%d", i)) // hundredths of a percent
			price = testProduct.RoundPriceDown(price.Mul(decimal.New(int64(10000+move), -4)))
			before, wasOpen, injected := h.m.Protection(), h.m.Position().Size.IsPositive(), h.orders.injected
			h.tick(price.String())
			if cfg.Trigger == TriggerBid {
				now := h.clk.Now()
				h.feed(exchange.Tick{ProductID: testProduct.ID, Kind: exchange.QuoteTick, Time: now, Received: now,
					Bid: price, Ask: price.Add(testProduct.PriceIncrement), BidSize: d("1"), AskSize: d("1")})
			}
			// A transport error may delay an exit to the next tick; the
			// same client order id then goes out again.
			if wasOpen && injected == h.orders.injected && price.LessThanOrEqual(before.Stop) && h.m.Position().Size.IsPositive() {
				fail("a trade at %s reached the stop %s but %s is still held", price, before.Stop, h.m.Position().Size)
			}
		}
	})
}

// baseTotal is what the venue account holds of the base, free or held.
func (h *harness) baseTotal() decimal.Decimal {
	bs, _ := h.x.Balances(h.ctx)
	for _, b := range bs {
		if b.Currency == testProduct.BaseCurrency {
			return b.Total()
		}
	}
	return decimal.Zero
}

// watchInvariants checks, before every order the Manager sends and after
// every event and tick it has handled (once the venue's events of one
// change are all delivered), that:
//
//   - no exit asks to sell more than the position holds, nor more than
//     the venue's account holds beside the other open sells (a resend of
//     an id the venue knows sells nothing more);
//   - the stop never moves down while a position is open;
//   - an open position has exactly one protective stop, resting (and then
//     the venue holds exactly that one untriggered sell at that stop) or
//     watched (and then the venue holds no untriggered sell, unless a
//     placement's answer is still unknown).
func watchInvariants(h *harness, fail func(format string, args ...any)) {
	h.orders.check = func(req exchange.OrderRequest) {
		if req.Side != exchange.Sell {
			return
		}
		if _, err := h.x.OrderByClientID(h.ctx, req.ClientOrderID); err == nil {
			return // a resend of an id the venue knows returns that order and sells nothing more
		}
		held := h.m.Position().Size
		if req.BaseSize.GreaterThan(held) {
			fail("sell %s of %s: the Manager holds only %s", req.Type, req.BaseSize, held)
		}
		venue := h.baseTotal()
		for _, o := range h.openSells() {
			venue = venue.Sub(o.Remaining())
		}
		if req.BaseSize.GreaterThan(venue) {
			fail("sell %s of %s: the account holds only %s beside the other open sells", req.Type, req.BaseSize, venue)
		}
	}
	lastStop := decimal.Zero
	h.after = func() {
		if len(h.queue) > 0 {
			return // between the events of one venue change
		}
		p, pos := h.m.Protection(), h.m.Position()
		if !pos.Size.IsPositive() {
			lastStop = decimal.Zero
			if p.Resting || p.Watched {
				fail("flat but protection %+v", p)
			}
			return
		}
		if stop := h.m.State().Stop; stop.LessThan(lastStop) {
			fail("stop moved down from %s to %s", lastStop, stop)
		} else {
			lastStop = stop
		}
		if p.Resting == p.Watched || !p.Stop.IsPositive() {
			fail("open position of %s with protection %+v", pos.Size, p)
		}
		var untriggered []exchange.Order
		for _, o := range h.openSells() {
			if !o.Triggered {
				untriggered = append(untriggered, o)
			}
		}
		if p.Resting && (len(untriggered) != 1 || !untriggered[0].StopPrice.Equal(p.Stop)) {
			fail("resting at %s but the venue holds %+v", p.Stop, untriggered)
		}
		if pending := h.m.State().Resting; p.Watched && len(untriggered) != 0 && (pending == nil || pending.OrderID != "") {
			fail("watched but the venue holds %+v", untriggered)
		}
	}
}

package exits

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange/sim"

	"github.com/tradebot/tradebot/exchange"
)

// These tests run the Manager against the real simulated exchange with
// partial fills on (sim.Config.PartialFills): an order fills only the
// size the market shows at its price. After every event and tick, the
// base the venue's open sell orders still have to sell must equal what
// the position holds: protection covers exactly what is held, never more
// (it would sell base the position does not own) and never less.

func partialFills() harnessOpt {
	return func(_ *harness, c *sim.Config) { c.PartialFills = true }
}

// quote sends a best bid and ask with the sizes shown at them.
func (h *harness) quote(bid, bidSize, ask, askSize string) {
	at := h.clk.Now().Add(time.Second)
	h.feed(exchange.Tick{ProductID: testProduct.ID, Kind: exchange.QuoteTick, Time: at, Received: at,
		Bid: d(bid), BidSize: d(bidSize), Ask: d(ask), AskSize: d(askSize)})
}

// tradeSized sends a trade of size at price.
func (h *harness) tradeSized(price, size string) {
	at := h.clk.Now().Add(time.Second)
	h.feed(exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: at, Received: at, Price: d(price), Size: d(size)})
}

// covered checks that the open sells still to fill add up to the size
// held, unless the Manager is between orders (a cancel or a replacement
// in flight), which the caller says with allowGap.
func (h *harness) covered(where string) {
	h.t.Helper()
	var left decimal.Decimal
	for _, o := range h.openSells() {
		left = left.Add(o.BaseSize.Sub(o.FilledSize))
	}
	held := h.m.Position().Size
	if !left.Equal(held) {
		h.t.Fatalf("%s: open sells have %s left to sell, the position holds %s (protection %+v)", where, left, held, h.m.Protection())
	}
	if held.IsPositive() && !h.m.Protection().Resting {
		h.t.Fatalf("%s: %s held without a resting stop: %+v", where, held, h.m.Protection())
	}
}

func TestPartiallyFilledEntryIsProtectedForWhatIsHeld(t *testing.T) {
	for _, tp := range []bool{false, true} {
		t.Run(fmt.Sprintf("take-profit %v", tp), func(t *testing.T) {
			cfg := Config{Placement: OnExchange, StopLoss: pctStop("5")}
			if tp {
				cfg.TakeProfit = []TakeProfit{{Percent: d("10"), Close: d("1")}}
			}
			h := newHarness(t, cfg, partialFills())
			h.tick("100")
			h.quote("99.9", "5", "100", "0.3")
			o := h.enter("1") // a market buy: 0.3 shown, the rest cancelled
			if got, _ := h.x.Order(o.ID); got.Status != exchange.StatusCancelled || !got.FilledSize.Equal(d("0.3")) {
				t.Fatalf("entry %s filled %s, want CANCELLED after 0.3", got.Status, got.FilledSize)
			}
			if !h.m.Position().Size.Equal(d("0.3")) {
				t.Fatalf("position %s, want the 0.3 bought", h.m.Position().Size)
			}
			h.covered("after a partly filled market entry")

			// A resting limit entry that fills in three parts: the stop
			// grows with each.
			id := "entry-limit"
			h.entries[id] = true
			h.m.NoteEntry(id, "test entry")
			if _, err := h.x.PlaceOrder(h.ctx, exchange.OrderRequest{ClientOrderID: id, ProductID: testProduct.ID, Side: exchange.Buy,
				Type: exchange.Limit, BaseSize: d("0.6"), LimitPrice: d("99.5")}); err != nil {
				t.Fatal(err)
			}
			h.drain()
			for i, size := range []string{"0.1", "0.25", "5"} {
				h.quote("99", "5", "99.5", size)
				h.covered(fmt.Sprintf("after limit entry fill %d", i+1))
			}
			if !h.m.Position().Size.Equal(d("0.9")) {
				t.Fatalf("position %s, want 0.9", h.m.Position().Size)
			}
		})
	}
}

func TestPartiallyFilledTakeProfitLeavesTheStopOnTheRest(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5"),
		TakeProfit: []TakeProfit{{Percent: d("10"), Close: d("1")}}}, partialFills())
	h.tick("100")
	h.enter("1")
	br := h.resting()
	if br.Type != exchange.Bracket || !br.LimitPrice.Equal(d("110")) || !br.StopPrice.Equal(d("95")) {
		t.Fatalf("resting %s TP %s stop %s, want a bracket 110 / 95", br.Type, br.LimitPrice, br.StopPrice)
	}
	h.tradeSized("110.5", "0.3") // through the take-profit: 0.3 of it fills
	if !h.m.Position().Size.Equal(d("0.7")) {
		t.Fatalf("position %s after 0.3 of the take-profit, want 0.7", h.m.Position().Size)
	}
	h.covered("after a partly filled take-profit")
	if r := h.resting(); r.ID != br.ID || r.Triggered || !r.StopPrice.Equal(d("95")) {
		t.Fatalf("the bracket must keep its stop armed on the rest: %+v", r)
	}
	h.tick("104")
	h.covered("after the price fell back")
	h.quote("94", "0.4", "94.5", "5")
	h.tick("94") // the stop fires on the rest: 0.4 shown at the bid
	h.covered("after the triggered stop filled in part")
	h.quote("93.9", "5", "94", "5")
	if h.m.Position().Size.IsPositive() {
		t.Fatalf("position %s after the stop took the rest, want flat", h.m.Position().Size)
	}
	rt := h.trip()
	// 0.3 at 110 and 0.4 and 0.3 at the bids 94 and 93.9, against 100.
	if want := d("0.3").Mul(d("10")).Add(d("0.4").Mul(d("-6"))).Add(d("0.3").Mul(d("-6.1"))); !rt.PnL.Equal(want) {
		t.Errorf("PnL %s, want %s", rt.PnL, want)
	}
	if len(h.openSells()) != 0 {
		t.Fatalf("%d sells left open", len(h.openSells()))
	}
}

func TestPartiallyFilledStopSellsTheRestLater(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5")}, partialFills())
	h.tick("100")
	h.enter("1")
	h.quote("95", "0.25", "95.5", "5")
	h.tick("95") // triggers the stop-limit (limit 94.52): 0.25 at the bid
	if !h.m.Position().Size.Equal(d("0.75")) {
		t.Fatalf("position %s, want 0.75 after the first part of the stop", h.m.Position().Size)
	}
	h.covered("after a partly filled stop")
	h.quote("94.8", "0.5", "95", "5")
	h.covered("after a second part")
	h.quote("94.7", "1", "95", "5")
	if h.m.Position().Size.IsPositive() || len(h.openSells()) != 0 {
		t.Fatalf("position %s, %d sells open; want flat", h.m.Position().Size, len(h.openSells()))
	}
	if got := h.m.exitCounts()[ReasonStopLoss]; got != 1 {
		t.Errorf("stop_loss exits counted %d, want 1 (one exit in three fills)", got)
	}
}

func TestPartiallyFilledMarketTakeProfitEndsItsLevel(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5"),
		TakeProfit: []TakeProfit{{Percent: d("2"), Close: d("0.5")}, {Percent: d("10"), Close: d("1")}}}, partialFills())
	h.tick("100")
	h.enter("1")
	h.quote("102", "0.2", "102.5", "5") // only 0.2 bid at the first target
	h.tick("102")
	if !h.m.Position().Size.Equal(d("0.8")) {
		t.Fatalf("position %s, want 0.8 after 0.2 of the first level sold", h.m.Position().Size)
	}
	h.covered("after a partly filled market take-profit")
	// Still above the level, with liquidity: the level is done, nothing
	// more is sold for it.
	h.quote("102.2", "5", "102.5", "5")
	h.tick("102.2")
	if !h.m.Position().Size.Equal(d("0.8")) {
		t.Fatalf("position %s: the first level sold again", h.m.Position().Size)
	}
	h.covered("after the level ended")
}

// A full exit whose market order sold all it asked, while an entry filled
// meanwhile, sells the rest at once: nothing shows the market short of
// liquidity, and the price is at or below the stop. (It once waited for
// the next tick, leaving the new entry unprotected below its stop.)
func TestFullExitSellsAnEntryFilledMeanwhileAtOnce(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("1")})
	h.tick("100")
	h.enter("0.1")
	h.orders.failFirst = placeAttempts
	h.tick("98.9") // through the stop at 99: every try of the market sell is lost on the way
	if mk := h.m.State().Market; mk == nil || !mk.Unsent || !mk.Size.Equal(d("0.1")) {
		t.Fatalf("market exit %+v, want 0.1 unsent; sent %v state %+v", mk, h.orders.sent, h.m.State())
	}
	h.enter("0.5") // fills while the exit waits to go again
	h.tick("98.8") // the exit goes again for its 0.1, then the rest at once
	if size := h.m.Position().Size; size.IsPositive() {
		t.Fatalf("a trade at 98.8 reached the stop 99 but %s is still held", size)
	}
	if got := h.m.exitCounts()[ReasonStopLoss]; got != 2 {
		t.Errorf("stop_loss exits counted %d, want 2 (the first exit and the rest)", got)
	}
}

// A market exit the venue cut short (its immediate-or-cancel found less
// than it asked) sends the rest on the next trade, or on the next idle
// pass when no trade comes, rather than at once into a market that has
// shown nothing more.
func TestCutShortExitSendsTheRestOnTheNextIdlePass(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("5")}, partialFills())
	h.tick("100")
	h.enter("1")
	h.quote("94", "0.3", "94.5", "5")
	h.tradeSized("94", "5") // through the stop at 95: 0.3 shown at the bid
	if !h.m.Position().Size.Equal(d("0.7")) {
		t.Fatalf("position %s, want 0.7 after the bid's 0.3", h.m.Position().Size)
	}
	if sent := len(h.orders.sent); sent != 1 {
		t.Fatalf("%d sells sent, want 1: the rest waits for the market to show more", sent)
	}
	// No tick for a second: the idle pass sends the rest (here the bid's
	// 0.3 is used up, so it finds nothing and waits again).
	h.clk.Set(h.clk.Now().Add(time.Second))
	h.m.OnIdle(h.ctx, h.clk.Now())
	h.drain()
	if sent := len(h.orders.sent); sent != 2 {
		t.Fatalf("%d sells sent after an idle pass, want 2: a silent feed must not hold the rest back", sent)
	}
	h.quote("93.9", "5", "94", "5") // a quote: the stop watches trades
	h.clk.Set(h.clk.Now().Add(time.Second))
	h.m.OnIdle(h.ctx, h.clk.Now())
	h.drain()
	if size := h.m.Position().Size; size.IsPositive() {
		t.Fatalf("%s still held after an idle pass with 5 bid", size)
	}
}

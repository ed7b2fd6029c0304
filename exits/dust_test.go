package exits

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
)

// sellsSent returns the sells the Manager sent to the venue, as "TYPE
// size".
func (h *harness) sellsSent() []string {
	var out []string
	for _, r := range h.orders.placed {
		if r.Side == exchange.Sell {
			out = append(out, string(r.Type)+" "+r.BaseSize.String())
		}
	}
	return out
}

// TestAStopWorthLessThanTheMinimumOrderIsWatchedNotSent: 0.015 BTC
// bought at 100 (worth 1.5, over the 1 USD minimum order value) with
// its stop 40 % under: the stop-limit would be worth 0.015 x 59.7 =
// 0.90 and the venue refuses it (exchange.Product.Dust), so the Manager
// sends none and the bot watches the stop. At the stop the position is
// worth 0.885: dust, which no order can sell. It stays in the position,
// and the exit says why instead of sending a sale the venue refuses.
// Until 2026-12-07 the exits judged dust by base_min_size alone: the
// stop-limit was sent and refused again after every update.min_interval.
func TestAStopWorthLessThanTheMinimumOrderIsWatchedNotSent(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("40")})
	var logs bytes.Buffer
	h.m.d.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h.tick("100")
	h.enter("0.015")
	for range 5 {
		h.tick("100")
	}
	if p := h.m.Protection(); !p.Watched || p.Resting || len(h.sellsSent()) != 0 {
		t.Fatalf("after the entry: protection %+v, sells sent %v; want the stop watched by the bot and nothing sent", p, h.sellsSent())
	}
	h.tick("59")
	h.tick("58.5")
	if logged := strings.Count(logs.String(), "position is dust"); logged != 1 {
		t.Fatalf("at the stop, twice: %d log lines say the position is dust, want 1 (once a minute):\n%s", logged, logs.String())
	}
	if sent := h.sellsSent(); len(sent) != 0 || !h.m.Position().Size.Equal(d("0.015")) {
		t.Fatalf("at the stop: sells sent %v, %s held; want none (worth 0.885 at 59) and the dust held", sent, h.m.Position().Size)
	}
	err := h.m.Close(h.ctx, ReasonSignal)
	if err == nil || !strings.Contains(err.Error(), "dust") || !strings.Contains(err.Error(), "quote_min_size 1 USD") {
		t.Fatalf("closing the dust: %v, want an error naming it dust and the minimums", err)
	}
}

// TestATakeProfitLevelLeavesNothingTheStopCannotSell: 0.02 BTC bought
// at 100, a first take-profit of half at 110, the stop 2 % under the
// entry, watched by the bot. Half would leave 0.01: worth 1.10 now but
// 0.975 at the stop's price, under the 1 USD minimum, so the stop could
// never sell it. The level sells everything instead, as it does when
// what stays is under base_min_size. Judged by base_min_size alone
// (until 2026-12-07), 0.01 stayed, unsellable at its stop.
func TestATakeProfitLevelLeavesNothingTheStopCannotSell(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2"),
		TakeProfit: []TakeProfit{{Percent: d("10"), Close: d("0.5")}, {Percent: d("20"), Close: d("1")}}})
	h.tick("100")
	h.enter("0.02")
	h.tick("110")
	if held := h.m.Position().Size; held.IsPositive() {
		t.Fatalf("after the first take-profit: %s held, sells sent %v; want all sold", held, h.sellsSent())
	}
	if sent := h.sellsSent(); len(sent) != 1 || sent[0] != "MARKET 0.02" {
		t.Fatalf("sells sent %v, want one market sale of 0.02", sent)
	}

	// Worth the minimum at the stop as well: the level sells its half.
	h = newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2"),
		TakeProfit: []TakeProfit{{Percent: d("10"), Close: d("0.5")}, {Percent: d("20"), Close: d("1")}}})
	h.tick("100")
	h.enter("0.03")
	h.tick("110")
	if held := h.m.Position().Size; !held.Equal(d("0.015")) {
		t.Fatalf("0.03 held, after the first take-profit: %s held, want 0.015", held)
	}
}

// TestManagerDustDecidesAsTheProductRule: what the Manager remembers of
// a position's size to answer Dust on every tick gives the answer of
// exchange.Product.Dust at the price a market sale is judged at, for any
// size and price: on the line (worth exactly quote_min_size) and a hair
// either side too, and again after the size changes.
func TestManagerDustDecidesAsTheProductRule(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2")})
	check := func(fail func(string, ...any), size, price decimal.Decimal) {
		h.m.s.Position.Size, h.m.mark = size, price
		if got, want := h.m.Dust(), size.IsPositive() && testProduct.Dust(size, price); got != want {
			fail("Dust with %s held at %s = %v, the product's rule %v", size, price, got, want)
		}
	}
	// 0.002 (minimum 0.001) is worth exactly 1 (the minimum value) at 500.
	for _, c := range [][2]string{{"0.002", "500"}, {"0.002", "499.99"}, {"0.002", "499.999999999999999999"}, {"0.002", "499.99999999"}, {"0.002", "500.000000001"}, {"0.002", "500.01"},
		{"0.0015", "666.67"}, {"0.0015", "666.66"}, {"0.0009", "100000"}, {"0.00199", "500"}, {"0", "500"}, {"0.002", "0"}} {
		check(t.Errorf, d(c[0]), d(c[1]))
	}
	rapid.Check(t, func(rt *rapid.T) {
		size := decimal.New(rapid.Int64Range(0, 100_000).Draw(rt, "size"), -int32(rapid.IntRange(3, 8).Draw(rt, "size_places")))
		for i := range 3 {
			price := decimal.New(rapid.Int64Range(0, 10_000_000).Draw(rt, fmt.Sprint("price", i)), -int32(rapid.IntRange(0, 20).Draw(rt, fmt.Sprint("price_places", i))))
			check(rt.Fatalf, size, price)
		}
	})
}

// TestANewPositionIsJudgedAtItsOwnPricesNotTheLastTrips: the trigger
// price (mark) was kept from the round trip before, since a flat Manager
// does not follow it, and a new position was judged at it until its first
// tick: 0.05 bought at 100 (worth 5) was dust at the last trip's 10
// (worth 0.5, under the 1 USD minimum), so a strategy that enters only
// when flat saw no position and could enter again, and a close was
// refused. A trip's end forgets its mark; the last trade judges until the
// new position's first tick.
func TestANewPositionIsJudgedAtItsOwnPricesNotTheLastTrips(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("5")})
	h.tick("10")
	h.enter("0.2")
	h.tick("10")
	if err := h.m.Close(h.ctx, ReasonSignal); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if held := h.m.Position().Size; held.IsPositive() {
		t.Fatalf("after the close: %s held, want flat", held)
	}
	h.tick("100")
	h.enter("0.05")
	if h.m.Dust() {
		t.Fatalf("0.05 bought at 100 is dust before its first tick, judged at the last trip's price")
	}
	if err := h.m.Close(h.ctx, ReasonSignal); err != nil {
		t.Fatalf("closing 0.05 bought at 100 before its first tick: %v", err)
	}
}

func withSlippage(bps string) harnessOpt {
	return func(_ *harness, c *sim.Config) { c.SlippageBps = d(bps) }
}

// TestAMarketSaleIsJudgedDustWhereTheVenueChecksIt: a market sale of a
// position near the quote_min_size line is judged dust exactly when the
// venue refuses it, with or without slippage, with the last trade above
// the bid (the bid holds) or below it (the trade took it): the exits
// judge a sale at the price it takes and the simulated exchange checks it
// there (salePrice). Until 2026-12-07 the exits judged it at the trigger
// price and the simulated exchange at its fill after slippage: 0.002
// worth 1.00002 at a trade of 500.01 was sent, refused at the bid of
// 499.99 (worth 0.99998), and sent again; so was 0.002 at a bid of 500
// with 25 bps of slippage (filled at 498.75, worth 0.9975).
func TestAMarketSaleIsJudgedDustWhereTheVenueChecksIt(t *testing.T) {
	check := func(t tb, slippage, bid, trade string) {
		h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("50")}, withSlippage(slippage), withBalance("BTC", "1"))
		h.tick("520")
		h.enter("0.002")
		h.quote(bid, "0", d(bid).Add(d("0.02")).String(), "0")
		h.tick(trade)
		// What the venue does with that sale now, from the balance beside
		// the position.
		_, venueErr := h.x.PlaceOrder(h.ctx, exchange.OrderRequest{ClientOrderID: "probe", ProductID: testProduct.ID,
			Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.002")})
		var rej *exchange.RejectError
		refused := errors.As(venueErr, &rej) && rej.Reason == exchange.ReasonQuoteSizeTooSmall
		if venueErr != nil && !refused {
			t.Fatalf("probe sale: %v", venueErr)
		}
		closeErr := h.m.Close(h.ctx, ReasonSignal)
		h.drain()
		sent := h.sellsSent()
		if refused {
			if len(sent) != 0 || closeErr == nil || !strings.Contains(closeErr.Error(), "dust") {
				t.Fatalf("slippage %s bps, bid %s, trade %s: the venue refuses the sale, yet the exits sent %v (close: %v); want it judged dust",
					slippage, bid, trade, sent, closeErr)
			}
			return
		}
		if closeErr != nil || len(sent) != 1 || h.m.Position().Size.IsPositive() {
			t.Fatalf("slippage %s bps, bid %s, trade %s: the venue takes the sale, yet close: %v, sent %v, %s held; want it sold once",
				slippage, bid, trade, closeErr, sent, h.m.Position().Size)
		}
	}
	for _, c := range [][3]string{
		{"0", "499.99", "500.01"}, {"0", "500", "500.01"}, {"0", "500.01", "499.99"}, {"0", "500.01", "500"},
		{"25", "500", "500.01"}, {"25", "499.99", "500"}, {"25", "500.5", "499.99"}, {"25", "500.5", "500"},
	} {
		check(t, c[0], c[1], c[2])
	}
	rapid.Check(t, func(rt *rapid.T) {
		bid := decimal.New(rapid.Int64Range(49_900, 50_100).Draw(rt, "bid_cents"), -2)
		trade := bid.Add(decimal.New(rapid.Int64Range(-5, 5).Draw(rt, "trade_from_bid_cents"), -2))
		check(rt, rapid.SampledFrom([]string{"0", "10", "25"}).Draw(rt, "slippage_bps"), bid.String(), trade.String())
	})
}

// TestADustPositionAtItsStopCostsNoAllocationATick: a stop the bot
// watches over dust is reached on every tick, and each tick's exit is
// refused as dust. The refusal is logged once a minute; its error is
// built once for the size and its logger only when a line is written, so
// that the ticks in between allocate nothing. Until 2026-12-07 each tick
// rounded the size, formatted the error and built a logger, to log at
// most one tick a minute.
func TestADustPositionAtItsStopCostsNoAllocationATick(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("40")})
	h.tick("100")
	h.enter("0.015")
	h.tick("58.5") // worth 0.8775 at the stop: dust, refused and logged
	at := h.clk.Now()
	tick := exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: at, Received: at, Price: d("58.5"), Size: d("1")}
	if err := h.m.Close(h.ctx, ReasonSignal); err == nil || !strings.Contains(err.Error(), "dust") {
		t.Fatalf("close: %v, want the dust refusal", err)
	}
	if allocs := testing.AllocsPerRun(100, func() { h.m.OnTick(h.ctx, &tick) }); allocs != 0 {
		t.Fatalf("a tick at the stop with the position dust allocates %v times, want 0", allocs)
	}
	if sent := h.sellsSent(); len(sent) != 0 {
		t.Fatalf("sells sent %v, want none for dust", sent)
	}
}

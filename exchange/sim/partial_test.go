package sim

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// newPartialHarness is newHarness with Config.PartialFills on: 10,000 USD,
// 1 BTC, Coinbase's entry fees, no slippage.
func newPartialHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessWith(t, Config{
		Products:     []exchange.Product{btcUSD},
		Balances:     map[string]decimal.Decimal{"USD": d("10000"), "BTC": d("1")},
		Fees:         DefaultFees(),
		PartialFills: true,
	})
}

// quoteSized sends a best bid and ask with the sizes shown at them.
func (h *harness) quoteSized(bid, bidSize, ask, askSize string) {
	h.x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.QuoteTick, Bid: d(bid), BidSize: d(bidSize), Ask: d(ask), AskSize: d(askSize)})
}

// tradeSized sends a trade of size at price.
func (h *harness) tradeSized(price, size string) {
	h.x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d(price), Size: d(size)})
}

// fillsOf returns order id's fills, oldest first.
func (h *harness) fillsOf(id string) []exchange.Fill {
	var out []exchange.Fill
	for _, f := range h.x.Fills() {
		if f.OrderID == id {
			out = append(out, f)
		}
	}
	return out
}

// wantState checks an order's status, filled size and number of fills.
func (h *harness) wantState(id string, status exchange.OrderStatus, filled string, fills int) exchange.Order {
	h.t.Helper()
	o := h.order(id)
	if o.Status != status || !o.FilledSize.Equal(d(filled)) || o.NumberOfFills != fills || len(h.fillsOf(id)) != fills {
		h.t.Fatalf("order %s = %s filled %s in %d fills (%d listed), want %s filled %s in %d", id, o.Status, o.FilledSize,
			o.NumberOfFills, len(h.fillsOf(id)), status, filled, fills)
	}
	return o
}

func TestPartialFillsRestingLimitFillsTheQuotedSizeEachTime(t *testing.T) {
	h := newPartialHarness(t)
	h.quoteSized("100.5", "1", "101", "1")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("100")})
	h.wantBalance("USD", "9949.7", "50.3") // 100 x 0.5 x 1.006

	h.quoteSized("99", "1", "100", "0.2") // 0.2 offered at our price
	o := h.wantState(buy.ID, exchange.StatusOpen, "0.2", 1)
	if !o.AverageFilledPrice.Equal(d("100")) {
		t.Errorf("average price = %s, want 100", o.AverageFilledPrice)
	}
	// The hold follows what is left: 100 x 0.3 x 1.006.
	h.wantBalance("USD", "9949.74", "30.18") // 20 + 0.08 fee spent

	h.quoteSized("99", "1", "99.5", "0.1") // through our price, 0.1 shown
	h.wantState(buy.ID, exchange.StatusOpen, "0.3", 2)
	h.quoteSized("99", "1", "99.5", "5")
	o = h.wantState(buy.ID, exchange.StatusFilled, "0.5", 3)
	for _, f := range h.fillsOf(buy.ID) {
		if f.Liquidity != exchange.Maker || !f.Price.Equal(d("100")) {
			t.Errorf("fill %s x %s %s, want maker at the limit 100", f.Size, f.Price, f.Liquidity)
		}
	}
	if !o.TotalFees.Equal(d("0.2")) || !o.FilledValue.Equal(d("50")) {
		t.Errorf("fees %s value %s, want 0.2 and 50", o.TotalFees, o.FilledValue)
	}
	h.wantBalance("USD", "9949.8", "0")
	h.wantBalance("BTC", "1.5", "0")
}

func TestPartialFillsTradeThroughFillsTheTradedSize(t *testing.T) {
	h := newPartialHarness(t)
	h.tradeSized("100", "1")
	sell := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("110")})
	h.tradeSized("110", "3") // at the limit: the queue ahead took it
	h.wantState(sell.ID, exchange.StatusOpen, "0", 0)
	h.tradeSized("110.5", "0.15")
	h.wantState(sell.ID, exchange.StatusOpen, "0.15", 1)
	h.wantBalance("BTC", "0.5", "0.35")
	h.tradeSized("111", "1")
	h.wantState(sell.ID, exchange.StatusFilled, "0.5", 2)
	h.wantBalance("BTC", "0.5", "0")
}

func TestPartialFillsMarketOrderTakesTheQuotedSizeAndCancelsTheRest(t *testing.T) {
	h := newPartialHarness(t)
	h.quoteSized("100", "2", "101", "0.3")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.5")})
	o := h.wantState(buy.ID, exchange.StatusCancelled, "0.3", 1)
	if f := h.fillsOf(buy.ID)[0]; !f.Price.Equal(d("101")) || f.Liquidity != exchange.Taker {
		t.Errorf("fill at %s %s, want taker at the ask 101", f.Price, f.Liquidity)
	}
	if !o.Remaining().Equal(d("0.2")) {
		t.Errorf("remaining = %s, want 0.2 (immediate-or-cancel: the rest is cancelled)", o.Remaining())
	}
	// The ask's size is used up until the next quote shows more.
	again := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")})
	h.wantState(again.ID, exchange.StatusCancelled, "0", 0)
	h.quoteSized("100", "2", "101", "0.3")
	third := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")})
	h.wantState(third.ID, exchange.StatusFilled, "0.1", 1)
	// A quote-sized buy is cut the same way.
	h.quoteSized("100", "2", "101", "0.05")
	q := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, QuoteSize: d("20.2")})
	h.wantState(q.ID, exchange.StatusCancelled, "0.05", 1)
	// Without sizes (a feed of candles) a market order fills whole.
	h.quote("100", "101")
	whole := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.7")})
	h.wantState(whole.ID, exchange.StatusFilled, "0.7", 1)
}

func TestPartialFillsMarketableLimitTakesThenRestsAndTakesAgain(t *testing.T) {
	h := newPartialHarness(t)
	h.quoteSized("100", "2", "101", "0.1")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.4"), LimitPrice: d("102")})
	h.wantState(buy.ID, exchange.StatusOpen, "0.1", 1)
	h.quoteSized("100", "2", "101.5", "0.2") // more shown: the rest goes on taking, at the ask
	h.wantState(buy.ID, exchange.StatusOpen, "0.3", 2)
	h.quoteSized("100", "2", "103", "5") // above the limit: it waits
	h.wantState(buy.ID, exchange.StatusOpen, "0.3", 2)
	h.quoteSized("100", "2", "101.8", "5")
	o := h.wantState(buy.ID, exchange.StatusFilled, "0.4", 3)
	fills := h.fillsOf(buy.ID)
	for i, want := range []string{"101", "101.5", "101.8"} {
		if f := fills[i]; !f.Price.Equal(d(want)) || f.Liquidity != exchange.Taker {
			t.Errorf("fill %d at %s %s, want taker at %s", i, f.Price, f.Liquidity, want)
		}
	}
	// (0.1 x 101 + 0.2 x 101.5 + 0.1 x 101.8) / 0.4
	if !o.AverageFilledPrice.Equal(d("101.45")) {
		t.Errorf("average price = %s, want 101.45", o.AverageFilledPrice)
	}
}

func TestPartialFillsImmediateOrCancelAndFillOrKill(t *testing.T) {
	h := newPartialHarness(t)
	h.quoteSized("100", "0.2", "101", "2")
	ioc := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, TimeInForce: exchange.ImmediateOrCancel,
		BaseSize: d("0.5"), LimitPrice: d("99")})
	h.wantState(ioc.ID, exchange.StatusCancelled, "0.2", 1)
	h.quoteSized("100", "0.2", "101", "2")
	fok := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, TimeInForce: exchange.FillOrKill,
		BaseSize: d("0.5"), LimitPrice: d("99")})
	h.wantState(fok.ID, exchange.StatusCancelled, "0", 0)
	fok2 := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, TimeInForce: exchange.FillOrKill,
		BaseSize: d("0.2"), LimitPrice: d("99")})
	h.wantState(fok2.ID, exchange.StatusFilled, "0.2", 1)
	h.wantBalance("BTC", "0.6", "0")
}

func TestPartialFillsBracketTakeProfitLeavesTheStopOnTheRest(t *testing.T) {
	h := newPartialHarness(t)
	h.tradeSized("100", "1")
	br := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("0.5"),
		LimitPrice: d("110"), StopPrice: d("95")})
	h.tradeSized("110.5", "0.2") // the take-profit fills 0.2
	o := h.wantState(br.ID, exchange.StatusOpen, "0.2", 1)
	if o.Triggered {
		t.Fatal("a partly filled take-profit must not end the stop")
	}
	h.wantBalance("BTC", "0.5", "0.3")
	h.quoteSized("94", "0.1", "94.5", "1")
	h.tradeSized("94", "1") // the stop fires on the rest: a limit at 90.25 taking the bid's 0.1
	o = h.wantState(br.ID, exchange.StatusOpen, "0.3", 2)
	if !o.Triggered {
		t.Fatal("the stop did not trigger")
	}
	if f := h.fillsOf(br.ID)[1]; !f.Price.Equal(d("94")) || f.Liquidity != exchange.Taker {
		t.Errorf("stop fill at %s %s, want taker at the bid 94", f.Price, f.Liquidity)
	}
	h.quoteSized("93", "1", "93.5", "1") // the rest keeps taking at the new bid
	h.wantState(br.ID, exchange.StatusFilled, "0.5", 3)
	h.wantBalance("BTC", "0.5", "0")
}

func TestPartialFillsStopLimitFillsInParts(t *testing.T) {
	h := newPartialHarness(t)
	h.tradeSized("100", "1")
	st := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, BaseSize: d("0.4"),
		StopPrice: d("95"), LimitPrice: d("94"), StopDirection: exchange.StopDown})
	h.quoteSized("94.8", "0.1", "95.2", "1")
	h.tradeSized("95", "1")
	h.wantState(st.ID, exchange.StatusOpen, "0.1", 1)
	h.quoteSized("93", "5", "93.5", "1") // below the limit: the rest waits at 94
	h.wantState(st.ID, exchange.StatusOpen, "0.1", 1)
	h.quoteSized("94.2", "5", "94.5", "1")
	h.wantState(st.ID, exchange.StatusFilled, "0.4", 2)
}

func TestPartialFillsStopTriggeredThroughAnOlderBidTakesTheTradedSizeAtTheTrade(t *testing.T) {
	h := newPartialHarness(t)
	h.tradeSized("100", "1")
	h.quoteSized("99.9", "5", "100.1", "5")
	st := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, BaseSize: d("0.4"),
		StopPrice: d("95"), LimitPrice: d("90"), StopDirection: exchange.StopDown})
	h.tradeSized("94", "0.1") // through the bid of 99.9: its 5 are gone, the trade shows 0.1 at 94
	h.wantState(st.ID, exchange.StatusOpen, "0.1", 1)
	if f := h.fillsOf(st.ID)[0]; !f.Price.Equal(d("94")) {
		t.Fatalf("filled at %s, want the trade's 94", f.Price)
	}
}

func TestPartialFillsAttachedBracketGrowsWithTheEntry(t *testing.T) {
	h := newPartialHarness(t)
	h.quoteSized("100", "1", "101", "1")
	h.tradeSized("100.5", "1")
	entry := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.3"), LimitPrice: d("99"),
		Attached: &exchange.AttachedBracket{LimitPrice: d("120"), StopTriggerPrice: d("90")}})
	h.quoteSized("98", "1", "99", "0.1")
	e := h.wantState(entry.ID, exchange.StatusOpen, "0.1", 1)
	if e.AttachedOrderID == "" {
		t.Fatal("no bracket after the first fill")
	}
	br := h.order(e.AttachedOrderID)
	if !br.BaseSize.Equal(d("0.1")) {
		t.Fatalf("bracket size = %s, want the 0.1 bought", br.BaseSize)
	}
	h.quoteSized("98", "1", "98.5", "0.2")
	h.wantState(entry.ID, exchange.StatusFilled, "0.3", 2)
	br = h.order(e.AttachedOrderID)
	if !br.BaseSize.Equal(d("0.3")) || br.Status != exchange.StatusOpen {
		t.Fatalf("bracket = %s size %s, want OPEN for all 0.3 bought", br.Status, br.BaseSize)
	}
	h.wantBalance("BTC", "1", "0.3")
}

func TestPartialFillsEditKeepsWhatFilled(t *testing.T) {
	h := newPartialHarness(t)
	h.quoteSized("100", "1", "101", "1")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("100")})
	h.quoteSized("99", "1", "100", "0.2")
	h.wantState(buy.ID, exchange.StatusOpen, "0.2", 1)
	for _, size := range []string{"0.1", "0.2"} {
		_, err := h.x.EditOrder(t.Context(), buy.ID, exchange.OrderEdit{BaseSize: d(size)})
		if ee, ok := err.(*EditError); !ok || ee.Reason != EditBelowFilledSize {
			t.Errorf("edit to %s with 0.2 filled: %v, want %s", size, err, EditBelowFilledSize)
		}
	}
	if _, err := h.x.EditOrder(t.Context(), buy.ID, exchange.OrderEdit{BaseSize: d("0.3"), LimitPrice: d("99")}); err != nil {
		t.Fatal(err)
	}
	h.wantBalance("USD", "9969.9606", "9.9594") // 0.1 left at 99, x 1.006
	h.quoteSized("98", "1", "99", "1")
	h.wantState(buy.ID, exchange.StatusFilled, "0.3", 2)
}

func TestWholeFillsIgnoreQuotedSizes(t *testing.T) {
	h := newHarness(t)
	h.quoteSized("100", "2", "101", "0.3")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.5")})
	h.wantState(buy.ID, exchange.StatusFilled, "0.5", 1)
}

package sim

import (
	"context"
	"errors"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

func TestMarketOrdersFillAtBestPriceWithTakerFee(t *testing.T) {
	tests := []struct {
		name     string
		slippage string
		market   func(h *harness)
		req      exchange.OrderRequest
		// hand-computed fill and balances after it
		price, size, fee string
		usd, btc         string
	}{
		{
			name:   "buy base size takes the ask",
			market: func(h *harness) { h.quote("99.90", "100.00") },
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.5")},
			// 100.00 * 0.5 = 50.00; fee 50.00 * 0.006 = 0.30
			price: "100.00", size: "0.5", fee: "0.3",
			usd: "9949.70", btc: "1.5",
		},
		{
			name:   "sell takes the bid",
			market: func(h *harness) { h.quote("99.90", "100.00") },
			req:    exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.5")},
			// 99.90 * 0.5 = 49.95; fee 0.2997; receives 49.6503
			price: "99.90", size: "0.5", fee: "0.2997",
			usd: "10049.6503", btc: "0.5",
		},
		{
			name:   "a sell after a trade through the bid takes the trade, not the bid it passed",
			market: func(h *harness) { h.quote("99.90", "100.00"); h.trade("98.00") },
			req:    exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.5")},
			// 98.00 * 0.5 = 49.00; fee 0.294; receives 48.706
			price: "98.00", size: "0.5", fee: "0.294",
			usd: "10048.706", btc: "0.5",
		},
		{
			name:   "a trade above the bid leaves the bid in force",
			market: func(h *harness) { h.quote("99.90", "100.00"); h.trade("99.95") },
			req:    exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.5")},
			price:  "99.90", size: "0.5", fee: "0.2997",
			usd: "10049.6503", btc: "0.5",
		},
		{
			name:   "without a quote the last trade is the price",
			market: func(h *harness) { h.trade("101.00") },
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.2")},
			// 101 * 0.2 = 20.20; fee 0.1212
			price: "101.00", size: "0.2", fee: "0.1212",
			usd: "9979.6788", btc: "1.2",
		},
		{
			name:     "buy slippage rounds the price up",
			slippage: "25",
			market:   func(h *harness) { h.quote("99.99", "100.01") },
			req:      exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("1")},
			// 100.01 * 1.0025 = 100.260025 -> 100.27; fee 0.60162
			price: "100.27", size: "1", fee: "0.60162",
			usd: "9899.12838", btc: "2",
		},
		{
			name:     "sell slippage rounds the price down",
			slippage: "25",
			market:   func(h *harness) { h.quote("99.99", "100.01") },
			req:      exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("1")},
			// 99.99 * 0.9975 = 99.740025 -> 99.74; fee 0.59844
			price: "99.74", size: "1", fee: "0.59844",
			usd: "10099.14156", btc: "0",
		},
		{
			name:   "buy by quote size rounds the base down",
			market: func(h *harness) { h.quote("29.99", "30.00") },
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, QuoteSize: d("100.00")},
			// 100 / 30 = 3.333.. -> 3.333; 3.333 * 30 = 99.99; fee 0.59994
			price: "30.00", size: "3.333", fee: "0.59994",
			usd: "9899.41006", btc: "4.333",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.slippage)
			tt.market(h)
			o := h.mustPlace(tt.req)
			if o.Status != exchange.StatusFilled {
				t.Fatalf("status = %s, want FILLED", o.Status)
			}
			h.wantFill(o.ID, tt.price, tt.size, tt.fee, exchange.Taker)
			h.wantBalance("USD", tt.usd, "0")
			h.wantBalance("BTC", tt.btc, "0")
		})
	}
}

func TestMarketOrderRejections(t *testing.T) {
	tests := []struct {
		name   string
		market func(h *harness)
		req    exchange.OrderRequest
		reason string
	}{
		{"nothing known about the market", func(*harness) {},
			exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")}, exchange.ReasonNoLiquidity},
		{"buy beyond the quote balance with fee", func(h *harness) { h.quote("99", "100") },
			// 100 * 100 = 10000 plus 60 fee > 10000
			exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("100")}, exchange.ReasonInsufficientFund},
		{"sell beyond the base balance", func(h *harness) { h.quote("99", "100") },
			exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("1.001")}, exchange.ReasonInsufficientFund},
		{"unknown product", func(*harness) {},
			exchange.OrderRequest{ProductID: "ETH-USD", Side: exchange.Buy, Type: exchange.Market, BaseSize: d("1")}, exchange.ReasonInvalidProductID},
		{"size off the base increment", func(h *harness) { h.quote("99", "100") },
			exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.0015")}, exchange.ReasonInvalidSizePrecision},
		{"quote sell", func(h *harness) { h.quote("99", "100") },
			exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, QuoteSize: d("10")}, exchange.ReasonUnsupportedConfig},
		{"quote size buys less than the base minimum", func(h *harness) { h.quote("9999", "10000") },
			// 1.00 / 10000 = 0.0001 -> 0.000 BTC
			exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, QuoteSize: d("1.00")}, exchange.ReasonQuoteSizeTooSmall},
		{"attached bracket on a sell", func(h *harness) { h.quote("99", "100") },
			exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.1"),
				Attached: &exchange.AttachedBracket{LimitPrice: d("110"), StopTriggerPrice: d("90")}}, exchange.ReasonBracketSide},
		{"missing client order id", func(h *harness) { h.quote("99", "100") },
			exchange.OrderRequest{ClientOrderID: "", Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")}, exchange.ReasonInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.market(h)
			req := tt.req
			if req.ProductID == "" {
				req.ProductID = btcUSD.ID
			}
			if tt.reason != exchange.ReasonInvalidRequest {
				req.ClientOrderID = "c1"
			}
			_, err := h.x.PlaceOrder(t.Context(), req)
			wantReject(t, err, tt.reason)
			if n := len(h.x.Orders()); n != 0 {
				t.Errorf("a rejected order was stored: %d orders", n)
			}
			if len(h.events) != 0 {
				t.Errorf("a rejected order was reported: %+v", h.events)
			}
			h.wantBalance("USD", "10000", "0")
			h.wantBalance("BTC", "1", "0")
		})
	}
}

func TestClientOrderIDIsIdempotent(t *testing.T) {
	h := newHarness(t)
	h.quote("99.00", "100.00")
	req := exchange.OrderRequest{ClientOrderID: "entry-1", Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")}
	first := h.mustPlace(req)
	// A retry, even with other fields, returns the first order.
	req.BaseSize = d("0.2")
	second := h.mustPlace(req)
	if second.ID != first.ID || !second.FilledSize.Equal(d("0.1")) {
		t.Fatalf("retry returned %s size %s, want the first order %s of 0.1", second.ID, second.FilledSize, first.ID)
	}
	if n := h.x.PlaceCount("entry-1"); n != 1 {
		t.Fatalf("PlaceCount = %d, want 1", n)
	}
	if n := len(h.x.Fills()); n != 1 {
		t.Fatalf("%d fills, want 1", n)
	}
	got, err := h.x.OrderByClientID(t.Context(), "entry-1")
	if err != nil || got.ID != first.ID {
		t.Fatalf("OrderByClientID = %s, %v; want %s", got.ID, err, first.ID)
	}
}

func TestRejectedClientOrderIDCanBeRetried(t *testing.T) {
	h := newHarness(t)
	req := exchange.OrderRequest{ClientOrderID: "entry-1", Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")}
	_, err := h.place(req)
	wantReject(t, err, exchange.ReasonNoLiquidity)
	if n := h.x.PlaceCount("entry-1"); n != 0 {
		t.Fatalf("PlaceCount after reject = %d, want 0", n)
	}
	h.trade("100")
	if o := h.mustPlace(req); o.Status != exchange.StatusFilled {
		t.Fatalf("retry status %s, want FILLED", o.Status)
	}
}

func TestOrderIDsAreDeterministic(t *testing.T) {
	run := func() []exchange.Order {
		h := newHarness(t)
		h.trade("100")
		h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("99")})
		h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1"),
			Attached: &exchange.AttachedBracket{LimitPrice: d("110"), StopTriggerPrice: d("90")}})
		h.trade("98")
		return h.x.Orders()
	}
	a, b := run(), run()
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("got %d and %d orders, want 3", len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID || !a[i].UpdatedAt.Equal(b[i].UpdatedAt) {
			t.Errorf("order %d: %s at %s vs %s at %s", i, a[i].ID, a[i].UpdatedAt, b[i].ID, b[i].UpdatedAt)
		}
	}
	if a[0].ID != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("first id = %s", a[0].ID)
	}
}

func TestCancelledContextPlacesNothing(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := h.x.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "c", ProductID: btcUSD.ID, Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")})
	var rej *exchange.RejectError
	if err == nil || errors.As(err, &rej) {
		t.Fatalf("error = %v, want the context's error, not a rejection", err)
	}
	if h.x.PlaceCount("c") != 0 {
		t.Fatal("an order was placed with a cancelled context")
	}
}

// TestOrdersWorthLessThanTheQuoteMinimumAreRefused: Coinbase bounds an
// order's worth by quote_min_size as well as its size by base_min_size.
// A limit is worth its size at its limit price; a market sell sized in
// base at the price it would take, so it passes or not with the market
// (exchange.Product.Dust, the rule the exits sell by).
func TestOrdersWorthLessThanTheQuoteMinimumAreRefused(t *testing.T) {
	h := newHarness(t)
	h.quote("499.99", "500.01")
	_, err := h.place(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.001")})
	wantReject(t, err, exchange.ReasonQuoteSizeTooSmall)
	_, err = h.place(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.001"), LimitPrice: d("999.99")})
	wantReject(t, err, exchange.ReasonQuoteSizeTooSmall)
	h.wantBalance("BTC", "1", "0")

	h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.001"), LimitPrice: d("1000")})
	h.quote("999.99", "1000.01")
	_, err = h.place(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.001")})
	wantReject(t, err, exchange.ReasonQuoteSizeTooSmall) // 0.999 at the bid
	h.quote("1000", "1000.02")
	if o := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.001")}); o.Status != exchange.StatusFilled {
		t.Fatalf("a market sell worth 1 at the bid: %s, want FILLED", o.Status)
	}
}

// TestAMarketSellIsCheckedAtTheBidNotAtItsSlippedFill: a sale worth
// quote_min_size at the bid is taken, although the slippage fills it
// below: the venue checks an order as it arrives, at the price the market
// offers, which is where the exits judge it (exits' salePrice). Checked at
// its fill, 0.001 at 1000 less 25 bps (0.9975) was refused, and the exits,
// which had judged it sellable, sent it again.
func TestAMarketSellIsCheckedAtTheBidNotAtItsSlippedFill(t *testing.T) {
	h := newHarness(t, "25")
	h.quote("1000", "1000.02")
	o := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.001")})
	// 1000 * 0.9975 = 997.50; worth 0.9975, fee 0.005985
	h.wantFill(o.ID, "997.50", "0.001", "0.005985", exchange.Taker)
	h.quote("999.99", "1000.02")
	_, err := h.place(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.001")})
	wantReject(t, err, exchange.ReasonQuoteSizeTooSmall) // 0.99999 at the bid
}

// TestOrdersWorthMoreThanTheQuoteMaximumAreRefused: Coinbase bounds an
// order's worth by quote_max_size too: a limit at its limit price, a
// market order sized in base at the price it takes (before slippage),
// one sized in quote by its quote size. Each is refused with Coinbase's
// reason, before the funds are looked at.
func TestOrdersWorthMoreThanTheQuoteMaximumAreRefused(t *testing.T) {
	h := newHarness(t, "25")
	h.quote("10000.01", "10000.02") // btcUSD: base_max_size 1000, quote_max_size 10,000,000
	for _, req := range []exchange.OrderRequest{
		{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("1000"), LimitPrice: d("10000.01")},
		{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("1000")},
		{Side: exchange.Buy, Type: exchange.Market, QuoteSize: d("10000000.01")},
	} {
		_, err := h.place(req)
		wantReject(t, err, exchange.ReasonQuoteSizeTooLarge)
	}
	// At the maximum it is the funds that are short.
	h.quote("10000", "10000.02")
	_, err := h.place(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("1000")})
	wantReject(t, err, exchange.ReasonInsufficientFund)
	h.wantBalance("BTC", "1", "0")
}

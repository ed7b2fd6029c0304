package exchange

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

var d = decimal.RequireFromString

// btcUSD has Coinbase's real BTC-USD increments.
var btcUSD = Product{ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD",
	BaseIncrement: d("0.00000001"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.01"),
	BaseMinSize: d("0.000016"), BaseMaxSize: d("2600"), QuoteMinSize: d("1"), QuoteMaxSize: d("50000000")}

func TestRoundingGoesInTheSafeDirection(t *testing.T) {
	tests := []struct {
		name string
		got  decimal.Decimal
		want string
	}{
		{"size rounds down, never buying or selling more than decided", btcUSD.RoundSize(d("0.123456789")), "0.12345678"},
		{"size already on the grid is kept", btcUSD.RoundSize(d("0.00000002")), "0.00000002"},
		{"quote size rounds down", btcUSD.RoundQuoteSize(d("100.019")), "100.01"},
		{"buy limit rounds down: never pays more", btcUSD.RoundLimit(Buy, d("60000.019")), "60000.01"},
		{"sell limit rounds up: never sells for less", btcUSD.RoundLimit(Sell, d("60000.011")), "60000.02"},
		{"a long's stop (a sell) rounds up: never a wider loss", btcUSD.RoundStop(Sell, d("59400.001")), "59400.01"},
		{"a buy stop rounds down", btcUSD.RoundStop(Buy, d("59400.009")), "59400"},
		{"price on the grid is kept", btcUSD.RoundPriceUp(d("59400.01")), "59400.01"},
	}
	for _, tt := range tests {
		if !tt.got.Equal(d(tt.want)) {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestRoundingFallsBackToQuoteIncrementForOlderProducts(t *testing.T) {
	p := btcUSD
	p.PriceIncrement = decimal.Zero
	p.QuoteIncrement = d("0.5")
	if got := p.RoundPriceDown(d("100.7")); !got.Equal(d("100.5")) {
		t.Errorf("RoundPriceDown = %s, want 100.5 (quote_increment is the tick when price_increment is absent)", got)
	}
}

func TestValidateRejectsWithCoinbasesReasons(t *testing.T) {
	limit := func(size, price string) OrderRequest {
		return OrderRequest{ClientOrderID: "c", ProductID: "BTC-USD", Side: Buy, Type: Limit, BaseSize: d(size), LimitPrice: d(price)}
	}
	tests := []struct {
		name   string
		req    OrderRequest
		reason string
	}{
		{"valid limit", limit("0.001", "60000.01"), ""},
		{"size off the base increment", limit("0.000000015", "60000"), ReasonInvalidSizePrecision},
		{"price off the tick", limit("0.001", "60000.001"), ReasonInvalidPricePrecision},
		{"one increment below the minimum", limit("0.00001599", "60000"), ReasonBaseSizeTooSmall},
		{"at the minimum", limit("0.000016", "62500"), ""},
		{"at the base minimum, worth less than the quote minimum", limit("0.000016", "60000"), ReasonQuoteSizeTooSmall},
		{"a stop-limit is worth its limit price", OrderRequest{ProductID: "BTC-USD", Side: Sell, Type: StopLimit,
			BaseSize: d("0.00002"), StopPrice: d("50000.01"), LimitPrice: d("49999.99")}, ReasonQuoteSizeTooSmall},
		{"a market sell's worth is the venue's to check when it fills", OrderRequest{ProductID: "BTC-USD", Side: Sell, Type: Market,
			BaseSize: d("0.000016")}, ""},
		{"above the maximum", limit("2600.00000001", "60000"), ReasonBaseSizeTooLarge},
		{"worth quote_max_size at its limit", limit("2500", "20000"), ""},
		{"worth more than quote_max_size at its limit", limit("2500", "20000.01"), ReasonQuoteSizeTooLarge},
		{"a bracket worth more than quote_max_size at its take-profit", OrderRequest{ProductID: "BTC-USD", Side: Sell, Type: Bracket,
			BaseSize: d("1000"), LimitPrice: d("50000.01"), StopPrice: d("40000")}, ReasonQuoteSizeTooLarge},
		{"quote above the maximum", OrderRequest{ProductID: "BTC-USD", Side: Buy, Type: Market, QuoteSize: d("50000000.01")}, ReasonQuoteSizeTooLarge},
		{"market sell by quote", OrderRequest{ProductID: "BTC-USD", Side: Sell, Type: Market, QuoteSize: d("10")}, ReasonUnsupportedConfig},
		{"market buy by quote", OrderRequest{ProductID: "BTC-USD", Side: Buy, Type: Market, QuoteSize: d("10")}, ""},
		{"quote below minimum", OrderRequest{ProductID: "BTC-USD", Side: Buy, Type: Market, QuoteSize: d("0.99")}, ReasonQuoteSizeTooSmall},
		{"market with both sizes", OrderRequest{ProductID: "BTC-USD", Side: Buy, Type: Market, QuoteSize: d("10"), BaseSize: d("0.001")}, ReasonUnsupportedConfig},
		{"bracket buy", OrderRequest{ProductID: "BTC-USD", Side: Buy, Type: Bracket, BaseSize: d("0.001"), LimitPrice: d("61000"), StopPrice: d("59000")}, ReasonBracketSide},
		{"bracket with target under stop", OrderRequest{ProductID: "BTC-USD", Side: Sell, Type: Bracket, BaseSize: d("0.001"), LimitPrice: d("59000"), StopPrice: d("61000")}, ReasonInvalidBracketPrices},
		{"stop-limit without stop", OrderRequest{ProductID: "BTC-USD", Side: Sell, Type: StopLimit, BaseSize: d("0.001"), LimitPrice: d("59000")}, ReasonInvalidLimitPrice},
		{"wrong product", OrderRequest{ProductID: "ETH-USD", Side: Buy, Type: Market, QuoteSize: d("10")}, ReasonInvalidProductID},
		{"bad side", OrderRequest{ProductID: "BTC-USD", Side: "HOLD", Type: Market, QuoteSize: d("10")}, ReasonInvalidSide},
	}
	for _, tt := range tests {
		err := btcUSD.Validate(tt.req)
		var rej *RejectError
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("%s: unexpected %v", tt.name, err)
		case tt.reason != "" && (!errors.As(err, &rej) || rej.Reason != tt.reason):
			t.Errorf("%s: got %v, want reason %s", tt.name, err, tt.reason)
		}
	}
}

func TestDisabledProductsAcceptNothing(t *testing.T) {
	p := btcUSD
	p.CancelOnly = true
	err := p.Validate(OrderRequest{ProductID: "BTC-USD", Side: Buy, Type: Market, QuoteSize: d("10")})
	var rej *RejectError
	if !errors.As(err, &rej) || rej.Reason != ReasonOrderEntryDisabled {
		t.Fatalf("cancel-only product: %v", err)
	}
}

func TestStatusTerminal(t *testing.T) {
	for s, want := range map[OrderStatus]bool{StatusOpen: false, StatusPending: false, StatusCancelQueued: false,
		StatusFilled: true, StatusCancelled: true, StatusExpired: true, StatusFailed: true} {
		if s.Terminal() != want {
			t.Errorf("%s.Terminal() = %v", s, !want)
		}
	}
}

package sim

import (
	"context"
	"errors"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

func TestEditOrder(t *testing.T) {
	limit := exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("99")}
	tests := []struct {
		name   string
		before []step
		req    exchange.OrderRequest
		prep   func(h *harness, id string) // runs between placing and editing
		edit   exchange.OrderEdit
		reason string // "" when the edit is accepted
		check  func(h *harness, o exchange.Order)
	}{
		{
			name: "limit price and size change and the hold follows",
			req:  limit,
			edit: exchange.OrderEdit{LimitPrice: d("98"), BaseSize: d("1")},
			check: func(h *harness, o exchange.Order) {
				if !o.LimitPrice.Equal(d("98")) || !o.BaseSize.Equal(d("1")) || o.Status != exchange.StatusOpen {
					h.t.Fatalf("edited order = %s %s x %s", o.Status, o.BaseSize, o.LimitPrice)
				}
				// 98 * 1 * 1.006 = 98.588
				h.wantBalance("USD", "9901.412", "98.588")
				h.trade("98.50") // would have filled the old price
				h.wantNoFill(o.ID)
				h.trade("97.99")
				h.wantFill(o.ID, "98", "1", "0.392", exchange.Maker)
			},
		},
		{
			name: "limit edited across the market takes liquidity",
			req:  limit,
			edit: exchange.OrderEdit{LimitPrice: d("101")},
			check: func(h *harness, o exchange.Order) {
				h.wantFill(o.ID, "100", "0.5", "0.3", exchange.Taker)
				h.wantBalance("USD", "9949.7", "0")
			},
		},
		{
			name: "bracket stop moves up (break-even) and holds the same base",
			req:  exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("1"), LimitPrice: d("110"), StopPrice: d("90")},
			edit: exchange.OrderEdit{StopPrice: d("99")},
			check: func(h *harness, o exchange.Order) {
				h.wantBalance("BTC", "0", "1")
				h.trade("99.50")
				if h.order(o.ID).Triggered {
					h.t.Fatal("triggered above the new stop")
				}
				h.trade("99")
				// limit 99 * 0.95 = 94.05; takes the last trade 99
				h.wantFill(o.ID, "99", "1", "0.594", exchange.Taker)
			},
		},
		{
			name: "stop-limit stop and limit change",
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95"), LimitPrice: d("94")},
			edit: exchange.OrderEdit{StopPrice: d("97"), LimitPrice: d("96")},
			check: func(h *harness, o exchange.Order) {
				h.quote("95", "95.10")
				h.trade("97")
				if o = h.order(o.ID); !o.Triggered || o.Status != exchange.StatusOpen {
					h.t.Fatalf("after trade at the new stop: %s triggered %v", o.Status, o.Triggered)
				}
			},
		},
		{name: "unknown order", req: limit, prep: func(*harness, string) {}, edit: exchange.OrderEdit{LimitPrice: d("98")}, reason: EditOrderNotFound},
		{name: "filled order", req: exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")},
			edit: exchange.OrderEdit{BaseSize: d("0.2")}, reason: EditOnlyOpenOrders},
		{name: "cancelled order", req: limit, prep: func(h *harness, id string) { _ = h.x.CancelOrder(context.Background(), id) },
			edit: exchange.OrderEdit{LimitPrice: d("98")}, reason: EditOnlyOpenOrders},
		{name: "good-til-date limit", req: exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, TimeInForce: exchange.GoodTilDate,
			EndTime: t0.Add(3600e9), BaseSize: d("0.5"), LimitPrice: d("99")}, edit: exchange.OrderEdit{LimitPrice: d("98")}, reason: EditOnlyLimitOrders},
		{name: "triggered stop-limit", before: []step{{bid: "90", ask: "90.10"}},
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95"), LimitPrice: d("94")},
			prep: func(h *harness, _ string) { h.trade("95") }, edit: exchange.OrderEdit{LimitPrice: d("93")}, reason: EditOnlyLimitOrders},
		{name: "stop price on a limit", req: limit, edit: exchange.OrderEdit{StopPrice: d("98")}, reason: EditInvalidPrice},
		{name: "price off the tick", req: limit, edit: exchange.OrderEdit{LimitPrice: d("98.001")}, reason: EditInvalidPrice},
		{name: "size off the increment", req: limit, edit: exchange.OrderEdit{BaseSize: d("0.0005")}, reason: EditInvalidSize},
		{name: "negative size", req: limit, edit: exchange.OrderEdit{BaseSize: d("-1")}, reason: EditInvalidSize},
		// Out of the product's bounds: the preview's reason, as Coinbase's
		// edit answer carries it (INVALID_EDITED_PRICE until 2026-12-07
		// for a worth under quote_min_size).
		{name: "size worth less than the quote minimum", req: limit, edit: exchange.OrderEdit{BaseSize: d("0.01")}, reason: EditQuoteSizeTooSmall},
		{name: "price making it worth less than the quote minimum", req: limit, edit: exchange.OrderEdit{LimitPrice: d("1.99")}, reason: EditQuoteSizeTooSmall},
		{name: "size over the base maximum", req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("101")},
			edit: exchange.OrderEdit{BaseSize: d("1000.001")}, reason: EditBaseSizeTooLarge},
		{name: "nothing changes", req: limit, edit: exchange.OrderEdit{LimitPrice: d("99.00")}, reason: EditEqualToOriginal},
		{name: "more than the funds", req: limit, edit: exchange.OrderEdit{BaseSize: d("101")}, reason: EditInsufficientFund},
		{name: "post-only across the market", req: exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, PostOnly: true,
			BaseSize: d("0.5"), LimitPrice: d("99")}, edit: exchange.OrderEdit{LimitPrice: d("100")}, reason: EditPostOnlyWouldCross},
		{name: "bracket stop above the last trade",
			req:  exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("1"), LimitPrice: d("110"), StopPrice: d("90")},
			edit: exchange.OrderEdit{StopPrice: d("100")}, reason: EditStopAboveLastTrade},
		{name: "bracket take-profit below its stop",
			req:  exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("1"), LimitPrice: d("110"), StopPrice: d("90")},
			edit: exchange.OrderEdit{LimitPrice: d("89")}, reason: EditInvalidPrice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.trade("100")
			h.run(tt.before)
			o := h.mustPlace(tt.req)
			id := o.ID
			if tt.prep != nil {
				tt.prep(h, id)
				if tt.reason == EditOrderNotFound {
					id = "no-such-order"
				}
			}
			beforeUSD, beforeBTC := h.balance("USD"), h.balance("BTC")
			got, err := h.x.EditOrder(t.Context(), id, tt.edit)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("EditOrder: %v", err)
				}
				tt.check(h, got)
				return
			}
			var ee *EditError
			if !errors.As(err, &ee) || ee.Reason != tt.reason {
				t.Fatalf("EditOrder error = %v, want %s", err, tt.reason)
			}
			if tt.reason == EditOrderNotFound && !errors.Is(err, exchange.ErrOrderNotFound) {
				t.Errorf("ORDER_NOT_FOUND does not match exchange.ErrOrderNotFound")
			}
			if a, b := h.balance("USD"), h.balance("BTC"); !sameBalance(a, beforeUSD) || !sameBalance(b, beforeBTC) {
				t.Errorf("a refused edit moved funds: %+v %+v", a, b)
			}
		})
	}
}

func sameBalance(a, b exchange.Balance) bool {
	return a.Currency == b.Currency && a.Available.Equal(b.Available) && a.Hold.Equal(b.Hold)
}

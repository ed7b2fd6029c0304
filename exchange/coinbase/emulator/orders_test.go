package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

func TestClientPlacesAndFillsOrders(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		req        exchange.OrderRequest
		after      func(v *env) // market moves after placing
		wantStatus exchange.OrderStatus
		wantPrice  string
		wantLiq    exchange.Liquidity
	}{
		{
			name:       "market buy takes the ask",
			req:        exchange.OrderRequest{Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.01")},
			wantStatus: exchange.StatusFilled, wantPrice: "50001", wantLiq: exchange.Taker,
		},
		{
			name:       "quote-sized market buy",
			req:        exchange.OrderRequest{Type: exchange.Market, Side: exchange.Buy, QuoteSize: d("100")},
			wantStatus: exchange.StatusFilled, wantPrice: "50001", wantLiq: exchange.Taker,
		},
		{
			name:       "resting limit buy fills as maker when a trade goes through it",
			req:        exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49900")},
			after:      func(v *env) { v.trade("49899.99") },
			wantStatus: exchange.StatusFilled, wantPrice: "49900", wantLiq: exchange.Maker,
		},
		{
			name:       "limit buy below the market rests open",
			req:        exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49000")},
			wantStatus: exchange.StatusOpen,
		},
		{
			name: "good-til-date limit rests with its end time",
			req: exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, TimeInForce: exchange.GoodTilDate,
				EndTime: time.Now().Add(time.Hour).Truncate(time.Second), BaseSize: d("0.01"), LimitPrice: d("49000")},
			wantStatus: exchange.StatusOpen,
		},
		{
			name: "limit IOC takes the ask",
			req: exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, TimeInForce: exchange.ImmediateOrCancel,
				BaseSize: d("0.01"), LimitPrice: d("50100")},
			wantStatus: exchange.StatusFilled, wantPrice: "50001", wantLiq: exchange.Taker,
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := startEnv(t, config{})
			v.market("50000", "50001", "50000.5")
			tc.req.ProductID = "BTC-USD"
			tc.req.ClientOrderID = fmt.Sprintf("place-%d", i)
			placed, err := v.client.PlaceOrder(ctx, tc.req)
			if err != nil {
				t.Fatalf("PlaceOrder: %v", err)
			}
			if tc.after != nil {
				tc.after(v)
			}
			got, err := v.client.Order(ctx, placed.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus || got.ClientOrderID != tc.req.ClientOrderID {
				t.Fatalf("order %+v: status %s, client id %q; want %s, %q", got, got.Status, got.ClientOrderID, tc.wantStatus, tc.req.ClientOrderID)
			}
			if !tc.req.EndTime.IsZero() && !got.EndTime.Equal(tc.req.EndTime) {
				t.Errorf("end time %v, want %v", got.EndTime, tc.req.EndTime)
			}
			fills, err := v.client.FillsSince(ctx, time.Now().Add(-time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantStatus != exchange.StatusFilled {
				if len(fills) != 0 {
					t.Fatalf("fills %+v, want none", fills)
				}
				return
			}
			if len(fills) != 1 || !fills[0].Price.Equal(d(tc.wantPrice)) || fills[0].Liquidity != tc.wantLiq || fills[0].OrderID != placed.ID {
				t.Fatalf("fills %+v, want one %s fill at %s", fills, tc.wantLiq, tc.wantPrice)
			}
			// A quote-sized buy's fill comes in quote (size_in_quote); the
			// client's conversion must give back the base size exactly.
			if !fills[0].Size.Equal(got.FilledSize) || !got.FilledSize.IsPositive() {
				t.Errorf("fill size %s, order filled size %s", fills[0].Size, got.FilledSize)
			}
			raw, err := v.client.ListFills(ctx, coinbase.FillFilter{OrderIDs: []string{placed.ID}})
			if err != nil || len(raw) != 1 || raw[0].SizeInQuote != tc.req.QuoteSize.IsPositive() {
				t.Errorf("REST fills %+v, %v; want size_in_quote %v", raw, err, tc.req.QuoteSize.IsPositive())
			}
			if !got.AverageFilledPrice.Equal(d(tc.wantPrice)) || !got.TotalFees.Equal(fills[0].Fee) {
				t.Errorf("order average %s fees %s, fill %s fee %s", got.AverageFilledPrice, got.TotalFees, fills[0].Price, fills[0].Fee)
			}
		})
	}
}

func TestBusinessRejectsAreHTTP200WithReason(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		req    exchange.OrderRequest
		reason string
	}{
		{"insufficient funds", exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("1"), LimitPrice: d("49000")}, "INSUFFICIENT_FUND"},
		{"size precision", exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.000000001"), LimitPrice: d("49000")}, "INVALID_SIZE_PRECISION"},
		{"price precision", exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49000.001")}, "INVALID_PRICE_PRECISION"},
		{"post-only crossing", exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("50001"), PostOnly: true}, "INVALID_LIMIT_PRICE_POST_ONLY"},
		{"stop already passed", exchange.OrderRequest{Type: exchange.StopLimit, Side: exchange.Sell, BaseSize: d("0.01"), StopPrice: d("50100"), LimitPrice: d("50000")}, "STOP_PRICE_ABOVE_LAST_TRADE_PRICE"},
		{"unknown product", exchange.OrderRequest{ProductID: "DOGE-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("1")}, "INVALID_PRODUCT_ID"},
		// quote_max_size 50,000,000: checked before the funds.
		{"limit worth more than quote_max_size", exchange.OrderRequest{Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("1001"), LimitPrice: d("49999.99")}, "INVALID_QUOTE_SIZE_TOO_LARGE"},
		{"market sale worth more than quote_max_size at the bid", exchange.OrderRequest{Type: exchange.Market, Side: exchange.Sell, BaseSize: d("1001")}, "INVALID_QUOTE_SIZE_TOO_LARGE"},
		{"market buy worth less than quote_min_size at the ask", exchange.OrderRequest{Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.00001")}, "INVALID_QUOTE_SIZE_TOO_SMALL"},
	}
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "seed", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.05")}); err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.ProductID == "" {
				tc.req.ProductID = "BTC-USD"
			}
			tc.req.ClientOrderID = fmt.Sprintf("reject-%d", i)
			_, err := v.client.PlaceOrder(ctx, tc.req)
			var rej *exchange.RejectError
			if !errors.As(err, &rej) || rej.Reason != tc.reason {
				t.Fatalf("PlaceOrder error %v, want a reject with %s", err, tc.reason)
			}
			if n := v.e.OrdersWithClientID(tc.req.ClientOrderID); n != 0 {
				t.Errorf("%d orders exist after a reject", n)
			}
		})
	}
}

// TestPreviewNamesTheQuoteBoundAnOrderMisses: a preview checks an
// order's worth as a create does, a market order sized in base at the
// price it would take: PREVIEW_ and the create's reason.
func TestPreviewNamesTheQuoteBoundAnOrderMisses(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	for _, c := range []struct{ config, want string }{
		{`"limit_limit_gtc":{"base_size":"1001","limit_price":"49999.99"}`, "PREVIEW_INVALID_QUOTE_SIZE_TOO_LARGE"},
		{`"market_market_ioc":{"base_size":"1001"}`, "PREVIEW_INVALID_QUOTE_SIZE_TOO_LARGE"},
		{`"market_market_ioc":{"base_size":"0.00001"}`, "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"},
		{`"market_market_ioc":{"base_size":"0.0001"}`, ""},
	} {
		code, body := v.do("POST", "/orders/preview", `{"product_id":"BTC-USD","side":"SELL","order_configuration":{`+c.config+`}}`)
		var out coinbase.PreviewOrderResponse
		if err := jsonUnmarshal(body, &out); code != 200 || err != nil {
			t.Fatalf("%s: HTTP %d %s (%v)", c.config, code, body, err)
		}
		if got := strings.Join(out.Errs, ","); !strings.Contains(got, c.want) || c.want == "" && strings.Contains(got, "QUOTE_SIZE") {
			t.Errorf("%s: errs %v, want %q", c.config, out.Errs, c.want)
		}
	}
}

// TestPreviewJudgesAMarketOrderWhereACreateTakesIt: after a trade
// through the bid, a market sale takes the last trade, not that bid
// (exchange/sim); the preview checks its worth there too, so that it
// answers as the create does. 0.000024 BTC is worth 1.20 at the bid of
// 50,000 and 0.96 at the trade of 40,000 (quote_min_size 1).
func TestPreviewJudgesAMarketOrderWhereACreateTakesIt(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	v.trade("40000")
	code, body := v.do("POST", "/orders/preview", `{"product_id":"BTC-USD","side":"SELL","order_configuration":{"market_market_ioc":{"base_size":"0.000024"}}}`)
	var out coinbase.PreviewOrderResponse
	if err := jsonUnmarshal(body, &out); code != 200 || err != nil {
		t.Fatalf("preview: HTTP %d %s (%v)", code, body, err)
	}
	if !slices.Contains(out.Errs, "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL") || !out.EstAverageFilledPrice.Equal(d("40000")) {
		t.Errorf("preview errs %v at %s, want PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL at 40000", out.Errs, out.EstAverageFilledPrice)
	}
	_, err := v.client.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: "through-the-bid", ProductID: "BTC-USD",
		Type: exchange.Market, Side: exchange.Sell, BaseSize: d("0.000024")})
	var rej *exchange.RejectError
	if !errors.As(err, &rej) || rej.Reason != exchange.ReasonQuoteSizeTooSmall {
		t.Fatalf("create: %v, want %s as the preview said", err, exchange.ReasonQuoteSizeTooSmall)
	}
}

func TestRepeatedClientOrderIDReturnsTheExistingOrder(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	body := `{"client_order_id":"same","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"0.01","limit_price":"49000.00","post_only":false}}}`
	var ids []string
	for range 3 {
		status, resp := v.do("POST", "/orders", body)
		if status != 200 || !strings.Contains(resp, `"success":true`) {
			t.Fatalf("HTTP %d %s", status, resp)
		}
		var cr coinbase.CreateOrderResponse
		if err := jsonUnmarshal(resp, &cr); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cr.SuccessResponse.OrderID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("repeated creates answered different orders: %v", ids)
	}
	if n := v.e.OrdersWithClientID("same"); n != 1 {
		t.Fatalf("%d orders carry the client order id, want 1", n)
	}
	if s := v.e.Stats(); s.CreateRequests["same"] != 3 || s.OrdersPerClientID["same"] != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBracketAndStopLimitTriggerOnLastTrade(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "entry", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.02")}); err != nil {
		t.Fatal(err)
	}
	br, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "bracket", ProductID: "BTC-USD", Type: exchange.Bracket, Side: exchange.Sell,
		BaseSize: d("0.01"), LimitPrice: d("52000"), StopPrice: d("49000")})
	if err != nil {
		t.Fatal(err)
	}
	sl, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "stop", ProductID: "BTC-USD", Type: exchange.StopLimit, Side: exchange.Sell,
		BaseSize: d("0.01"), StopPrice: d("49500"), LimitPrice: d("48900"), StopDirection: exchange.StopDown})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{br.ID, sl.ID} {
		o, err := v.client.Order(ctx, id)
		if err != nil || o.Status != exchange.StatusOpen || o.Triggered {
			t.Fatalf("before the drop: %+v, %v", o, err)
		}
	}
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("48990"), BidSize: d("1"), Ask: d("48991"), AskSize: d("1")})
	v.trade("48990")
	for _, id := range []string{br.ID, sl.ID} {
		o, err := v.client.Order(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != exchange.StatusFilled || !o.Triggered {
			t.Errorf("order %s after the drop: status %s triggered %v, want FILLED and triggered", o.ClientOrderID, o.Status, o.Triggered)
		}
	}
}

func TestAttachedTakeProfitStopLossBecomesABracket(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	entry, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "otoco", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy,
		BaseSize: d("0.01"), Attached: &exchange.AttachedBracket{LimitPrice: d("55000"), StopTriggerPrice: d("45000")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.client.Order(ctx, entry.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AttachedOrderID == "" || got.Attached == nil || !got.Attached.LimitPrice.Equal(d("55000")) {
		t.Fatalf("entry %+v has no attached bracket", got)
	}
	br, err := v.client.Order(ctx, got.AttachedOrderID)
	if err != nil {
		t.Fatal(err)
	}
	if br.Type != exchange.Bracket || br.OriginatingOrderID != entry.ID || !br.BaseSize.Equal(d("0.01")) || br.Status != exchange.StatusOpen {
		t.Fatalf("bracket %+v", br)
	}
	open, err := v.client.OpenOrders(ctx, "BTC-USD")
	if err != nil || len(open) != 1 || open[0].ID != br.ID {
		t.Fatalf("open orders %+v, %v; want the bracket", open, err)
	}
}

// An edit that would leave the order worth less than quote_min_size is
// answered, over HTTP, as Coinbase answers an edit that fails a
// placement rule: success false, the edit reason unknown and the
// preview's PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL (INVALID_EDITED_PRICE
// until 2026-12-07); the client refuses with it, and the order stands.
func TestAnEditOutOfTheSizeBoundsIsAnsweredWithThePreviewReason(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "edit-small", ProductID: "BTC-USD", Type: exchange.Limit, Side: exchange.Buy,
		BaseSize: d("0.01"), LimitPrice: d("49000")})
	if err != nil {
		t.Fatal(err)
	}
	// 0.00002 at 49,000 is worth 0.98, under quote_min_size 1.
	code, body := v.do("POST", "/orders/edit", `{"order_id":"`+o.ID+`","price":"49000","size":"0.00002"}`)
	var raw coinbase.EditOrderResponse
	if err := json.Unmarshal([]byte(body), &raw); err != nil || code != http.StatusOK {
		t.Fatalf("edit: %d %s (%v)", code, body, err)
	}
	if raw.Success || len(raw.Errors) != 1 || raw.Errors[0].EditFailureReason != "UNKNOWN_EDIT_ORDER_FAILURE_REASON" ||
		raw.Errors[0].PreviewFailureReason != "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL" {
		t.Errorf("edit worth 0.98 answered %s, want the preview's PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL", body)
	}
	_, body = v.do("POST", "/orders/edit_preview", `{"order_id":"`+o.ID+`","price":"49000","size":"0.00002"}`)
	var preview coinbase.EditPreviewResponse
	if err := json.Unmarshal([]byte(body), &preview); err != nil || len(preview.Errors) != 1 ||
		preview.Errors[0].PreviewFailureReason != "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL" {
		t.Errorf("edit_preview of the same edit answered %s (%v), want PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL", body, err)
	}
	_, err = v.client.EditOrder(ctx, o.ID, exchange.OrderEdit{LimitPrice: d("1"), BaseSize: d("0.5")}) // worth 0.5
	var rej *exchange.RejectError
	if !errors.As(err, &rej) || rej.Reason != "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL" {
		t.Errorf("client edit worth 0.5: %v, want a refusal with PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL", err)
	}
	if got, err := v.client.Order(ctx, o.ID); err != nil || !got.BaseSize.Equal(d("0.01")) || !got.LimitPrice.Equal(d("49000")) {
		t.Errorf("after the refused edits: %+v, %v; want the order unchanged", got, err)
	}
}

func TestEditAndCancel(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "edit-me", ProductID: "BTC-USD", Type: exchange.Limit, Side: exchange.Buy,
		BaseSize: d("0.01"), LimitPrice: d("49000")})
	if err != nil {
		t.Fatal(err)
	}
	edited, err := v.client.EditOrder(ctx, o.ID, exchange.OrderEdit{LimitPrice: d("49100"), BaseSize: d("0.02")})
	if err != nil {
		t.Fatalf("EditOrder: %v", err)
	}
	if !edited.LimitPrice.Equal(d("49100")) || !edited.BaseSize.Equal(d("0.02")) {
		t.Fatalf("edited order %+v", edited)
	}
	raw, err := v.client.GetOrder(ctx, o.ID)
	if err != nil || len(raw.EditHistory) != 1 || !raw.EditHistory[0].Price.Equal(d("49100")) {
		t.Fatalf("edit history %+v, %v", raw.EditHistory, err)
	}
	if err := v.client.CancelOrder(ctx, o.ID); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	got, err := v.client.Order(ctx, o.ID)
	if err != nil || got.Status != exchange.StatusCancelled {
		t.Fatalf("after cancel: %+v, %v", got, err)
	}
	if err := v.client.CancelOrder(ctx, o.ID); err != nil {
		t.Errorf("a repeated cancel: %v, want success (DUPLICATE_CANCEL_REQUEST)", err)
	}
	if _, err := v.client.EditOrder(ctx, o.ID, exchange.OrderEdit{LimitPrice: d("49200")}); err == nil || !strings.Contains(err.Error(), "ONLY_OPEN_ORDERS_CAN_BE_EDITED") {
		t.Errorf("edit of a cancelled order: %v, want ONLY_OPEN_ORDERS_CAN_BE_EDITED", err)
	}
	if err := v.client.CancelOrder(ctx, "00000000-0000-4000-8000-999999999999"); !errors.Is(err, exchange.ErrOrderNotFound) {
		t.Errorf("cancel of an unknown order: %v, want ErrOrderNotFound", err)
	}
	if _, err := v.client.Order(ctx, "no-such-order"); !errors.Is(err, exchange.ErrOrderNotFound) {
		t.Errorf("get of an unknown order: %v, want ErrOrderNotFound", err)
	}
}

func TestListingsPageByCursor(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	for i := range 7 {
		if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: fmt.Sprintf("rest-%d", i), ProductID: "BTC-USD",
			Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.001"), LimitPrice: d("40000")}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: fmt.Sprintf("fill-%d", i), ProductID: "BTC-USD",
			Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.001")}); err != nil {
			t.Fatal(err)
		}
	}
	before := v.e.Requests("GET /orders/historical/batch")
	open, err := v.client.ListOrders(ctx, coinbase.OrderFilter{Statuses: []string{"OPEN"}, PageSize: 3})
	if err != nil || len(open) != 7 {
		t.Fatalf("open orders: %d, %v; want 7", len(open), err)
	}
	if pages := v.e.Requests("GET /orders/historical/batch") - before; pages != 3 {
		t.Errorf("%d pages of 3 for 7 orders, want 3", pages)
	}
	if open[0].ClientOrderID != "rest-6" {
		t.Errorf("first listed %q, want the newest, rest-6", open[0].ClientOrderID)
	}
	all, err := v.client.ListOrders(ctx, coinbase.OrderFilter{PageSize: 4, StartDate: time.Now().Add(-time.Hour)})
	if err != nil || len(all) != 14 {
		t.Fatalf("all orders: %d, %v; want 14", len(all), err)
	}
	fills, err := v.client.ListFills(ctx, coinbase.FillFilter{PageSize: 2})
	if err != nil || len(fills) != 7 {
		t.Fatalf("fills: %d, %v; want 7", len(fills), err)
	}
	found, err := v.client.OrderByClientID(ctx, "fill-3")
	if err != nil || found.ClientOrderID != "fill-3" || found.Status != exchange.StatusFilled {
		t.Fatalf("OrderByClientID: %+v, %v", found, err)
	}
	status, body := v.do("GET", "/orders/historical/batch?order_status=OPEN&order_status=FILLED", "")
	if status != 400 || !strings.Contains(body, "INVALID_ARGUMENT") {
		t.Errorf("OPEN with FILLED: HTTP %d %s, want 400 INVALID_ARGUMENT", status, body)
	}
}

func TestAccountsPageByCursor(t *testing.T) {
	bal := DefaultBalances()
	for i := range 60 {
		bal[fmt.Sprintf("C%02d", i)] = d("1")
	}
	v := startEnv(t, config{opts: Options{Balances: bal}})
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		path := "/accounts?limit=25"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		status, body := v.do("GET", path, "")
		if status != 200 {
			t.Fatalf("HTTP %d %s", status, body)
		}
		var page coinbase.ListAccountsResponse
		if err := jsonUnmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range page.Accounts {
			if seen[a.Currency] {
				t.Fatalf("%s listed twice", a.Currency)
			}
			seen[a.Currency] = true
		}
		if !page.HasNext {
			break
		}
		cursor = page.Cursor
	}
	if len(seen) != 63 || pages != 3 {
		t.Fatalf("%d accounts in %d pages, want 63 in 3", len(seen), pages)
	}
	bals, err := v.client.Balances(context.Background())
	if err != nil || len(bals) != 63 {
		t.Fatalf("client balances: %d, %v", len(bals), err)
	}
}

func TestKeyWithoutTradePermissionIsRefused(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{noTrad: true})
	v.market("50000", "50001", "50000.5")
	perms, err := v.client.KeyPermissions(ctx)
	if err != nil || perms.CanTrade || !perms.CanView || perms.CanTransfer {
		t.Fatalf("key permissions %+v, %v", perms, err)
	}
	_, err = v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "nope", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.01")})
	var ae *coinbase.APIError
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "PERMISSION_DENIED" {
		t.Fatalf("PlaceOrder with a view-only key: %v, want 403 PERMISSION_DENIED", err)
	}
	if n := v.e.OrdersWithClientID("nope"); n != 0 {
		t.Fatalf("%d orders placed with a view-only key", n)
	}
}

func TestTransactionSummaryReportsFeesAndVolume(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "fee", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.01")}); err != nil {
		t.Fatal(err)
	}
	s, err := v.client.TransactionSummary(ctx, "SPOT")
	if err != nil {
		t.Fatal(err)
	}
	if !s.FeeTier.MakerFeeRate.Equal(d("0.004")) || !s.FeeTier.TakerFeeRate.Equal(d("0.006")) {
		t.Errorf("fee tier %+v, want maker 0.004 taker 0.006", s.FeeTier)
	}
	if !s.TotalVolume.Equal(d("500.01")) || !s.TotalFees.Equal(d("3.00006")) {
		t.Errorf("volume %s fees %s, want 500.01 and 3.00006", s.TotalVolume, s.TotalFees)
	}
}

func TestConcurrentCreatesWithOneClientOrderIDMakeOneOrder(t *testing.T) {
	v := startEnv(t, config{opts: Options{RateLimits: RateLimits{Disabled: true}}, client: coinbase.Config{PrivateRate: 1000}})
	v.market("50000", "50001", "50000.5")
	req := exchange.OrderRequest{ClientOrderID: "racy", ProductID: "BTC-USD", Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49000")}
	ids := make([]string, 16)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			o, err := v.client.PlaceOrder(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = o.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == "" {
			t.Fatalf("answers name different orders: %v", ids)
		}
	}
	if n := v.e.OrdersWithClientID("racy"); n != 1 || len(v.e.Sim().Orders()) != 1 {
		t.Fatalf("%d orders with the id, %d in all; want 1", n, len(v.e.Sim().Orders()))
	}
}

func TestAbsurdNumbersAreRefusedBeforeUse(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	tests := []struct{ name, path, body string }{
		{"huge exponent", "/orders", `{"client_order_id":"x","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"1e999999999","limit_price":"1"}}}`},
		{"exponent just past the bound", "/orders", `{"client_order_id":"w","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"1e70","limit_price":"1"}}}`},
		{"too many digits", "/orders", `{"client_order_id":"y","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"0.01","limit_price":"1` + strings.Repeat("0", 100) + `"}}}`},
		{"preview", "/orders/preview", `{"product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":"1e-999999999"}}}`},
		{"edit", "/orders/edit", `{"order_id":"z","price":"1e999999999","size":"1"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := v.do("POST", tc.path, tc.body)
			if status != 400 || len(body) > 400 {
				t.Errorf("HTTP %d %.300s, want a short 400", status, body)
			}
		})
	}
	if n := len(v.e.Sim().Orders()); n != 0 {
		t.Fatalf("%d orders placed", n)
	}
}

package coinbase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

func TestListAccountsPagesByCursorUntilHasNextIsFalse(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	var all ListAccountsResponse
	json.Unmarshal(sample(t, "rest_list_accounts.json"), &all)
	f.handle("GET /accounts", func(w http.ResponseWriter, r *http.Request) {
		page := all
		switch r.URL.Query().Get("cursor") {
		case "":
			page.Accounts, page.HasNext, page.Cursor = all.Accounts[:3], true, all.Accounts[2].UUID
		case all.Accounts[2].UUID:
			page.Accounts, page.HasNext, page.Cursor = all.Accounts[3:5], true, all.Accounts[4].UUID
		case all.Accounts[4].UUID:
			page.Accounts, page.HasNext, page.Cursor = all.Accounts[5:], false, ""
		default:
			t.Errorf("unexpected cursor %q", r.URL.Query().Get("cursor"))
		}
		json.NewEncoder(w).Encode(page)
	})
	bals, err := c.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(bals) != len(all.Accounts) || f.count("GET /accounts") != 3 {
		t.Fatalf("%d balances in %d requests, want %d in 3", len(bals), f.count("GET /accounts"), len(all.Accounts))
	}
	if bals[len(bals)-1].Currency != all.Accounts[len(all.Accounts)-1].Currency {
		t.Fatal("last page lost")
	}
}

func limitBuy(id string) exchange.OrderRequest {
	return exchange.OrderRequest{ClientOrderID: id, ProductID: "ALGO-USD", Side: exchange.Buy, Type: exchange.Limit,
		BaseSize: dec("5"), LimitPrice: dec("0.19")}
}

func TestPlaceOrderRetriesServerErrorsWithTheSameClientOrderID(t *testing.T) {
	f, c, obs := newFakeCoinbase(t)
	n := 0
	f.handle("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		n++
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("<html><body><h1>503 Service Unavailable</h1></body></html>"))
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte("<html>Too Many Requests</html>"))
		default:
			w.Write(sample(t, "rest_create_order_success.json"))
		}
	})
	o, err := c.PlaceOrder(context.Background(), limitBuy("lknalksdj89asdkl"))
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "07f1e718-8ea8-4ece-a2e1-3f00aad7f040" || o.Status != exchange.StatusPending {
		t.Fatalf("order %+v", o)
	}
	bodies := f.bodies["POST /orders"]
	if len(bodies) != 3 {
		t.Fatalf("%d attempts, want 3", len(bodies))
	}
	for _, b := range bodies {
		if b != bodies[0] || !strings.Contains(b, `"client_order_id":"lknalksdj89asdkl"`) {
			t.Fatalf("attempts differ or lack the client order id:\n%s\n%s", bodies[0], b)
		}
	}
	if got := obs.snapshot().retries; fmt.Sprint(got) != "[create_order:5xx create_order:429]" {
		t.Fatalf("retries %v", got)
	}
}

func TestPlaceOrderOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantReject  string
		wantUnknown bool
	}{
		{"business reject on HTTP 200", func(w http.ResponseWriter, r *http.Request) {
			w.Write(sample(t, "rest_create_order_failure.json"))
		}, exchange.ReasonInsufficientFund, false},
		{"HTTP 400 invalid argument", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"INVALID_ARGUMENT","error_details":"ProductID is invalid","message":"ProductID is invalid"}`))
		}, "INVALID_ARGUMENT", false},
		{"timeout after sending", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "", true},
		{"5xx on every attempt", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			w.Write([]byte("<html><head><title>502 Bad Gateway</title></head></html>"))
		}, "", true},
		{"connection dropped", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, "", true},
		{"5xx then 429 stays unknown", func() http.HandlerFunc {
			n := 0
			return func(w http.ResponseWriter, r *http.Request) {
				n++
				if n == 1 {
					w.WriteHeader(503)
					return
				}
				w.WriteHeader(429)
			}
		}(), "", true},
		{"undecodable 200", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"success":tru`))
		}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c, _ := newFakeCoinbase(t)
			c.timeout = 200 * time.Millisecond
			c.attempts = 2
			f.handle("POST /orders", tt.handler)
			_, err := c.PlaceOrder(context.Background(), limitBuy("cid-1"))
			var rej *exchange.RejectError
			isReject := errors.As(err, &rej)
			switch {
			case tt.wantReject != "":
				if !isReject || rej.Reason != tt.wantReject {
					t.Fatalf("err = %v, want reject %s", err, tt.wantReject)
				}
				if errors.Is(err, ErrOutcomeUnknown) {
					t.Fatal("a reject must not be unknown")
				}
			case tt.wantUnknown:
				if isReject || !errors.Is(err, ErrOutcomeUnknown) {
					t.Fatalf("err = %v, want ErrOutcomeUnknown and no RejectError", err)
				}
			}
			if f.count("POST /orders") > 2 {
				t.Fatalf("%d attempts, want at most 2", f.count("POST /orders"))
			}
		})
	}
}

func TestErrorBodiesAreShortSanitizedAndFreeOfSecrets(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	c.attempts = 1
	html := "<!DOCTYPE html><html><head><style>body{}</style></head><body>\n\n<h1>Bad   Gateway</h1>\x00\x07" + strings.Repeat("x", 500) + "</body></html>"
	f.handle("GET /products/BTC-USD", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		w.Write([]byte(html))
	})
	f.handle("GET /key_permissions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	})
	_, err := c.Product(context.Background(), "BTC-USD")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 502 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "<>\x00\x07") || len(msg) > 300 || !strings.Contains(msg, "Bad Gateway") || !strings.Contains(msg, "HTTP 502") {
		t.Fatalf("error is not a short sanitized snippet: %q", msg)
	}
	_, err = c.KeyPermissions(context.Background())
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("err = %v", err)
	}
	// A JWT starts with the base64 of `{"`: eyJ.
	if strings.Contains(err.Error(), "Bearer") || strings.Contains(err.Error(), "eyJ") {
		t.Fatalf("error carries the token: %v", err)
	}
}

func TestRateLimitedRequestHonoursRetryAfter(t *testing.T) {
	f, c, obs := newFakeCoinbase(t)
	var first time.Time
	f.handle("GET /orders/historical/o-1", func(w http.ResponseWriter, r *http.Request) {
		if first.IsZero() {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			w.Write([]byte("<html><body>Too Many Requests</body></html>"))
			return
		}
		if since := time.Since(first); since < time.Second {
			t.Errorf("retried after %s, before Retry-After", since)
		}
		w.Write(sample(t, "rest_get_order.json"))
	})
	o, err := c.Order(context.Background(), "o-1")
	if err != nil || o.ClientOrderID != "WoKEnVudA77LvxR4Uknt" {
		t.Fatalf("order %+v err %v", o, err)
	}
	if got := obs.snapshot().retries; len(got) != 1 || got[0] != "get_order:429" {
		t.Fatalf("retries %v", got)
	}
}

// TestARetryCutShortByTheCallerSaysSo: a caller that stops while the
// client waits to retry (the daemon's start-up, on SIGTERM) gets the last
// answer wrapped with its own cancellation, so that it can tell its stop
// from Coinbase's refusal; the answer itself is still there.
func TestARetryCutShortByTheCallerSaysSo(t *testing.T) {
	f, c, obs := newFakeCoinbase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.handle("GET /orders/historical/o-1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("<html><body>503 Service Unavailable</body></html>"))
	})
	go func() {
		// The retry is counted just before the wait for it.
		for len(obs.snapshot().retries) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := c.Order(ctx, "o-1")
	var apiErr *APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable {
		t.Fatalf("a retry cut short by the caller ended with %v, want the 503 wrapped with context.Canceled", err)
	}
}

func TestBackoffGrowsWithJitterAndRespectsRetryAfter(t *testing.T) {
	c, _ := NewClient(Config{RetryMinDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second})
	for attempt := 1; attempt <= 6; attempt++ {
		full := min(100*time.Millisecond<<(attempt-1), time.Second)
		for range 50 {
			d := c.backoff(attempt, 0)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, full/2, full)
			}
		}
	}
	if d := c.backoff(1, 3*time.Second); d != 3*time.Second {
		t.Fatalf("Retry-After ignored: %s", d)
	}
	if d := parseRetryAfter("3600", time.Now()); d != MaxRetryAfter {
		t.Fatalf("Retry-After not capped: %s", d)
	}
	now := time.Now()
	if d := parseRetryAfter(now.Add(5*time.Second).UTC().Format(http.TimeFormat), now); d < 4*time.Second || d > 5*time.Second {
		t.Fatalf("HTTP-date Retry-After: %s", d)
	}
}

func TestEditIsNotRetriedOnServerErrors(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	f.serveJSON("GET /orders/historical/nkj23kj234234", sample(t, "rest_get_order.json"))
	f.handle("POST /orders/edit", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	_, err := c.EditOrder(context.Background(), "nkj23kj234234", exchange.OrderEdit{LimitPrice: dec("0.16")})
	if err == nil || f.count("POST /orders/edit") != 1 {
		t.Fatalf("err %v after %d attempts, want one failed attempt", err, f.count("POST /orders/edit"))
	}
	f.handle("POST /orders/edit", func(w http.ResponseWriter, r *http.Request) {
		var req EditOrderRequest
		json.NewDecoder(r.Body).Decode(&req)
		w.Write([]byte(`{"success":false,"errors":[{"edit_failure_reason":"ONLY_OPEN_ORDERS_CAN_BE_EDITED","preview_failure_reason":"UNKNOWN_PREVIEW_FAILURE_REASON"}]}`))
	})
	_, err = c.EditOrder(context.Background(), "nkj23kj234234", exchange.OrderEdit{LimitPrice: dec("0.16")})
	var rej *exchange.RejectError
	if !errors.As(err, &rej) || rej.Reason != "ONLY_OPEN_ORDERS_CAN_BE_EDITED" {
		t.Fatalf("err = %v", err)
	}
	var sent EditOrderRequest
	json.Unmarshal([]byte(f.bodies["POST /orders/edit"][0]), &sent)
	if !sent.Price.Equal(dec("0.16")) || !sent.Size.Equal(dec("5")) {
		t.Fatalf("edit body %+v should carry the new price and the current size", sent)
	}
}

func TestCancelOrderMapsCoinbaseAnswers(t *testing.T) {
	tests := []struct {
		reason  string
		success bool
		check   func(error) bool
	}{
		{"UNKNOWN_CANCEL_FAILURE_REASON", true, func(err error) bool { return err == nil }},
		{"DUPLICATE_CANCEL_REQUEST", false, func(err error) bool { return err == nil }},
		{"UNKNOWN_CANCEL_ORDER", false, func(err error) bool { return errors.Is(err, exchange.ErrOrderNotFound) }},
		{"ORDER_IS_FULLY_FILLED", false, func(err error) bool {
			var ce *CancelError
			return errors.As(err, &ce) && ce.Reason == "ORDER_IS_FULLY_FILLED" && errors.Is(err, exchange.ErrOrderDone)
		}},
		{"NOT_ALLOWED_TO_CANCEL", false, func(err error) bool {
			return err != nil && !errors.Is(err, exchange.ErrOrderDone) // it may still be open
		}},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			f, c, _ := newFakeCoinbase(t)
			f.handle("POST /orders/batch_cancel", func(w http.ResponseWriter, r *http.Request) {
				json.NewEncoder(w).Encode(CancelOrdersResponse{Results: []CancelResult{{tt.success, tt.reason, "o-1"}}})
			})
			if err := c.CancelOrder(context.Background(), "o-1"); !tt.check(err) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestOrderByClientIDSearchesOpenThenRecentOrders(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	var got GetOrderResponse
	json.Unmarshal(sample(t, "rest_get_order.json"), &got)
	mk := func(cid string) Order { o := got.Order; o.ClientOrderID = cid; o.OrderID = "id-" + cid; return o }
	f.handle("GET /orders/historical/batch", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("order_status") == "OPEN" {
			json.NewEncoder(w).Encode(ListOrdersResponse{Orders: []Order{mk("open-1")}})
			return
		}
		if q.Get("start_date") == "" {
			t.Error("historical search without start_date")
		}
		if q.Get("cursor") == "" {
			json.NewEncoder(w).Encode(ListOrdersResponse{Orders: []Order{mk("a"), mk("b")}, HasNext: true, Cursor: "p2"})
			return
		}
		json.NewEncoder(w).Encode(ListOrdersResponse{Orders: []Order{mk("target")}})
	})
	o, err := c.OrderByClientID(context.Background(), "target")
	if err != nil || o.ID != "id-target" {
		t.Fatalf("order %+v err %v", o, err)
	}
	if _, err := c.OrderByClientID(context.Background(), "never-sent"); !errors.Is(err, exchange.ErrOrderNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func TestBuildCreateOrderWritesEveryConfigurationTradebotUses(t *testing.T) {
	end := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	base := exchange.OrderRequest{ClientOrderID: "c", ProductID: "BTC-USD", Side: exchange.Buy, BaseSize: dec("0.001")}
	with := func(f func(*exchange.OrderRequest)) exchange.OrderRequest { r := base; f(&r); return r }
	tests := []struct {
		name string
		req  exchange.OrderRequest
		want string
	}{
		{"market base", with(func(r *exchange.OrderRequest) { r.Type = exchange.Market }),
			`{"market_market_ioc":{"base_size":"0.001"}}`},
		{"market quote", with(func(r *exchange.OrderRequest) {
			r.Type, r.BaseSize, r.QuoteSize = exchange.Market, dec("0"), dec("25.5")
		}),
			`{"market_market_ioc":{"quote_size":"25.5"}}`},
		{"limit gtc post only", with(func(r *exchange.OrderRequest) {
			r.Type, r.LimitPrice, r.PostOnly = exchange.Limit, dec("10000.00"), true
		}),
			`{"limit_limit_gtc":{"base_size":"0.001","limit_price":"10000","post_only":true}}`},
		{"limit gtd", with(func(r *exchange.OrderRequest) {
			r.Type, r.LimitPrice, r.TimeInForce, r.EndTime = exchange.Limit, dec("10000"), exchange.GoodTilDate, end
		}), `{"limit_limit_gtd":{"base_size":"0.001","limit_price":"10000","end_time":"2026-01-02T03:04:05Z","post_only":false}}`},
		{"limit ioc", with(func(r *exchange.OrderRequest) {
			r.Type, r.LimitPrice, r.TimeInForce = exchange.Limit, dec("1"), exchange.ImmediateOrCancel
		}),
			`{"sor_limit_ioc":{"base_size":"0.001","limit_price":"1"}}`},
		{"stop limit sell defaults to stop down", with(func(r *exchange.OrderRequest) {
			r.Side, r.Type, r.LimitPrice, r.StopPrice = exchange.Sell, exchange.StopLimit, dec("90"), dec("91")
		}), `{"stop_limit_stop_limit_gtc":{"base_size":"0.001","limit_price":"90","stop_price":"91","stop_direction":"STOP_DIRECTION_STOP_DOWN"}}`},
		{"stop limit gtd", with(func(r *exchange.OrderRequest) {
			r.Type, r.LimitPrice, r.StopPrice, r.TimeInForce, r.EndTime = exchange.StopLimit, dec("110"), dec("109"), exchange.GoodTilDate, end
		}), `{"stop_limit_stop_limit_gtd":{"base_size":"0.001","limit_price":"110","stop_price":"109","end_time":"2026-01-02T03:04:05Z","stop_direction":"STOP_DIRECTION_STOP_UP"}}`},
		{"bracket gtc", with(func(r *exchange.OrderRequest) {
			r.Side, r.Type, r.LimitPrice, r.StopPrice = exchange.Sell, exchange.Bracket, dec("120"), dec("90")
		}), `{"trigger_bracket_gtc":{"base_size":"0.001","limit_price":"120","stop_trigger_price":"90"}}`},
		{"bracket gtd", with(func(r *exchange.OrderRequest) {
			r.Side, r.Type, r.LimitPrice, r.StopPrice, r.TimeInForce, r.EndTime = exchange.Sell, exchange.Bracket, dec("120"), dec("90"), exchange.GoodTilDate, end
		}), `{"trigger_bracket_gtd":{"base_size":"0.001","limit_price":"120","stop_trigger_price":"90","end_time":"2026-01-02T03:04:05Z"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := BuildCreateOrder(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(body.OrderConfiguration)
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			var back exchange.Order
			back.OrderRequest = tt.req
			requestFromConfig(body.OrderConfiguration, &back.OrderRequest)
			if back.Type != tt.req.Type || !back.BaseSize.Equal(tt.req.BaseSize) || !back.LimitPrice.Equal(tt.req.LimitPrice) {
				t.Fatalf("configuration does not read back: %+v", back.OrderRequest)
			}
		})
	}
	att := with(func(r *exchange.OrderRequest) {
		r.Type, r.LimitPrice = exchange.Limit, dec("1500")
		r.Attached = &exchange.AttachedBracket{LimitPrice: dec("1600"), StopTriggerPrice: dec("1300")}
	})
	body, err := BuildCreateOrder(att)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(body.AttachedOrderConfiguration)
	if string(got) != `{"trigger_bracket_gtc":{"limit_price":"1600","stop_trigger_price":"1300"}}` {
		t.Fatalf("attached %s", got)
	}
	if _, err := BuildCreateOrder(with(func(r *exchange.OrderRequest) { r.Type, r.TimeInForce = exchange.Limit, exchange.GoodTilDate })); err == nil {
		t.Fatal("GTD without end time accepted")
	}
}

func TestFillsSinceConvertsQuoteSizedFillsAndSortsOldestFirst(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	f.handle("GET /orders/historical/fills", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") == "" {
			json.NewEncoder(w).Encode(ListFillsResponse{Cursor: "n2", Fills: []Fill{
				{TradeID: "t2", OrderID: "o", Price: MustDec("50000"), Size: MustDec("100"), SizeInQuote: true, Commission: MustDec("0.6"),
					TradeTime: Time{ts("2024-01-01T00:00:02Z")}, Side: "BUY", LiquidityIndicator: "TAKER"},
			}})
			return
		}
		json.NewEncoder(w).Encode(ListFillsResponse{Fills: []Fill{
			{TradeID: "t1", OrderID: "o", Price: MustDec("50000"), Size: MustDec("0.001"), TradeTime: Time{ts("2024-01-01T00:00:01Z")}, Side: "BUY"},
		}})
	})
	fills, err := c.FillsSince(context.Background(), ts("2024-01-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fills) != 2 || fills[0].TradeID != "t1" || !fills[1].Size.Equal(dec("0.002")) || fills[1].Liquidity != exchange.Taker {
		t.Fatalf("fills %+v", fills)
	}
}

func TestClientSideRateLimitWaitsAreObserved(t *testing.T) {
	f, c, obs := newFakeCoinbase(t)
	c.private.SetLimit(200)
	f.serveJSON("GET /key_permissions", sample(t, "rest_key_permissions.json"))
	for range 5 {
		if _, err := c.KeyPermissions(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if obs.snapshot().waits == 0 {
		t.Fatal("five back-to-back requests at 200/s with burst 1 should wait")
	}
}

func TestPlaceOrderRateLimitedOnEveryAttemptIsNotUnknown(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	c.attempts = 2
	f.handle("POST /orders", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) })
	_, err := c.PlaceOrder(context.Background(), limitBuy("cid-429"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v: a 429 never reached the engine, so the order does not exist", err)
	}
}

// endpointNames lists every endpoint label the Observer may receive.
func endpointNames() []string {
	eps := []endpoint{epAccounts, epProducts, epProduct, epPublicProduct, epBestBidAsk, epProductBook, epPublicBook,
		epCandles, epMarketTrades, epCreateOrder, epPreviewOrder, epCancelOrders, epEditOrder, epGetOrder,
		epListOrders, epListFills, epKeyPermissions, epTransactionSumm, epServerTime, epPortfolios}
	names := make([]string, len(eps))
	for i, e := range eps {
		names[i] = e.name
	}
	return names
}

func TestEndpointNamesAreAClosedSetOfLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range endpointNames() {
		if seen[n] || n == "" || strings.ContainsAny(n, "/{} ") {
			t.Fatalf("label %q", n)
		}
		seen[n] = true
	}
	if !seen["create_order"] || !seen["cancel_orders"] {
		t.Fatal("create_order and cancel_orders must be labels")
	}
}

func TestPrivateEndpointWithoutCredentialsFailsBeforeSending(t *testing.T) {
	c, _ := NewClient(Config{BaseURL: "http://127.0.0.1:1/api/v3/brokerage"})
	if _, err := c.ListAccounts(context.Background()); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Fatalf("err = %v", err)
	}
}

func TestPublicCandlesSplitRangesIntoRequestsOfAtMost350(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	f.handle("GET /market/products/BTC-USD/candles", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var start, end int64
		fmt.Sscan(q.Get("start"), &start)
		fmt.Sscan(q.Get("end"), &end)
		if n := (end - start + 60) / 60; n > MaxCandlesPerRequest {
			t.Errorf("asked for %d candles", n)
		}
		var out CandlesResponse
		for s := end - end%60; s >= start; s -= 60 { // newest first, as Coinbase answers
			out.Candles = append(out.Candles, RESTCandle{Start: StrInt(s), Open: MustDec("1"), High: MustDec("2"), Low: MustDec("0.5"), Close: MustDec("1.5"), Volume: MustDec("10")})
		}
		json.NewEncoder(w).Encode(out)
	})
	start := time.Unix(1_700_000_000, 0).Truncate(time.Minute)
	cs, err := c.Candles(context.Background(), "BTC-USD", start, start.Add(1000*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1000 || f.count("GET /market/products/BTC-USD/candles") != 3 {
		t.Fatalf("%d candles in %d requests", len(cs), f.count("GET /market/products/BTC-USD/candles"))
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].Start.Sub(cs[i-1].Start) != time.Minute {
			t.Fatalf("candle %d not contiguous", i)
		}
	}
}

func TestKeyPermissionsCheckRefusesTransferAndMissingTrade(t *testing.T) {
	tests := []struct {
		name string
		kp   KeyPermissions
		ok   bool
	}{
		{"view and trade", KeyPermissions{CanView: true, CanTrade: true}, true},
		{"can transfer", KeyPermissions{CanView: true, CanTrade: true, CanTransfer: true}, false},
		{"view only", KeyPermissions{CanView: true}, false},
	}
	for _, tt := range tests {
		if err := tt.kp.Check(); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	var sampleKP KeyPermissions
	json.Unmarshal(sample(t, "rest_key_permissions.json"), &sampleKP)
	if sampleKP.Check() == nil {
		t.Error("the documented sample key can transfer and must be refused")
	}
}

// TestReadEndpointsDecodeTheRealSamples calls each read endpoint against
// a loopback server that answers with the real payloads, checking the
// path, the query and one field of the answer.
func TestReadEndpointsDecodeTheRealSamples(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	ctx := context.Background()
	query := map[string]string{}
	serve := func(pattern, file string) {
		f.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			query[pattern] = r.URL.RawQuery
			f.mu.Unlock()
			w.Write(sample(t, file))
		})
	}
	serve("GET /best_bid_ask", "rest_best_bid_ask.json")
	serve("GET /product_book", "rest_product_book.json")
	serve("GET /market/product_book", "rest_product_book.json")
	serve("GET /market/products/BTC-USDC/ticker", "rest_market_trades_ticker.json")
	serve("GET /market/products/BTC-USD", "rest_get_product.json")
	serve("GET /transaction_summary", "rest_transaction_summary.json")
	serve("GET /time", "rest_server_time.json")
	serve("GET /portfolios", "rest_list_portfolios.json")
	f.handle("GET /products", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"products":[%s],"num_products":1}`, sample(t, "rest_get_product.json"))
	})
	f.handle("POST /orders/preview", func(w http.ResponseWriter, r *http.Request) {
		var req CreateOrderRequest
		json.NewDecoder(r.Body).Decode(&req)
		if req.ClientOrderID != "" {
			t.Error("a preview must not carry a client order id")
		}
		w.Write([]byte(`{"order_total":"100.6","commission_total":"0.6","errs":[],"warning":[],"quote_size":"100","base_size":"0.002","best_bid":"49999","best_ask":"50000","is_max":false,"preview_id":"p-1"}`))
	})

	books, err := c.BestBidAsk(ctx, "BTC-USD", "ETH-USD")
	if err != nil || len(books) != 2 || query["GET /best_bid_ask"] != "product_ids=BTC-USD&product_ids=ETH-USD" {
		t.Fatalf("best bid/ask %v %v %q", books, err, query["GET /best_bid_ask"])
	}
	pb, err := c.ProductBook(ctx, "BTC-USD", 5)
	if err != nil || len(pb.Pricebook.Asks) != 5 || query["GET /product_book"] != "limit=5&product_id=BTC-USD" {
		t.Fatalf("product book %v %q", err, query["GET /product_book"])
	}
	if _, err := c.PublicProductBook(ctx, "BTC-USD", 0); err != nil {
		t.Fatal(err)
	}
	mt, err := c.MarketTrades(ctx, "BTC-USDC", 1)
	if err != nil || mt.Trades[0].TradeID != "635541194" {
		t.Fatalf("market trades %+v %v", mt, err)
	}
	if p, err := c.GetPublicProduct(ctx, "BTC-USD"); err != nil || p.ProductID != "BTC-USD" {
		t.Fatalf("public product %v", err)
	}
	if ps, err := c.ListProducts(ctx, "SPOT"); err != nil || len(ps) != 1 || ps[0].ProductID != "BTC-USD" {
		t.Fatalf("products %v", err)
	}
	ts, err := c.TransactionSummary(ctx, "SPOT")
	if err != nil || !ts.FeeTier.MakerFeeRate.Equal(dec("0.004")) || query["GET /transaction_summary"] != "product_type=SPOT" {
		t.Fatalf("transaction summary %v", err)
	}
	st, err := c.ServerTime(ctx)
	if err != nil || st.EpochSeconds != "1701129622" {
		t.Fatalf("server time %v", err)
	}
	if pf, err := c.ListPortfolios(ctx); err != nil || len(pf) != 1 {
		t.Fatalf("portfolios %v", err)
	}
	body, _ := BuildCreateOrder(exchange.OrderRequest{ClientOrderID: "x", ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Market, QuoteSize: dec("100")})
	pv, err := c.PreviewOrder(ctx, body)
	if err != nil || pv.PreviewID != "p-1" || !pv.CommissionTotal.Equal(dec("0.6")) {
		t.Fatalf("preview %+v %v", pv, err)
	}
}

func TestOpenOrdersListsOpenAndQueuedOrdersOfTheProduct(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	var got GetOrderResponse
	json.Unmarshal(sample(t, "rest_get_order.json"), &got)
	var asked []string
	f.handle("GET /orders/historical/batch", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		status := q.Get("order_status")
		asked = append(asked, status)
		if len(q["order_status"]) != 1 || q.Get("product_ids") != "ALGO-USD" || q.Get("start_date") != "" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		o := got.Order
		o.Status = status
		if status == "QUEUED" {
			o.OrderID = "queued-1"
		}
		json.NewEncoder(w).Encode(ListOrdersResponse{Orders: []Order{o}})
	})
	orders, err := c.OpenOrders(context.Background(), "ALGO-USD")
	if err != nil || len(orders) != 2 || orders[0].Status != exchange.StatusOpen || !orders[0].LimitPrice.Equal(dec("0.15")) ||
		orders[1].Status != exchange.StatusQueued || orders[1].ID != "queued-1" {
		t.Fatalf("orders %+v err %v", orders, err)
	}
	// OPEN cannot be combined with another status in one listing.
	// QUEUED is asked first, so that an order placed on the book between
	// the two listings is not missed by both.
	if strings.Join(asked, ",") != "QUEUED,OPEN" {
		t.Fatalf("listings asked for %v, want QUEUED then OPEN", asked)
	}
}

func TestUnknownOrderAndProductMapToTheExchangeErrors(t *testing.T) {
	f, c, _ := newFakeCoinbase(t)
	f.handle("GET /orders/historical/nope", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		w.Write([]byte(`{"error":"NOT_FOUND","message":"order not found"}`))
	})
	f.handle("GET /products/NOPE-USD", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":"INVALID_ARGUMENT","error_details":"ProductID is invalid","message":"ProductID is invalid"}`))
	})
	if _, err := c.Order(context.Background(), "nope"); !errors.Is(err, exchange.ErrOrderNotFound) {
		t.Fatalf("order: %v", err)
	}
	if _, err := c.Product(context.Background(), "NOPE-USD"); !errors.Is(err, exchange.ErrUnknownProduct) || !strings.Contains(err.Error(), "ProductID is invalid") {
		t.Fatalf("product: %v", err)
	}
}

func TestGranularityNamesCoinbaseIntervals(t *testing.T) {
	want := map[time.Duration]string{time.Minute: "ONE_MINUTE", 5 * time.Minute: "FIVE_MINUTE", 15 * time.Minute: "FIFTEEN_MINUTE",
		30 * time.Minute: "THIRTY_MINUTE", time.Hour: "ONE_HOUR", 2 * time.Hour: "TWO_HOUR", 4 * time.Hour: "FOUR_HOUR",
		6 * time.Hour: "SIX_HOUR", 24 * time.Hour: "ONE_DAY"}
	for d, name := range want {
		if got, err := Granularity(d); got != name || err != nil {
			t.Errorf("%s: %q %v", d, got, err)
		}
	}
	if _, err := Granularity(3 * time.Minute); err == nil {
		t.Error("3m accepted")
	}
}

func TestOrderTypesReadCaseInsensitively(t *testing.T) {
	for in, want := range map[string]exchange.OrderType{"Limit": exchange.Limit, "LIMIT": exchange.Limit, "Market": exchange.Market,
		"Stop Limit": exchange.StopLimit, "STOP_LIMIT": exchange.StopLimit, "BRACKET": exchange.Bracket, "TWAP": ""} {
		if got := normalizeOrderType(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	for _, key := range []string{"market_market_ioc", "sor_limit_ioc", "limit_limit_gtc", "limit_limit_gtd", "limit_limit_fok",
		"stop_limit_stop_limit_gtc", "stop_limit_stop_limit_gtd", "trigger_bracket_gtc", "trigger_bracket_gtd"} {
		var c OrderConfiguration
		if err := json.Unmarshal([]byte(`{"`+key+`":{}}`), &c); err != nil || c.Key() != key {
			t.Errorf("%s: key %q err %v", key, c.Key(), err)
		}
	}
}

package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

func TestRateLimitBurstIsRiddenOutByTheClientsBackoff(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{client: coinbase.Config{MaxAttempts: 4}})
	v.market("50000", "50001", "50000.5")
	v.e.RateLimitBurst(2)
	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "after-429", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.01")})
	if err != nil {
		t.Fatalf("PlaceOrder through two 429s: %v", err)
	}
	if n := v.e.Requests("POST /orders"); n != 3 {
		t.Errorf("%d create requests, want 3 (two 429s, then the order)", n)
	}
	if n := v.e.OrdersWithClientID("after-429"); n != 1 || o.ID == "" {
		t.Errorf("%d orders, id %q", n, o.ID)
	}
	v.e.RateLimitBurst(10)
	_, err = v.client.ListPortfolios(ctx)
	var ae *coinbase.APIError
	if !errors.As(err, &ae) || ae.Status != 429 || !strings.Contains(ae.Snippet, "429 Too Many Requests") {
		t.Fatalf("after the attempts run out: %v, want a 429 with the HTML body's text", err)
	}
}

func TestServerErrorBurstOnReads(t *testing.T) {
	v := startEnv(t, config{client: coinbase.Config{MaxAttempts: 3}})
	v.e.ServerErrorBurst(2, 503)
	if _, err := v.client.KeyPermissions(context.Background()); err != nil {
		t.Fatalf("KeyPermissions through two 503s: %v", err)
	}
	if n := v.e.Requests("GET /key_permissions"); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestLostCreateResponseIsResolvedWithoutADuplicate(t *testing.T) {
	ctx := context.Background()
	req := exchange.OrderRequest{ClientOrderID: "lost-1", ProductID: "BTC-USD", Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49000")}
	t.Run("the client's retry with the same client_order_id returns the placed order", func(t *testing.T) {
		v := startEnv(t, config{client: coinbase.Config{MaxAttempts: 3}})
		v.market("50000", "50001", "50000.5")
		v.e.LoseNextCreateResponse()
		o, err := v.client.PlaceOrder(ctx, req)
		if err != nil {
			t.Fatalf("PlaceOrder: %v", err)
		}
		if v.e.Stats().CreateRequests[req.ClientOrderID] != 2 {
			t.Errorf("create requests %d, want 2", v.e.Stats().CreateRequests[req.ClientOrderID])
		}
		placed := v.e.Sim().Orders()
		if n := v.e.OrdersWithClientID(req.ClientOrderID); n != 1 || len(placed) != 1 || placed[0].ID != o.ID {
			t.Fatalf("%d orders with the id, %d in all; want exactly the one answered", n, len(placed))
		}
	})
	t.Run("without retries the outcome is unknown and listing finds the order", func(t *testing.T) {
		v := startEnv(t, config{client: coinbase.Config{MaxAttempts: 1}})
		v.market("50000", "50001", "50000.5")
		v.e.LoseNextCreateResponse()
		_, err := v.client.PlaceOrder(ctx, req)
		if !errors.Is(err, coinbase.ErrOutcomeUnknown) {
			t.Fatalf("PlaceOrder with a lost answer: %v, want ErrOutcomeUnknown", err)
		}
		found, err := v.client.OrderByClientID(ctx, req.ClientOrderID)
		if err != nil || found.Status != exchange.StatusOpen {
			t.Fatalf("OrderByClientID: %+v, %v", found, err)
		}
		if n := v.e.OrdersWithClientID(req.ClientOrderID); n != 1 {
			t.Fatalf("%d orders, want 1", n)
		}
	})
}

func TestSlowResponsesTimeOutTheClient(t *testing.T) {
	v := startEnv(t, config{client: coinbase.Config{MaxAttempts: 1, RequestTimeout: 100 * time.Millisecond}})
	v.e.Delay(400 * time.Millisecond)
	if _, err := v.client.KeyPermissions(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a 400ms answer to a client that waits 100ms: %v, want a deadline error", err)
	}
	v.e.Delay(0)
	if status, body := v.do("GET", "/key_permissions", ""); status != 200 {
		t.Fatalf("after the delay was lifted: HTTP %d %s", status, body)
	}
}

func TestOwnRateLimitAnswers429(t *testing.T) {
	v := startEnv(t, config{opts: Options{RateLimits: RateLimits{Public: 5}}})
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := v.http.Get(v.e.RESTURL() + "/time")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	// A burst of 20 at 5/s: the bucket's 5, plus any refill while the
	// requests trickle in, pass; the rest are refused.
	if codes[200] < 5 || codes[429] == 0 || codes[200]+codes[429] != 20 {
		t.Fatalf("status counts %v for 20 requests at 5/s, want at least 5 OK and the rest 429", codes)
	}
}

func TestAdminFaultsAPI(t *testing.T) {
	v := startEnv(t, config{})
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", v.e.BaseURL()+FaultsPath, strings.NewReader(body))
		return v.send(req)
	}
	if status, body := post(`{"rate_limit_burst":1}`); status != 200 {
		t.Fatalf("HTTP %d %s", status, body)
	}
	if status, _ := v.do("GET", "/key_permissions", ""); status != 429 {
		t.Errorf("after a burst of one: HTTP %d, want 429", status)
	}
	if status, _ := v.do("GET", "/key_permissions", ""); status != 200 {
		t.Errorf("after the burst: HTTP %d, want 200", status)
	}
	for _, bad := range []string{`{"delay":"soon"}`, `{"no_such_fault":true}`, `not json`, `{"rate_limit_burst":-1}`} {
		if status, _ := post(bad); status != 400 {
			t.Errorf("fault request %s: HTTP %d, want 400", bad, status)
		}
	}
	req, _ := http.NewRequest("GET", v.e.BaseURL()+StatsPath, nil)
	if status, body := v.send(req); status != 200 || !strings.Contains(body, `"GET /key_permissions":2`) {
		t.Errorf("stats: HTTP %d %s", status, body)
	}
}

func TestAdminTickDrivesTheMarket(t *testing.T) {
	v := startEnv(t, config{})
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", v.e.BaseURL()+TickPath, strings.NewReader(body))
		return v.send(req)
	}
	if status, body := post(`{"product_id":"BTC-USD","kind":"quote","bid":"50000","bid_size":"1","ask":"50001","ask_size":"2"}`); status != 200 {
		t.Fatalf("quote: HTTP %d %s", status, body)
	}
	if status, body := post(`{"product_id":"BTC-USD","kind":"trade","price":"50000.5","size":"0.1","side":"BUY"}`); status != 200 {
		t.Fatalf("trade: HTTP %d %s", status, body)
	}
	if last := v.e.Sim().LastTrade("BTC-USD"); !last.Equal(d("50000.5")) {
		t.Fatalf("last trade %s, want 50000.5", last)
	}
	if bid, ask := v.e.Sim().Quote("BTC-USD"); !bid.Equal(d("50000")) || !ask.Equal(d("50001")) {
		t.Fatalf("quote %s/%s", bid, ask)
	}
	tests := []struct{ body, want string }{
		{`{"product_id":"DOGE-USD","kind":"trade","price":"1","size":"1","side":"BUY"}`, "product_id"},
		{`{"product_id":"BTC-USD","kind":"trade","price":"1","size":"1","side":"UP"}`, "side"},
		{`{"product_id":"BTC-USD","kind":"trade","price":"-1","size":"1","side":"BUY"}`, "positive price"},
		{`{"product_id":"BTC-USD","kind":"quote","bid":"2","ask":"1"}`, "bid < ask"},
		{`{"product_id":"BTC-USD","kind":"jump"}`, "kind"},
		{`{"product_id":"BTC-USD","kind":"trade","prize":"1"}`, "unknown field"},
	}
	for _, tc := range tests {
		if status, body := post(tc.body); status != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: HTTP %d %s, want 400 naming %s", tc.body, status, body, tc.want)
		}
	}
}

func TestQueuedCancelShowsCancelQueuedAndMayStillFill(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		meanwhile  func(v *env)
		wantStatus exchange.OrderStatus
	}{
		{"the cancel takes effect after the delay", func(*env) {}, exchange.StatusCancelled},
		{"a fill before the delay wins", func(v *env) { v.trade("48000") }, exchange.StatusFilled},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := startEnv(t, config{})
			v.market("50000", "50001", "50000.5")
			w := v.dial(v.e.UserURL())
			tok, err := v.creds.WSToken(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			w.subscribe("user", tok)
			w.until("subscriptions")
			w.until("user") // the empty snapshot
			o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: fmt.Sprintf("q-%d", i), ProductID: "BTC-USD", Type: exchange.Limit,
				Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49000")})
			if err != nil {
				t.Fatal(err)
			}
			w.until("user") // PENDING
			w.until("user") // OPEN
			v.e.CancelDelay(time.Hour)
			if err := v.client.CancelOrder(ctx, o.ID); err != nil {
				t.Fatal(err)
			}
			up := events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]
			if up.Status != "CANCEL_QUEUED" {
				t.Fatalf("after the cancel request: %s, want CANCEL_QUEUED", up.Status)
			}
			raw, err := v.client.GetOrder(ctx, o.ID)
			if err != nil || raw.Status != "CANCEL_QUEUED" || !raw.PendingCancel {
				t.Fatalf("REST order %s pending_cancel %v, %v", raw.Status, raw.PendingCancel, err)
			}
			if err := v.client.CancelOrder(ctx, o.ID); err != nil {
				t.Errorf("a second cancel while queued: %v, want success (duplicate)", err)
			}
			tc.meanwhile(v)
			v.e.CancelDelay(0)
			v.e.FlushQueuedCancels()
			final := events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]
			if final.Status != string(tc.wantStatus) {
				t.Fatalf("final status %s, want %s", final.Status, tc.wantStatus)
			}
		})
	}
}

package emulator

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// rawOrder fetches GET /orders/historical/{id} and returns its order
// object as raw JSON values.
func (v *env) rawOrder(id string) map[string]json.RawMessage {
	v.t.Helper()
	code, body := v.do("GET", "/orders/historical/"+id, "")
	if code != 200 {
		v.t.Fatalf("get order %s: %d %s", id, code, body)
	}
	var out struct {
		Order map[string]json.RawMessage `json:"order"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		v.t.Fatal(err)
	}
	return out.Order
}

func TestPartialFillsShowInPartsWithNumberOfFillsAsAString(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{opts: Options{PartialFills: true, MaxFillSize: d("0.004")}})
	v.market("50000", "50001", "50000.5")
	w := v.dial(v.e.UserURL())
	tok, err := v.creds.WSToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.subscribe("user", tok)
	w.until("subscriptions")
	w.until("user") // the (empty) snapshot

	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "part", ProductID: "BTC-USD", Type: exchange.Limit,
		Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("49950")})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PENDING", "OPEN"} {
		if up := events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]; up.Status != want {
			t.Fatalf("update %+v, want %s", up, want)
		}
	}
	// Each trade through the limit shows at most 0.004 to the sim.
	for i, want := range []struct {
		status, filled string
		fills          int
	}{{"OPEN", "0.004", 1}, {"OPEN", "0.008", 2}, {"FILLED", "0.01", 3}} {
		v.trade("49900")
		up := events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]
		if up.Status != want.status || !up.CumulativeQuantity.Equal(d(want.filled)) || int(up.NumberOfFills) != want.fills ||
			!up.LeavesQuantity.Equal(d("0.01").Sub(d(want.filled))) {
			t.Fatalf("trade %d: update %+v, want %s filled %s in %d fills", i, up, want.status, want.filled, want.fills)
		}
		raw := v.rawOrder(o.ID)
		if got, want := string(raw["number_of_fills"]), `"`+string(rune('0'+want.fills))+`"`; got != want {
			t.Fatalf("number_of_fills = %s, want the string %s as Coinbase writes it", got, want)
		}
	}
	got, err := v.client.Order(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NumberOfFills != 3 || !got.FilledSize.Equal(d("0.01")) || got.Status != exchange.StatusFilled {
		t.Fatalf("client reads %s filled %s in %d fills", got.Status, got.FilledSize, got.NumberOfFills)
	}
	fills, err := v.client.FillsSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fills) != 3 {
		t.Fatalf("%d fills listed, want 3", len(fills))
	}

	// A market order walks what the quote shows (capped at 0.004) and
	// the rest is cancelled: immediate-or-cancel.
	m, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "mkt", ProductID: "BTC-USD", Type: exchange.Market,
		Side: exchange.Buy, BaseSize: d("0.01")})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.client.Order(ctx, m.ID); got.Status != exchange.StatusCancelled || !got.FilledSize.Equal(d("0.004")) {
		t.Fatalf("market order %s filled %s, want CANCELLED after filling the 0.004 shown", got.Status, got.FilledSize)
	}
}

func TestNewOrdersArePendingOverRESTForPendingFor(t *testing.T) {
	v := startEnv(t, config{opts: Options{PendingFor: time.Hour}})
	v.market("50000", "50001", "50000.5")
	o, err := v.client.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: "p", ProductID: "BTC-USD",
		Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("40000")})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(v.rawOrder(o.ID)["status"]); s != `"PENDING"` {
		t.Fatalf("status of a new order = %s, want PENDING", s)
	}
	m, err := v.client.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: "m", ProductID: "BTC-USD",
		Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.01")})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(v.rawOrder(m.ID)["status"]); s != `"FILLED"` {
		t.Fatalf("status of a filled new order = %s, want FILLED", s)
	}
}

func TestEditPreviewReturnsTheDocumentedFields(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	o, err := v.client.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: "e", ProductID: "BTC-USD",
		Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("40000")})
	if err != nil {
		t.Fatal(err)
	}
	code, body := v.do("POST", "/orders/edit_preview", `{"order_id":"`+o.ID+`","price":"41000","size":"0.02"}`)
	if code != 200 {
		t.Fatalf("edit_preview: %d %s", code, body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"slippage", "order_total", "commission_total", "quote_size", "base_size", "best_bid", "best_ask", "average_filled_price"} {
		if v, ok := raw[k]; !ok || !strings.HasPrefix(string(v), `"`) {
			t.Errorf("edit_preview %s = %s, want a string (body %s)", k, v, body)
		}
	}
	var p coinbase.EditPreviewResponse
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	// 0.02 x 41000 = 820, taker 0.6 % = 4.92.
	if len(p.Errors) != 0 || !p.BaseSize.Equal(d("0.02")) || !p.QuoteSize.Equal(d("820")) || !p.CommissionTotal.Equal(d("4.92")) ||
		!p.OrderTotal.Equal(d("824.92")) || !p.BestBid.Equal(d("50000")) || !p.BestAsk.Equal(d("50001")) {
		t.Fatalf("edit_preview %s", body)
	}
	_, body = v.do("POST", "/orders/edit_preview", `{"order_id":"nope","price":"41000"}`)
	if !strings.Contains(body, "ORDER_NOT_FOUND") {
		t.Fatalf("edit_preview of an unknown order: %s", body)
	}
}

func TestUnsupportedConfigurationsAreRefusedByName(t *testing.T) {
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	_, body := v.do("POST", "/orders", `{"client_order_id":"twap","product_id":"BTC-USD","side":"BUY","order_configuration":{"twap_limit_gtd":{"quote_size":"100","limit_price":"50000"}}}`)
	if !strings.Contains(body, `"success":false`) || !strings.Contains(body, "UNSUPPORTED_ORDER_CONFIGURATION") || !strings.Contains(body, "twap_limit_gtd") {
		t.Fatalf("twap order: %s, want a refusal naming twap_limit_gtd", body)
	}
	if len(v.e.Sim().Orders()) != 0 {
		t.Fatal("an unsupported configuration created an order")
	}
}

package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// keyPaths lists every key path of a JSON document: "a.b" for objects,
// "a[].b" for the elements of arrays (all elements merged).
func keyPaths(t *testing.T, doc []byte) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	out := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				out[p] = true
				walk(p, c)
			}
		case []any:
			for _, c := range x {
				walk(prefix+"[]", c)
			}
		}
	}
	walk("", v)
	return out
}

// notEmulated are key paths of the real samples the emulator leaves out,
// each for a reason: they describe futures or data a spot-only, one-
// account emulator does not have, and tradebot reads none of them.
var notEmulated = map[string]string{
	"fcm_trading_session_details":                       "futures trading sessions",
	"events[].positions.perpetual_futures_positions[].": "futures positions (beta) are always empty",
	"events[].positions.expiring_futures_positions[].":  "futures positions (beta) are always empty",
	"order.edit_history[].":                             "no edit in the compared request",
	"events[].subscriptions.market_trades":              "the sample subscribed other channels",
	"events[].subscriptions.level2":                     "the sample subscribed other channels",
	"generic_error_schema_docs":                         "not a real answer",
}

// kinds maps every key path of a JSON document to the JSON kinds of its
// values: string, number, bool, object, array (null is left out: Coinbase
// sends null for many unset values of any kind).
func kinds(t *testing.T, doc []byte) map[string]map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	out := map[string]map[string]bool{}
	add := func(p, k string) {
		if out[p] == nil {
			out[p] = map[string]bool{}
		}
		out[p][k] = true
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if prefix != "" {
				add(prefix, "object")
			}
			for k, c := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, c)
			}
		case []any:
			add(prefix, "array")
			for _, c := range x {
				walk(prefix+"[]", c)
			}
		case string:
			add(prefix, "string")
		case float64:
			add(prefix, "number")
		case bool:
			add(prefix, "bool")
		}
	}
	walk("", v)
	return out
}

// knownKindDiffs are values the emulator writes with another JSON kind
// than Coinbase. There are none: every integer Coinbase writes as a
// string (number_of_fills, heartbeat_counter, a candle's start) is a
// coinbase.StrInt, which marshals as a string.
var knownKindDiffs = map[string]bool{}

// kindDiffs returns the key paths whose values have a kind in want that
// got never uses.
func kindDiffs(t *testing.T, want, got []byte) []string {
	t.Helper()
	w, g := kinds(t, want), kinds(t, got)
	var out []string
	for p, ks := range w {
		if g[p] == nil || knownKindDiffs[p] {
			continue
		}
		for k := range ks {
			if !g[p][k] {
				out = append(out, fmt.Sprintf("%s: %s in the sample, %v here", p, k, g[p]))
			}
		}
	}
	sort.Strings(out)
	return out
}

// missingKeys returns the key paths of want that got lacks and that are
// not excused by notEmulated.
func missingKeys(t *testing.T, want, got []byte) []string {
	t.Helper()
	w, g := keyPaths(t, want), keyPaths(t, got)
	var miss []string
	for k := range w {
		if g[k] {
			continue
		}
		excused := false
		for p, why := range notEmulated {
			if why != "" && (k == p || strings.HasPrefix(k, p)) {
				excused = true
			}
		}
		if !excused {
			miss = append(miss, k)
		}
	}
	sort.Strings(miss)
	return miss
}

// TestRESTAnswersHaveTheKeysOfTheRealSamples sends, for each real sample,
// the request that produced it and checks that the emulator's answer has
// every key of the sample, recursively.
func TestRESTAnswersHaveTheKeysOfTheRealSamples(t *testing.T) {
	ctx := context.Background()
	bal := DefaultBalances()
	bal["ETH"] = d("1")
	v := startEnv(t, config{opts: Options{Balances: bal}})
	v.market("50000", "50001", "50000.5")
	v.trade("50000.25")
	cancelled, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "to-cancel", ProductID: "BTC-USD", Type: exchange.Limit,
		Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("45000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.client.CancelOrder(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	resting, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "to-edit", ProductID: "BTC-USD", Type: exchange.Limit,
		Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("45000")})
	if err != nil {
		t.Fatal(err)
	}
	gtd := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		sample, method, path, body string
		status                     int
	}{
		{"rest_best_bid_ask.json", "GET", "/best_bid_ask?product_ids=BTC-USD&product_ids=BTC-USDT", "", 200},
		{"rest_cancel.json", "POST", "/orders/batch_cancel", `{"order_ids":["` + cancelled.ID + `"]}`, 200},
		{"rest_create_order_failure.json", "POST", "/orders", `{"client_order_id":"poor","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"1000","limit_price":"45000","post_only":false}}}`, 200},
		{"rest_create_order_success.json", "POST", "/orders", `{"client_order_id":"gtc","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"0.001","limit_price":"45000","post_only":false}}}`, 200},
		{"rest_create_order_success_faq.json", "POST", "/orders", `{"client_order_id":"faq","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":"10.00"}}}`, 200},
		{"rest_create_order_success_stop_limit_gtd.json", "POST", "/orders", `{"client_order_id":"slgtd","product_id":"BTC-USD","side":"SELL","order_configuration":{"stop_limit_stop_limit_gtd":{"base_size":"0.0001","limit_price":"40000","stop_price":"41000","end_time":"` + gtd + `","stop_direction":"STOP_DIRECTION_STOP_DOWN"}}}`, 200},
		{"rest_edit_order.json", "POST", "/orders/edit", `{"order_id":"` + resting.ID + `","price":"45100","size":"0.01"}`, 200},
		{"rest_get_order.json", "GET", "/orders/historical/" + cancelled.ID, "", 200},
		{"rest_get_product.json", "GET", "/products/BTC-USD", "", 200},
		{"rest_key_permissions.json", "GET", "/key_permissions", "", 200},
		{"rest_list_accounts.json", "GET", "/accounts?limit=2", "", 200},
		{"rest_list_portfolios.json", "GET", "/portfolios", "", 200},
		{"rest_market_trades_ticker.json", "GET", "/products/BTC-USD/ticker?limit=5", "", 200},
		{"rest_product_book.json", "GET", "/product_book?product_id=BTC-USD&limit=5", "", 200},
		{"rest_server_time.json", "GET", "/time", "", 200},
		{"rest_transaction_summary.json", "GET", "/transaction_summary", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.sample, func(t *testing.T) {
			want := sharedSample(t, tc.sample)
			status, got := v.do(tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("%s %s: HTTP %d %s", tc.method, tc.path, status, got)
			}
			if miss := missingKeys(t, want, []byte(got)); len(miss) > 0 {
				t.Fatalf("the answer lacks keys of the real sample: %v\nanswer: %s", miss, got)
			}
			if diffs := kindDiffs(t, want, []byte(got)); len(diffs) > 0 {
				t.Errorf("values of another JSON kind than the sample's: %v", diffs)
			}
		})
	}
	t.Run("rest_errors_observed.json", func(t *testing.T) {
		var errs map[string]json.RawMessage
		if err := json.Unmarshal(sharedSample(t, "rest_errors_observed.json"), &errs); err != nil {
			t.Fatal(err)
		}
		status, got := v.do("GET", "/products/NOPE-USD", "")
		if status != 400 || string(must(json.Marshal(json.RawMessage(got)))) != string(must(json.Marshal(errs["400_invalid_product"]))) {
			t.Errorf("unknown product: HTTP %d %s, want 400 %s", status, got, errs["400_invalid_product"])
		}
		var text string
		json.Unmarshal(errs["401_body_text"], &text)
		status, got = v.send(must(newRequest("GET", v.e.RESTURL()+"/accounts")))
		if status != 401 || strings.TrimSpace(got) != text {
			t.Errorf("no JWT: HTTP %d %q, want 401 %q", status, got, text)
		}
	})
}

// TestWebSocketMessagesHaveTheKeysOfTheRealSamples does the same for
// every channel message.
func TestWebSocketMessagesHaveTheKeysOfTheRealSamples(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{opts: Options{HeartbeatInterval: 20 * time.Millisecond}})
	v.market("50000", "50001", "50000.5")
	if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "open", ProductID: "BTC-USD", Type: exchange.Limit,
		Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d("45000")}); err != nil {
		t.Fatal(err)
	}
	tok := func() string {
		s, err := v.creds.WSToken(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		sample, url, channel, wire string
		auth                       bool
		then                       func()
	}{
		{sample: "ws_heartbeats.json", channel: "heartbeats", wire: "heartbeats"},
		{sample: "ws_subscriptions.json", channel: "ticker", wire: "subscriptions"},
		{sample: "ws_ticker.json", channel: "ticker", wire: "ticker"},
		{sample: "ws_candles.json", channel: "candles", wire: "candles"},
		{sample: "ws_level2_snapshot.json", channel: "level2", wire: "l2_data"},
		{sample: "ws_market_trades.json", channel: "market_trades", wire: "market_trades"},
		{sample: "ws_status.json", channel: "status", wire: "status"},
		{sample: "ws_user.json", url: v.e.UserURL(), channel: "user", wire: "user", auth: true},
		{sample: "ws_level2_update.json", channel: "level2", wire: "l2_data", then: func() {
			v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("50000.2"), BidSize: d("3"), Ask: d("50001"), AskSize: d("2")})
		}},
		{sample: "ws_error_auth.json", url: v.e.UserURL(), channel: "user", wire: "error"},
	}
	for _, tc := range tests {
		t.Run(tc.sample, func(t *testing.T) {
			url := tc.url
			if url == "" {
				url = v.e.MarketDataURL()
			}
			w := v.dial(url)
			jwt := ""
			if tc.auth {
				jwt = tok()
			}
			var products []string
			if tc.channel != "heartbeats" && tc.channel != "user" && tc.channel != "status" {
				products = []string{"BTC-USD"}
			}
			w.subscribe(tc.channel, jwt, products...)
			m := w.until(tc.wire)
			if tc.then != nil {
				tc.then()
				m = w.until(tc.wire)
			}
			if miss := missingKeys(t, sharedSample(t, tc.sample), m.raw); len(miss) > 0 {
				t.Fatalf("the message lacks keys of the real sample: %v\nmessage: %s", miss, m.raw)
			}
			if diffs := kindDiffs(t, sharedSample(t, tc.sample), m.raw); len(diffs) > 0 {
				t.Errorf("values of another JSON kind than the sample's: %v", diffs)
			}
		})
	}
}

func newRequest(method, url string) (*http.Request, error) { return http.NewRequest(method, url, nil) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return v
}

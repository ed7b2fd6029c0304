package coinbase

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shopspring/decimal"
)

// fuzzDecoder checks a JSON shape: decoding never panics, and what
// decodes re-encodes to a canonical form that is stable (encode, decode,
// encode gives the same bytes), so that an emulator writing these types
// produces exactly what the client reads.
func fuzzDecoder[T any](f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add(sample(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v T
		if json.Unmarshal(b, &v) != nil {
			return
		}
		once, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode it: %v", b, err)
		}
		var w T
		if err := json.Unmarshal(once, &w); err != nil {
			t.Fatalf("own encoding %s does not decode: %v", once, err)
		}
		twice, _ := json.Marshal(w)
		if !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}

func FuzzListAccountsResponse(f *testing.F) {
	fuzzDecoder[ListAccountsResponse](f, "rest_list_accounts.json")
}
func FuzzProduct(f *testing.F) { fuzzDecoder[Product](f, "rest_get_product.json") }
func FuzzBestBidAskResponse(f *testing.F) {
	fuzzDecoder[BestBidAskResponse](f, "rest_best_bid_ask.json")
}
func FuzzProductBookResponse(f *testing.F) {
	fuzzDecoder[ProductBookResponse](f, "rest_product_book.json")
}
func FuzzMarketTradesResponse(f *testing.F) {
	fuzzDecoder[MarketTradesResponse](f, "rest_market_trades_ticker.json")
}
func FuzzServerTime(f *testing.F)     { fuzzDecoder[ServerTime](f, "rest_server_time.json") }
func FuzzKeyPermissions(f *testing.F) { fuzzDecoder[KeyPermissions](f, "rest_key_permissions.json") }
func FuzzTransactionSummary(f *testing.F) {
	fuzzDecoder[TransactionSummary](f, "rest_transaction_summary.json")
}
func FuzzListPortfoliosResponse(f *testing.F) {
	fuzzDecoder[ListPortfoliosResponse](f, "rest_list_portfolios.json")
}
func FuzzCreateOrderResponse(f *testing.F) {
	fuzzDecoder[CreateOrderResponse](f, "rest_create_order_success.json", "rest_create_order_success_faq.json",
		"rest_create_order_success_stop_limit_gtd.json", "rest_create_order_failure.json")
}
func FuzzCreateOrderRequest(f *testing.F) {
	fuzzDecoder[CreateOrderRequest](f, "rest_attached_tpsl_request.json")
}
func FuzzCancelOrdersResponse(f *testing.F) {
	fuzzDecoder[CancelOrdersResponse](f, "rest_cancel.json")
}
func FuzzEditOrderResponse(f *testing.F) { fuzzDecoder[EditOrderResponse](f, "rest_edit_order.json") }
func FuzzGetOrderResponse(f *testing.F)  { fuzzDecoder[GetOrderResponse](f, "rest_get_order.json") }
func FuzzListOrdersResponse(f *testing.F) {
	f.Add([]byte(`{"orders":[` + string(bytes.TrimPrefix(bytes.TrimSpace(sample(f, "rest_get_order.json")), []byte(`{"order":`))) + `,"sequence":"0","has_next":true,"cursor":"748478308"}`))
	fuzzDecoder[ListOrdersResponse](f)
}
func FuzzListFillsResponse(f *testing.F) {
	f.Add([]byte(`{"fills":[{"entry_id":"e","trade_id":"t","order_id":"o","trade_time":"2024-01-01T00:00:00.123Z","trade_type":"FILL","price":"100","size":"1","commission":"0.6","product_id":"BTC-USD","sequence_timestamp":"2024-01-01T00:00:00.124Z","liquidity_indicator":"TAKER","size_in_quote":false,"user_id":"u","side":"BUY"}],"cursor":"31971874"}`))
	fuzzDecoder[ListFillsResponse](f)
}
func FuzzPreviewOrderResponse(f *testing.F) {
	f.Add([]byte(`{"order_total":"100.6","commission_total":"0.6","errs":[],"warning":["UNKNOWN"],"quote_size":"100","base_size":"0.001","best_bid":"99999","best_ask":"100000","is_max":false,"preview_id":"p"}`))
	fuzzDecoder[PreviewOrderResponse](f)
}
func FuzzCandlesResponse(f *testing.F) {
	f.Add([]byte(`{"candles":[{"start":"1639508050","low":"1","high":"2","open":"1.5","close":"1.7","volume":"10"}]}`))
	fuzzDecoder[CandlesResponse](f)
}
func FuzzErrorBody(f *testing.F) {
	f.Add([]byte(`{"error":"INVALID_ARGUMENT","error_details":"ProductID is invalid","message":"ProductID is invalid"}`))
	f.Add([]byte(`{"error":"<string>","code":123,"message":"<string>","details":[{"type_url":"<string>","value":"aSDinaTvuI8gbWludGxpZnk="}]}`))
	fuzzDecoder[ErrorBody](f)
}

func FuzzWSHeader(f *testing.F) { fuzzDecoder[Header](f, "ws_error_auth.json", "ws_heartbeats.json") }
func FuzzWSHeartbeats(f *testing.F) {
	fuzzDecoder[Message[HeartbeatEvent]](f, "ws_heartbeats.json")
}
func FuzzWSSubscriptions(f *testing.F) {
	f.Add([]byte(`{"channel":"subscriptions","client_id":"","timestamp":"2026-04-07T14:30:00Z","sequence_num":0,"events":[{"subscriptions":{"level2":["BTC-USD"],"market_trades":["BTC-USD","ETH-USD"]}}]}`))
	fuzzDecoder[Message[SubscriptionsEvent]](f)
}
func FuzzWSCandles(f *testing.F) { fuzzDecoder[Message[CandlesEvent]](f, "ws_candles.json") }
func FuzzWSStatus(f *testing.F)  { fuzzDecoder[Message[StatusEvent]](f, "ws_status.json") }
func FuzzWSTicker(f *testing.F)  { fuzzDecoder[Message[TickerEvent]](f, "ws_ticker.json") }
func FuzzWSMarketTrades(f *testing.F) {
	fuzzDecoder[Message[MarketTradesEvent]](f, "ws_market_trades.json")
}
func FuzzWSLevel2(f *testing.F) {
	f.Add([]byte(l2UpdateSeed))
	fuzzDecoder[Message[L2Event]](f, "ws_level2_snapshot.json")
}
func FuzzWSSubscribeRequests(f *testing.F) {
	fuzzDecoder[[]SubscribeRequest](f, "ws_subscribe_request_examples.json")
}

// queuedUserSeed is the real sample's order as updates through QUEUED
// (accepted, not on the book yet), OPEN, EDIT_QUEUED (an edit accepted,
// not applied) and a partial fill, in the field types Coinbase writes.
const queuedUserSeed = `{"channel":"user","client_id":"","timestamp":"2024-06-21T18:29:14.1Z","sequence_num":3,"events":[` +
	`{"type":"update","orders":[{"avg_price":"0","cancel_reason":"","client_order_id":"XXX","completion_percentage":"0","cumulative_quantity":"0","filled_value":"0","leaves_quantity":"0.01","limit_price":"50000","number_of_fills":"0","order_id":"YYY","order_side":"BUY","order_type":"Limit","outstanding_hold_amount":"503","post_only":"false","product_id":"BTC-USD","product_type":"SPOT","reject_reason":"","retail_portfolio_id":"ZZZ","risk_managed_by":"UNKNOWN_RISK_MANAGEMENT_TYPE","status":"QUEUED","stop_price":"","time_in_force":"GOOD_UNTIL_CANCELLED","total_fees":"0","total_value_after_fees":"0","trigger_status":"INVALID_ORDER_TYPE","creation_time":"2024-06-21T18:29:13.909347Z","end_time":"0001-01-01T00:00:00Z","start_time":"0001-01-01T00:00:00Z"}]},` +
	`{"type":"update","orders":[{"avg_price":"0","cancel_reason":"","client_order_id":"XXX","completion_percentage":"0","cumulative_quantity":"0","filled_value":"0","leaves_quantity":"0.01","limit_price":"50000","number_of_fills":"0","order_id":"YYY","order_side":"BUY","order_type":"Limit","outstanding_hold_amount":"503","post_only":"false","product_id":"BTC-USD","product_type":"SPOT","reject_reason":"","retail_portfolio_id":"ZZZ","risk_managed_by":"UNKNOWN_RISK_MANAGEMENT_TYPE","status":"EDIT_QUEUED","stop_price":"","time_in_force":"GOOD_UNTIL_CANCELLED","total_fees":"0","total_value_after_fees":"0","trigger_status":"INVALID_ORDER_TYPE","creation_time":"2024-06-21T18:29:13.909347Z","end_time":"0001-01-01T00:00:00Z","start_time":"0001-01-01T00:00:00Z"}]},` +
	`{"type":"update","orders":[{"avg_price":"50000","cancel_reason":"","client_order_id":"XXX","completion_percentage":"40.00","cumulative_quantity":"0.004","filled_value":"200","leaves_quantity":"0.006","limit_price":"50000","number_of_fills":"1","order_id":"YYY","order_side":"BUY","order_type":"Limit","outstanding_hold_amount":"301.8","post_only":"false","product_id":"BTC-USD","product_type":"SPOT","reject_reason":"","retail_portfolio_id":"ZZZ","risk_managed_by":"UNKNOWN_RISK_MANAGEMENT_TYPE","status":"OPEN","stop_price":"","time_in_force":"GOOD_UNTIL_CANCELLED","total_fees":"0.8","total_value_after_fees":"200.8","trigger_status":"INVALID_ORDER_TYPE","creation_time":"2024-06-21T18:29:13.909347Z","end_time":"0001-01-01T00:00:00Z","start_time":"0001-01-01T00:00:00Z"}]}]}`

// FuzzWSUser decodes user messages and runs them through the fill
// derivation, which must never panic nor produce a non-positive fill.
func FuzzWSUser(f *testing.F) {
	f.Add(sample(f, "ws_user.json"))
	f.Add([]byte(queuedUserSeed))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message[UserEvent]
		if json.Unmarshal(b, &m) != nil {
			return
		}
		tr := newOrderTracker()
		for range 2 {
			for _, ev := range m.Events {
				for _, o := range ev.Orders {
					e := tr.apply(o, ev.Type == "snapshot", m.Timestamp.Time)
					if e.Fill != nil && !e.Fill.Size.IsPositive() {
						t.Fatalf("fill of size %s from %q", e.Fill.Size, b)
					}
				}
			}
		}
	})
}

// FuzzHotDecodeAgreesWithEncodingJSON holds the hand-written decoder to
// encoding/json: whatever the fast path accepts, the slow path decodes
// to the same ticks and levels.
func FuzzHotDecodeAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{"ws_ticker.json", "ws_market_trades.json", "ws_level2_snapshot.json", "ws_heartbeats.json", "ws_user.json"} {
		f.Add(sample(f, s))
	}
	f.Add([]byte(l2UpdateSeed))
	f.Add([]byte(compactTicker))
	f.Add([]byte(compactTrades))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d hotDecoder
		var fast, slow hotMessage
		fastOK := d.fast(b, benchReceived, &fast)
		slowErr := d.slow(b, benchReceived, &slow)
		if !fastOK {
			return
		}
		if slowErr != nil {
			t.Fatalf("fast path accepted %q, encoding/json refused it: %v", b, slowErr)
		}
		compareHot(t, b, &fast, &slow)
	})
}

func FuzzParseFixed(f *testing.F) {
	for _, s := range []string{"0", "68900.00", ".15", "-1.5", "0.00000000", "1e5", "123456789012345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseFixed([]byte(s))
		if !ok {
			return
		}
		d, err := parseDecString(s)
		if err != nil || !d.Equal(decimal.New(v.m, -v.scale)) {
			t.Fatalf("parseFixed(%q) = %v, decimal says %s, %v", s, v, d, err)
		}
	})
}

func FuzzParseTimeFast(f *testing.F) {
	for _, s := range []string{"2023-02-09T20:30:37.167359596Z", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59.1Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseTimeFast([]byte(s))
		if !ok {
			return
		}
		w, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !v.Equal(w) {
			t.Fatalf("parseTimeFast(%q) = %v, time.Parse says %v, %v", s, v, w, err)
		}
	})
}

// FuzzMarketSessionHandle feeds arbitrary messages, one after another,
// through the market connection's handler over a real loopback socket:
// nothing may panic, a message may at most ask to reconnect, and a book
// that emits quotes is never crossed.
func FuzzMarketSessionHandle(f *testing.F) {
	for _, s := range []string{"ws_ticker.json", "ws_market_trades.json", "ws_level2_snapshot.json", "ws_candles.json", "ws_heartbeats.json", "ws_error_auth.json", "ws_status.json"} {
		f.Add(sample(f, s))
	}
	f.Add([]byte(l2UpdateSeed))
	// The server side reads and discards the resubscriptions.
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	var col collector
	cfg := FeedConfig{Products: []string{"BTC-USD", "ETH-USDC"}, Channels: []string{ChannelLevel2, ChannelTicker, ChannelMarketTrades, ChannelCandles}}
	col.config(&cfg)
	feed, err := NewFeed(cfg)
	if err != nil {
		f.Fatal(err)
	}
	ws, _, err := feed.cfg.Dialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		f.Fatal(err)
	}
	defer ws.Close()
	m := newMarketSession(feed)
	c := &conn{ws: ws, f: feed, name: "market", lastSeq: -1}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := m.handle(b, c); err != nil {
			if _, ok := err.(errReconnect); !ok {
				t.Fatalf("handle(%q) = %v", b, err)
			}
		}
		c.lastSeq = -1
		for _, bk := range m.books {
			if !bk.stale && bk.Crossed() {
				t.Fatalf("a live book is crossed after %q", b)
			}
		}
	})
}

// FuzzSanitizeSnippet holds error excerpts of outside bodies to their
// promise: short, one line, no markup or control characters.
func FuzzSanitizeSnippet(f *testing.F) {
	f.Add([]byte("<html><head><title>429 Too Many Requests</title></head><body>\n<h1>Too Many Requests</h1></body></html>"))
	f.Add([]byte("Unauthorized"))
	f.Add(sample(f, "rest_errors_observed.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := sanitizeSnippet(b)
		if n := len([]rune(s)); n > snippetLimit+1 {
			t.Fatalf("%d runes", n)
		}
		for _, r := range s {
			if r == '<' || r == '>' || r < 0x20 || r == 0x7f {
				t.Fatalf("snippet %q holds %q", s, r)
			}
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "0", "3600", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseRetryAfter(s, now); d < 0 || d > MaxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %s", s, d)
		}
	})
}

// FuzzParsePrivateKey reads arbitrary key material: no panic, and an
// error never quotes the input, which may be a secret.
func FuzzParsePrivateKey(f *testing.F) {
	pemText, _ := newTestKey(f)
	f.Add(pemText)
	f.Add(strings.ReplaceAll(strings.TrimSpace(pemText), "\n", " "))
	f.Add("  " + strings.ReplaceAll(pemText, "\n", "\r\n  "))
	f.Add("MC4CAQAwBQYDK2VwBCIEIBqv0gMGQ8OnzQx4t4z8qfRjsS9w0p2y3qfQ0b7yL0tV")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	// Text the errors hold whatever the input: an input found in an
	// error but not in this text came from the input.
	fixedText := "coinbase credentials for key \"" + testKeyName + "\": private key is empty: neither PEM nor base64" +
		" EC PRIVATE KEY block does not parse as SEC1 PRIVATE KEY block does not parse as PKCS8" +
		" base64 of 0123456789 bytes is not an Ed25519 seed (32 or 64 bytes) 64-byte Ed25519 key whose public half does not match its seed" +
		" ECDSA curve P-224 P-384 P-521, want P-256 PKCS8 key of type is neither ECDSA P-256 nor Ed25519 PEM block is not EC PRIVATE KEY or PRIVATE KEY"
	f.Fuzz(func(t *testing.T, s string) {
		_, err := NewCredentials(testKeyName, s)
		in := strings.TrimSpace(strings.ReplaceAll(s, `\n`, "\n"))
		if err != nil && in != "" && strings.Contains(err.Error(), in) && !strings.Contains(fixedText, in) {
			t.Fatalf("error %q quotes the key %q", err, s)
		}
	})
}

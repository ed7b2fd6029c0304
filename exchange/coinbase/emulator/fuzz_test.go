package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// fuzzEmulator is an emulator that is never started: the fuzz targets
// call its decoders and handlers directly.
func fuzzEmulator(f *testing.F) (*Emulator, KeyFile) {
	f.Helper()
	k, kf, err := GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	e, err := New(Options{Keys: []Key{k}})
	if err != nil {
		f.Fatal(err)
	}
	e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("50000"), BidSize: d("1"), Ask: d("50001"), AskSize: d("1")})
	e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50000.5"), Size: d("1"), TakerSide: exchange.Buy})
	return e, kf
}

// FuzzCreateOrderBody feeds arbitrary POST /orders bodies to the real
// handler. Every answer is JSON with HTTP 200 or 400, and no client order
// id ever has two orders.
func FuzzCreateOrderBody(f *testing.F) {
	for _, name := range []string{"rest_create_order_success.json", "rest_create_order_failure.json",
		"rest_create_order_success_faq.json", "rest_create_order_success_stop_limit_gtd.json"} {
		var resp struct {
			OrderConfiguration json.RawMessage `json:"order_configuration"`
		}
		if err := json.Unmarshal(sharedSample(f, name), &resp); err != nil {
			f.Fatal(err)
		}
		f.Add(`{"client_order_id":"a","product_id":"BTC-USD","side":"BUY","order_configuration":` + string(resp.OrderConfiguration) + `}`)
		f.Add(`{"client_order_id":"b","product_id":"BTC-USD","side":"SELL","order_configuration":` + string(resp.OrderConfiguration) + `}`)
	}
	f.Add(string(sharedSample(f, "rest_attached_tpsl_request.json")))
	f.Add(`{"client_order_id":"c","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"0.001"}},"attached_order_configuration":{"trigger_bracket_gtc":{"limit_price":"55000","stop_trigger_price":"45000"}}}`)
	f.Add(`{"client_order_id":"d","product_id":"BTC-USD","side":"SELL","order_configuration":{"trigger_bracket_gtc":{"base_size":"0.001","limit_price":"55000","stop_trigger_price":"45000"}}}`)
	f.Add(`{"client_order_id":"e","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"1e999999999","limit_price":"1"},"sor_limit_ioc":{"base_size":"1"}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		// A fresh emulator each time, so that earlier inputs' orders
		// neither slow the run nor use up the funds.
		e, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("50000"), BidSize: d("1"), Ask: d("50001"), AskSize: d("1")})
		e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50000.5"), Size: d("1"), TakerSide: exchange.Buy})
		// The same body twice: the second may only find the first's order.
		for range 2 {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", RESTPath+"/orders", strings.NewReader(body))
			e.createOrder(w, r, Key{CanView: true, CanTrade: true})
			if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
				t.Fatalf("HTTP %d %s for %q", w.Code, w.Body, body)
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("answer %q is not JSON", w.Body)
			}
		}
		if n := len(e.Sim().Orders()); n > 2 { // an entry and its attached bracket
			t.Fatalf("%d orders from one body sent twice", n)
		}
	})
}

// FuzzSubscribeMessage feeds arbitrary WebSocket messages to the
// subscription handler: it must answer with a message or an error and
// never panic.
func FuzzSubscribeMessage(f *testing.F) {
	var examples []json.RawMessage
	if err := json.Unmarshal(sharedSample(f, "ws_subscribe_request_examples.json"), &examples); err != nil {
		f.Fatal(err)
	}
	for _, ex := range examples {
		f.Add(string(ex))
	}
	e, kf := fuzzEmulator(f)
	creds := mustCreds(f, kf)
	tok, err := creds.WSToken(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"type":"subscribe","channel":"user","jwt":"` + tok + `"}`)
	f.Add(`{"type":"unsubscribe","channel":"level2"}`)
	f.Fuzz(func(t *testing.T, msg string) {
		c := &wsConn{hub: e.ws, out: make(chan outMsg, outboxSize), quit: make(chan struct{}), subs: make(map[string]map[string]bool)}
		c.handleMessage([]byte(msg))
		if len(c.out) == 0 {
			t.Fatalf("no answer to %q", msg)
		}
		for len(c.out) > 0 {
			m := <-c.out
			if _, err := json.Marshal(m.events); err != nil {
				t.Fatalf("answer to %q does not marshal: %v", msg, err)
			}
		}
	})
}

// FuzzRESTJWT feeds arbitrary bearer tokens to the verifier: only the
// real key's token passes.
func FuzzRESTJWT(f *testing.F) {
	e, kf := fuzzEmulator(f)
	creds := mustCreds(f, kf)
	tok, err := creds.RESTToken("GET example.com/api/v3/brokerage/accounts", time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok[:len(tok)-3] + "AAA")
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, token string) {
		r := httptest.NewRequest("GET", "http://example.com"+RESTPath+"/accounts", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		if _, ok := e.authenticate(r, e.bearer(r)); ok && token != tok {
			t.Fatalf("token %q passed", token)
		}
	})
}

// FuzzFaultRequest feeds arbitrary bodies to the admin API.
func FuzzFaultRequest(f *testing.F) {
	f.Add(`{"rate_limit_burst":3,"delay":"1ms"}`)
	f.Add(`{"server_error_burst":2,"server_error_status":503,"sequence_gap":true}`)
	f.Add(`{"drop_every":"0s","lose_next_create":true}`)
	f.Add(`{"cancel_delay":"500ms"}`)
	e, _ := fuzzEmulator(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		e.handleFaults(w, httptest.NewRequest("POST", FaultsPath, strings.NewReader(body)))
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("HTTP %d for %q", w.Code, body)
		}
		e.Delay(0)
		e.RateLimitBurst(0)
		e.ServerErrorBurst(0, 0)
		e.DropSocketsEvery(0)
		e.CancelDelay(0)
		for e.faults.takeLoseCreate() {
		}
	})
}

func mustCreds(tb testing.TB, kf KeyFile) *coinbase.Credentials {
	tb.Helper()
	c, err := coinbase.NewCredentials(kf.Name, kf.PrivateKey)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// FuzzTickRequest feeds arbitrary bodies to POST /emulator/tick: each is
// applied or refused with 400, and the market stays sane.
func FuzzTickRequest(f *testing.F) {
	f.Add(`{"product_id":"BTC-USD","kind":"trade","price":"50000.5","size":"0.1","side":"BUY"}`)
	f.Add(`{"product_id":"BTC-USD","kind":"quote","bid":"50000","bid_size":"1","ask":"50001","ask_size":"2"}`)
	f.Add(`{"product_id":"BTC-USD","kind":"trade","price":1e99999,"size":"1","side":"SELL"}`)
	f.Add(`{"product_id":"BTC-USD","kind":"quote","bid":"1e-999999999","bid_size":"1","ask":"1e999999999","ask_size":"1"}`)
	e, _ := fuzzEmulator(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		e.handleTick(w, httptest.NewRequest("POST", TickPath, strings.NewReader(body)))
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("HTTP %d for %q", w.Code, body)
		}
		e.market.mu.Lock()
		defer e.market.mu.Unlock()
		pm := e.market.products["BTC-USD"]
		if len(pm.bids) > 0 && len(pm.asks) > 0 && !pm.bids[0].price.LessThan(pm.asks[0].price) {
			t.Fatalf("crossed book after %q", body)
		}
	})
}

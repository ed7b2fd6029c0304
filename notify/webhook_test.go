package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/notify"
	"github.com/tradebot/tradebot/position"
)

var (
	at = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	// wall is the daemon's wall clock when the events happen; in a paper
	// replay the fills' own times are the recording's, years earlier.
	wall = time.Date(2026, 12, 6, 20, 30, 1, 5e8, time.FixedZone("CET", 3600))
	fill = exchange.Fill{ProductID: "BTC-USD", Side: exchange.Buy, Price: decimal.RequireFromString("50123.45"),
		Size: decimal.RequireFromString("0.00012345"), Fee: decimal.RequireFromString("0.0371"), Liquidity: exchange.Taker,
		ClientOrderID: "tb-sma-1", Time: at}
	roundTrip = position.RoundTrip{Strategy: "sma", ProductID: "BTC-USD", EntryTime: at, ExitTime: at.Add(10 * time.Minute),
		EntryPrice: decimal.RequireFromString("50123.45"), ExitPrice: decimal.RequireFromString("49900.1"),
		Size: decimal.RequireFromString("0.00012345"), Fees: decimal.RequireFromString("0.07"),
		PnL: decimal.RequireFromString("-0.0975877"), EntryReason: "breakout", ExitReason: "stop_loss"}
)

// receiver is a webhook endpoint that records what it gets and answers
// with the statuses it is given, one per request (the last one repeats).
type receiver struct {
	mu       sync.Mutex
	bodies   [][]byte
	statuses []int
	block    chan struct{} // when set, requests wait on it
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// Reading the body to its end first lets the server notice a client
	// that gives up (it watches the connection only after the body).
	body, _ := io.ReadAll(req.Body)
	if r.block != nil {
		select {
		case <-r.block:
		case <-req.Context().Done():
			return
		}
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	status := http.StatusOK
	if n := len(r.bodies); len(r.statuses) > 0 {
		status = r.statuses[min(n, len(r.statuses))-1]
	}
	r.mu.Unlock()
	if req.Header.Get("Content-Type") != "application/json" {
		status = http.StatusUnsupportedMediaType
	}
	w.WriteHeader(status)
}

func (r *receiver) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

// start runs w until the test ends.
func start(t *testing.T, w *notify.Webhook) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// eventually polls cond for up to five seconds (delivery is asynchronous).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventsArriveAsJSONWithExactDecimals(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	w, err := notify.NewWebhook(notify.Config{URL: srv.URL + "/hook/T0KEN", Now: func() time.Time { return wall }})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	events := []notify.Event{
		notify.FillEvent("sma", fill),
		notify.ExitEvent(roundTrip),
		notify.KillSwitchEvent(true, "http"),
		notify.TradingStateEvent("ACTIVE", "HALTED", "daily_loss", "daily loss 251 reached the limit 250"),
		notify.ErrorEvent("journal write failed"),
	}
	for _, e := range events {
		if !w.Notify(e) {
			t.Fatalf("Notify(%s) = false", e.Kind)
		}
	}
	eventually(t, "five deliveries", func() bool { return len(rcv.received()) == 5 })
	// Every event has the same time base, the wall clock in UTC, whatever
	// its source's clock; a fill's and an exit's venue time is apart.
	const now = "2026-12-06T19:30:01.5Z"
	want := []map[string]string{
		{"kind": "fill", "price": "50123.45", "size": "0.00012345", "fee": "0.0371", "side": "BUY", "liquidity": "TAKER",
			"client_order_id": "tb-sma-1", "time": now, "market_time": "2026-05-06T07:08:09Z"},
		{"kind": "exit", "reason": "stop_loss", "strategy": "sma", "product": "BTC-USD", "price": "49900.1",
			"entry_price": "50123.45", "size": "0.00012345", "fee": "0.07", "pnl": "-0.0975877", "time": now,
			"market_time": "2026-05-06T07:18:09Z"},
		{"kind": "kill_switch", "state": "engaged", "reason": "http", "time": now},
		{"kind": "trading_state", "state": "HALTED", "reason": "daily_loss", "time": now},
		{"kind": "error", "text": "journal write failed", "time": now},
	}
	for i, body := range rcv.received() {
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body %d: %v: %s", i, err, body)
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("event %d: %s = %v, want %q (a decimal must arrive as a string, exactly)", i, k, got[k], v)
			}
		}
		if s, _ := got["text"].(string); s == "" {
			t.Errorf("event %d has no human-readable text", i)
		}
	}
	// The receiver has the fifth body before the sender has read its
	// answer and counted the delivery.
	eventually(t, "Delivered() = 5", func() bool { return w.Delivered() == 5 })
}

func TestDeliveryRetriesServerErrorsButNotRefusals(t *testing.T) {
	tests := []struct {
		name          string
		statuses      []int
		wantAttempts  int
		wantDelivered uint64
		wantFailed    uint64
	}{
		{"500 then 429 then 200 is retried to success", []int{500, 429, 200}, 3, 1, 0},
		{"400 is a permanent refusal", []int{400}, 1, 0, 1},
		{"404 is a permanent refusal", []int{404}, 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := &receiver{statuses: tt.statuses}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			w, err := notify.NewWebhook(notify.Config{URL: srv.URL, MaxElapsed: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			start(t, w)
			w.Notify(notify.ErrorEvent("x"))
			eventually(t, "the event settles", func() bool { return w.Delivered()+w.Failed() == 1 })
			if n := len(rcv.received()); n != tt.wantAttempts {
				t.Errorf("%d attempts, want %d", n, tt.wantAttempts)
			}
			if w.Delivered() != tt.wantDelivered || w.Failed() != tt.wantFailed {
				t.Errorf("delivered %d failed %d, want %d and %d", w.Delivered(), w.Failed(), tt.wantDelivered, tt.wantFailed)
			}
		})
	}
}

func TestNotifyNeverBlocksWhenTheWebhookHangs(t *testing.T) {
	rcv := &receiver{block: make(chan struct{})}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	defer close(rcv.block)
	w, err := notify.NewWebhook(notify.Config{URL: srv.URL, QueueSize: 4, Timeout: 100 * time.Millisecond, DrainTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	queued := 0
	for i := 0; i < 100; i++ {
		if w.Notify(notify.ErrorEvent("e")) {
			queued++
		}
	}
	// One event is in flight, at most four wait; the rest are dropped and
	// counted rather than blocking the caller.
	if queued > 5 || w.Dropped() != uint64(100-queued) {
		t.Errorf("queued %d, dropped %d of 100 with a queue of 4", queued, w.Dropped())
	}
	stop()
}

func TestTheWebhookURLNeverReachesLogs(t *testing.T) {
	const token = "xoxb-SECRET-TOKEN-123"
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/" + token
	srv.Close() // every attempt now fails with connection refused
	var logs bytes.Buffer
	w, err := notify.NewWebhook(notify.Config{
		URL: url, MaxElapsed: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	w.Notify(notify.ErrorEvent("x"))
	eventually(t, "the event fails", func() bool { return w.Failed() == 1 })
	stop() // the logger's buffer is the Run goroutine's until it returns
	if !strings.Contains(logs.String(), "webhook delivery failed") {
		t.Errorf("the failure was not logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "/services/") {
		t.Errorf("log carries the webhook URL: %s", logs.String())
	}
	if _, err := notify.NewWebhook(notify.Config{URL: "ftp://hooks.example/" + token}); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("bad URL error = %v; want an error without the URL", err)
	}
}

func TestOnlyConfiguredKindsAreSent(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	w, err := notify.NewWebhook(notify.Config{URL: srv.URL, Kinds: []notify.Kind{notify.KindKillSwitch}})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	if w.Notify(notify.ExitEvent(roundTrip)) {
		t.Error("an exit was queued although only kill_switch is configured")
	}
	if !w.Notify(notify.KillSwitchEvent(true, "signal")) {
		t.Error("the kill switch event was not queued")
	}
	stop() // the queued event is still delivered while draining
	if got := rcv.received(); len(got) != 1 || !bytes.Contains(got[0], []byte(`"kill_switch"`)) {
		t.Errorf("received %q, want the kill switch event only", got)
	}
	if _, err := notify.NewWebhook(notify.Config{URL: srv.URL, Kinds: []notify.Kind{"fills"}}); err == nil || !strings.Contains(err.Error(), `"fills"`) {
		t.Errorf("unknown kind: err = %v, want one naming it", err)
	}
}

func TestSlowAttemptsTimeOutAndAreRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	// release ends a hanging handler before the server closes, so that a
	// failing test cannot hang in srv.Close waiting for it.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			_, _ = io.ReadAll(r.Body)
			select { // hang past the client's timeout
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release)
	w, err := notify.NewWebhook(notify.Config{URL: srv.URL, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	w.Notify(notify.ErrorEvent("x"))
	eventually(t, "delivery after a timeout", func() bool { return w.Delivered() == 1 })
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("%d attempts, want 2", calls)
	}
}

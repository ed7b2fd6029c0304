package daemon

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
)

// hookReceiver is a generic JSON webhook on loopback that keeps every
// event it is sent.
type hookReceiver struct {
	mu     sync.Mutex
	events []map[string]any
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var e map[string]any
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &e) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// byKind returns the events received of kind.
func (h *hookReceiver) byKind(kind string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, e := range h.events {
		if e["kind"] == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestEveryNotificationKindArrivesWithWallClockTimes(t *testing.T) {
	const token = "T0KEN-SECRET"
	rcv := &hookReceiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	begin := time.Now()
	r := startDaemon(t, busyExample(t, 20, func(c *config.Config) {
		c.Notify.WebhookURL = config.Secret(srv.URL + "/hook/" + token)
		// Not a signal: arm logs it at ERROR, which must arrive as an
		// error event (as a refused stop or a failing journal would).
		c.KillSwitch.Signal = "SIGBOGUS"
	}))
	r.waitFor("a fill, an exit and an error notification", 60*time.Second, func() bool {
		return len(rcv.byKind("fill")) > 0 && len(rcv.byKind("exit")) > 0 && len(rcv.byKind("error")) > 0
	})
	if code, body := r.request(http.MethodPost, "/killswitch"); code != http.StatusOK {
		t.Fatalf("POST /killswitch: %d %s", code, body)
	}
	if code, body := r.request(http.MethodPost, "/killswitch?resume=true"); code != http.StatusOK {
		t.Fatalf("POST /killswitch?resume=true: %d %s", code, body)
	}
	r.waitFor("the kill switch's notifications", 10*time.Second, func() bool {
		return len(rcv.byKind("kill_switch")) == 2 && len(rcv.byKind("trading_state")) >= 2
	})
	r.stop()
	end := time.Now()

	ks := rcv.byKind("kill_switch")
	if ks[0]["state"] != "engaged" || ks[1]["state"] != "disengaged" {
		t.Errorf("kill switch events %v, want engaged then disengaged", ks)
	}
	states := rcv.byKind("trading_state")
	if states[0]["state"] != "HALTED" || states[0]["reason"] != "kill_switch" || states[1]["state"] != "ACTIVE" {
		t.Errorf("trading state events %v, want HALTED by kill_switch then ACTIVE", states)
	}
	exit := rcv.byKind("exit")[0]
	for _, k := range []string{"price", "entry_price", "size", "pnl", "fee", "reason", "strategy", "product"} {
		if s, _ := exit[k].(string); s == "" {
			t.Errorf("the exit event has no %s: %v", k, exit)
		}
	}
	if e := rcv.byKind("error")[0]; !strings.Contains(e["text"].(string), "kill switch signal") {
		t.Errorf("error event %v, want the kill switch signal's error", e)
	}

	// One time base: every event's time is the wall clock's, in UTC, while
	// fills and exits also carry the recording's time (2024).
	for _, kind := range []string{"fill", "exit", "trading_state", "kill_switch", "error"} {
		for _, e := range rcv.byKind(kind) {
			s, _ := e["time"].(string)
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil || !strings.HasSuffix(s, "Z") || at.Before(begin.Add(-time.Second)) || at.After(end.Add(time.Second)) {
				t.Errorf("%s event time %q is not the wall clock in UTC RFC 3339 during the run", kind, s)
			}
			if kind == "fill" || kind == "exit" {
				if mt, _ := e["market_time"].(string); !strings.HasPrefix(mt, "2024-") {
					t.Errorf("%s event market_time %q, want the recording's", kind, mt)
				}
			}
		}
	}
	if strings.Contains(r.log.String(), token) {
		t.Error("the log carries the webhook's token")
	}
}

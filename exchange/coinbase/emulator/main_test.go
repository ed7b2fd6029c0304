package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/internal/testenv"
)

// The emulator starts a server, WebSocket readers and writers, a replay
// and a fault timer; none may outlive its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// env is a running emulator with a real coinbase.Client signed by a key
// the emulator accepts.
type env struct {
	t      testing.TB
	e      *Emulator
	key    Key
	kf     KeyFile
	creds  *coinbase.Credentials
	client *coinbase.Client
	http   *http.Client
}

// config adjusts the options and the key of a test emulator.
type config struct {
	opts   Options
	noView bool
	noTrad bool
	client coinbase.Config
}

// startEnv starts an emulator on loopback for one test and stops it, and
// checks that it stopped, when the test ends.
func startEnv(t testing.TB, cfg config) *env {
	t.Helper()
	k, kf, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k.CanView, k.CanTrade = !cfg.noView, !cfg.noTrad
	cfg.opts.Keys = append(cfg.opts.Keys, k)
	e, err := New(cfg.opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		cancel()
		select {
		case <-e.Done():
		case <-time.After(5 * time.Second):
			t.Error("the emulator did not stop within 5s of its context ending")
		}
		hc.CloseIdleConnections()
	})
	creds, err := coinbase.NewCredentials(kf.Name, kf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.client
	cc.BaseURL, cc.Credentials, cc.HTTPClient = e.RESTURL(), creds, hc
	if cc.RetryMinDelay == 0 {
		cc.RetryMinDelay, cc.RetryMaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	if cc.RequestTimeout == 0 {
		cc.RequestTimeout = 3 * time.Second
	}
	client, err := coinbase.NewClient(cc)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, e: e, key: k, kf: kf, creds: creds, client: client, http: hc}
}

// market sets a BTC-USD quote and a last trade.
func (v *env) market(bid, ask, last string) {
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d(bid), BidSize: d("1.5"), Ask: d(ask), AskSize: d("2")})
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d(last), Size: d("0.1"), TakerSide: exchange.Buy})
}

func (v *env) trade(price string) {
	v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d(price), Size: d("0.01"), TakerSide: exchange.Sell})
}

// get sends a request signed for its own uri and returns status and body.
func (v *env) do(method, path, body string) (int, string) {
	v.t.Helper()
	req, err := http.NewRequest(method, v.e.RESTURL()+path, strings.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	u := req.URL
	tok, err := v.creds.RESTToken(coinbase.RequestURI(method, u.Host, u.Path), time.Now())
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return v.send(req)
}

func (v *env) send(req *http.Request) (int, string) {
	v.t.Helper()
	resp, err := v.http.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// ws is a raw WebSocket client of the emulator.
type ws struct {
	t testing.TB
	c *websocket.Conn
}

func (v *env) dial(url string) *ws {
	v.t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	resp.Body.Close()
	w := &ws{t: v.t, c: c}
	v.t.Cleanup(func() { c.Close() })
	return w
}

func (w *ws) subscribe(channel, jwt string, products ...string) {
	w.t.Helper()
	req := coinbase.SubscribeRequest{Type: "subscribe", Channel: channel, ProductIDs: products, JWT: jwt}
	if err := w.c.WriteJSON(req); err != nil {
		w.t.Fatal(err)
	}
}

// wsMsg is any message of the feed, with its events kept raw.
type wsMsg struct {
	Type        string            `json:"type"`
	Message     string            `json:"message"`
	Channel     string            `json:"channel"`
	SequenceNum int64             `json:"sequence_num"`
	Events      []json.RawMessage `json:"events"`
	raw         []byte
}

// next reads one message, failing the test after two seconds.
func (w *ws) next() wsMsg {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, b, err := w.c.ReadMessage()
	if err != nil {
		w.t.Fatalf("read from the emulator's WebSocket: %v", err)
	}
	var m wsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatalf("message %s: %v", b, err)
	}
	m.raw = b
	return m
}

// until reads messages until one of channel arrives, skipping heartbeats
// and others.
func (w *ws) until(channel string) wsMsg {
	w.t.Helper()
	for range 200 {
		if m := w.next(); m.Channel == channel || (channel == "error" && m.Type == "error") {
			return m
		}
	}
	w.t.Fatalf("no %s message in 200", channel)
	return wsMsg{}
}

// sharedSample reads a real payload from ../shared/coinbase/samples.
func sharedSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedFile(t, "coinbase/samples/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

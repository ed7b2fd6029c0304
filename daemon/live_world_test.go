package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/internal/emutest"
	"github.com/tradebot/tradebot/internal/tickgate"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

// liveWorld is a live daemon's world on loopback: the Coinbase emulator
// replaying the bundled BTC-USDT recording behind a gate the test can
// hold, its REST API behind a proxy that can lose orders, and a webhook
// receiving the daemon's notifications.
type liveWorld struct {
	t        *testing.T
	e        *emulator.Emulator
	market   *tickgate.Gate
	lost     *lostOrders
	restURL  string
	keyFile  string
	stateDir string
	hook     *hookReceiver
	hookURL  string
}

// newLiveWorld starts the emulator (orders fill in parts of at most
// 0.002 BTC when partialFills), the REST proxy and the webhook receiver;
// all stop when the test ends. tweaks change the emulator's options.
func newLiveWorld(t *testing.T, partialFills bool, tweaks ...func(*emulator.Options)) *liveWorld {
	t.Helper()
	k, kf, err := emulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	gate := &tickgate.Gate{}
	opts := emulator.Options{Keys: []emulator.Key{k}, RateLimits: emulator.RateLimits{Disabled: true},
		Market: &emulator.Market{Speed: 30, Loop: true, Open: func() (marketdata.TickSource, error) {
			s, err := bundled.Open()
			if err != nil {
				return nil, err
			}
			return gate.Source(s.TickStream()), nil
		}}}
	if partialFills {
		opts.PartialFills, opts.MaxFillSize = true, decimal.RequireFromString("0.002")
	}
	for _, tweak := range tweaks {
		tweak(&opts)
	}
	e := emutest.Start(t, opts, gate.Open)
	lost := &lostOrders{ids: map[string]bool{}}
	target, err := url.Parse(e.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(lost.handler(target))
	t.Cleanup(proxy.Close)
	hook := &hookReceiver{}
	hooks := httptest.NewServer(hook)
	t.Cleanup(hooks.Close)
	dir := t.TempDir()
	w := &liveWorld{t: t, e: e, market: gate, lost: lost, restURL: proxy.URL + emulator.RESTPath,
		keyFile: filepath.Join(dir, "cdp_api_key.json"), stateDir: filepath.Join(dir, "state"), hook: hook, hookURL: hooks.URL}
	if err := emulator.WriteKeyFile(w.keyFile, kf); err != nil {
		t.Fatal(err)
	}
	return w
}

// config is live trading on the world's emulator with one breakout
// instance, brk, that trades often on the recording (bars of one second
// of wall time) and places its stop as placement says (exchange or bot).
func (w *liveWorld) config(placement string) *config.Config {
	w.t.Helper()
	return w.load(w.configDoc(placement))
}

// configDoc is config's YAML, for a test that changes it.
func (w *liveWorld) configDoc(placement string) string {
	return fmt.Sprintf(`mode: live
log: {format: json, level: info}
web: {listen_address: "127.0.0.1:0"}
state_dir: %q
coinbase:
  rest_url: %s
  market_data_url: %s
  user_url: %s
  key_file: %q
notify: {webhook_url: %q}
kill_switch: {file: "", signal: none}
risk:
  time_zone: UTC
  stale_after: 30s
  limits: {max_order_notional: 2000, min_order_notional: 1, price_collar_pct: 5}
  account: {max_position_notional: 5000, max_exposure: 8000, max_open_orders: 20, max_entries_per_day: 1000,
    orders_per_second: 10, orders_per_minute: 300}
  loss:
    daily_loss: {limit: 1000, action: HALTED, resume_next_day: true}
    max_drawdown: {limit: 2000, action: HALTED}
    max_consecutive_losses: {limit: 1000, action: REDUCING}
strategies:
  - name: brk
    type: breakout
    product: BTC-USDT
    size: {base: 0.005}
    params: {entry_bars: 2, exit_bars: 2, interval: 1s}
    exits:
      placement: %s
      stop_loss: {percent: 0.1}
      take_profit:
        - {percent: 0.15, close: 1}
      stop_limit_offset_percent: 0.5
`, w.stateDir, w.restURL, w.e.MarketDataURL(), w.e.UserURL(), w.keyFile, w.hookURL+"/hook", placement)
}

// load parses a configuration document.
func (w *liveWorld) load(doc string) *config.Config {
	w.t.Helper()
	cfg, err := config.Load("tradebot.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		w.t.Fatal(err)
	}
	return cfg
}

// waitForPosition lets the market run until brk holds a position that
// the exchange's balance shows (and, with placement exchange, a stop
// resting for it), then holds the market and waits until the daemon's
// position and the exchange's balance agree and no fill comes for a
// second. It returns the position.
func (w *liveWorld) waitForPosition(r *daemonRun, restingStop bool) decimal.Decimal {
	w.t.Helper()
	r.waitFor("an open position", 90*time.Second, func() bool {
		return w.btc().IsPositive() && (!restingStop || w.restingStop() != nil)
	})
	w.market.Close()
	var pos decimal.Decimal
	r.waitFor("the daemon and the exchange to agree on the position", 20*time.Second, func() bool {
		n := len(w.e.Sim().Fills())
		time.Sleep(time.Second)
		pos = decimal.RequireFromString(r.metric(`tradebot_position_size{product="BTC-USDT",strategy="brk"}`))
		return len(w.e.Sim().Fills()) == n && pos.Equal(w.btc()) && (!restingStop || w.restingStop() != nil)
	})
	return pos
}

// btc is the emulator account's BTC, available and held.
func (w *liveWorld) btc() decimal.Decimal {
	bals, err := w.e.Sim().Balances(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, b := range bals {
		if b.Currency == "BTC" {
			return b.Total()
		}
	}
	return decimal.Zero
}

// restingStop returns the daemon's stop resting on the exchange, or nil.
func (w *liveWorld) restingStop() *exchange.Order {
	oo, err := w.e.Sim().OpenOrders(context.Background(), "BTC-USDT")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, o := range oo {
		if o.Side == exchange.Sell && o.StopPrice.IsPositive() {
			return &o
		}
	}
	return nil
}

// buyOrders counts the buy orders the exchange has had.
func (w *liveWorld) buyOrders() int {
	n := 0
	for _, o := range w.e.Sim().Orders() {
		if o.Side == exchange.Buy {
			n++
		}
	}
	return n
}

// journalFills returns the fills the daemon's journal holds, read as
// `tradebot fills` reads them, beside the running daemon.
func (w *liveWorld) journalFills() []journal.FillRecord {
	w.t.Helper()
	j, err := journal.OpenReadOnlyWith(filepath.Join(w.stateDir, "journal.db"), journal.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	defer j.Close()
	fills, err := j.Fills(time.Time{})
	if err != nil {
		w.t.Fatal(err)
	}
	return fills
}

// lostOrders forwards REST requests to the emulator, except that it
// answers Coinbase's 404 for the orders it has lost, as Coinbase would
// for an order it no longer knows.
type lostOrders struct {
	mu  sync.Mutex
	ids map[string]bool
}

// lose makes every later request for order id answer 404.
func (l *lostOrders) lose(id string) {
	l.mu.Lock()
	l.ids[id] = true
	l.mu.Unlock()
}

func (l *lostOrders) handler(target *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		// The request's JWT was signed for the proxy's host.
		r.Out.Host = r.In.Host
	}}
	prefix := emulator.RESTPath + "/orders/historical/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, prefix); ok {
			l.mu.Lock()
			lost := l.ids[id]
			l.mu.Unlock()
			if lost {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintln(w, `{"error":"NOT_FOUND","error_details":"order with this orderID was not found","message":"order with this orderID was not found"}`)
				return
			}
		}
		rp.ServeHTTP(w, r)
	})
}

package daemon

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/risk"
)

// feedHealth is what live trading knows of what it can see: whether the
// user channel is up and caught up (its missed messages fetched over
// REST), when each product's last tick arrived, and whether Coinbase
// refused the key. It pauses entries while fills cannot be seen
// (risk.Guard.SetOrderUpdatesUnseen), halts them when the key is refused
// (risk.RuleAuth), and tells /readyz. Its methods are called from the
// feed's goroutines, the reconciler, the REST client's callers and the
// HTTP server.
type feedHealth struct {
	guard      *risk.Guard
	staleAfter time.Duration
	// lastTick is each product's last tick receipt, Unix nanoseconds;
	// the map is read-only after init.
	lastTick map[string]*atomic.Int64
	// catchingUp is set for each product from the market connection's
	// loss until the product's first tick after it: until then its last
	// price is older than it looks (the ticks in between are lost), and
	// the guard refuses its entries (risk.Guard.SetResyncing). The map is
	// read-only after init.
	catchingUp map[string]*atomic.Bool
	// started is when the feed started, for products without a tick yet.
	started atomic.Int64

	mu sync.Mutex
	// userUp is set while the user connection delivers; guarded by mu.
	userUp bool
	// requested counts resyncs asked for, done the last one a completed
	// reconciliation covered; guarded by mu.
	requested, done uint64
	// keyRejected says where Coinbase last refused the key, or is empty;
	// guarded by mu.
	keyRejected string
	// authArmed is set once start-up is over: a refusal before (at the
	// key check) ends the start instead of halting.
	authArmed atomic.Bool
}

func (h *feedHealth) init(cfg *config.Config, guard *risk.Guard) {
	h.guard = guard
	h.staleAfter = cfg.Risk.StaleAfter
	if h.staleAfter <= 0 {
		h.staleAfter = 30 * time.Second
	}
	h.lastTick = map[string]*atomic.Int64{}
	h.catchingUp = map[string]*atomic.Bool{}
	for _, s := range cfg.Strategies {
		h.lastTick[s.Product] = &atomic.Int64{}
		h.catchingUp[s.Product] = &atomic.Bool{}
	}
	h.started.Store(time.Now().UnixNano())
	// Until the user channel has delivered and been reconciled, fills
	// cannot be seen.
	h.requested = 1
	h.apply()
}

// tick wraps the engine's OnTick to note each product's last tick.
func (h *feedHealth) tick(next func(exchange.Tick)) func(exchange.Tick) {
	return func(t exchange.Tick) {
		if at := h.lastTick[t.ProductID]; at != nil {
			at.Store(t.Received.UnixNano())
		}
		// The first tick after a reconnect: the price is current again,
		// before this tick is the one that decides an entry.
		if c := h.catchingUp[t.ProductID]; c != nil && c.Load() && c.CompareAndSwap(true, false) {
			h.guard.SetResyncing(t.ProductID, false)
		}
		next(t)
	}
}

// connection is the feed's OnConnection.
func (h *feedHealth) connection(feed string, up bool) {
	if feed == "market" {
		if !up {
			// Until each product's next tick (tick): a timer's entry (a
			// dca buy) would otherwise be judged at the price from
			// before the loss, up to stale_after old.
			for product, c := range h.catchingUp {
				c.Store(true)
				h.guard.SetResyncing(product, true)
			}
		}
		return
	}
	if feed != "user" {
		return
	}
	h.mu.Lock()
	h.userUp = up
	h.mu.Unlock()
	h.apply()
}

// resyncRequested notes that the user channel may have lost messages.
func (h *feedHealth) resyncRequested(string) {
	h.mu.Lock()
	h.requested++
	h.mu.Unlock()
	h.apply()
}

// resyncStarted returns the resync generation a reconciliation starting
// now covers.
func (h *feedHealth) resyncStarted() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requested
}

// resyncDone notes that a reconciliation that started at generation gen
// completed.
func (h *feedHealth) resyncDone(gen uint64) {
	h.mu.Lock()
	h.done = max(h.done, gen)
	h.mu.Unlock()
	h.apply()
}

// resyncPending reports whether a resync still waits for a complete
// reconciliation.
func (h *feedHealth) resyncPending() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.done < h.requested
}

// seeing reports whether the user channel is up and caught up, so that
// whatever it does not say is news.
func (h *feedHealth) seeing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.unseen() == ""
}

// unseen says why fills cannot be seen now, or "". Called with mu held.
func (h *feedHealth) unseen() string {
	switch {
	case !h.userUp:
		return "the user channel is down"
	case h.done < h.requested:
		return "the user channel is resyncing over REST"
	}
	return ""
}

// apply tells the guard whether entries must wait.
func (h *feedHealth) apply() {
	h.mu.Lock()
	why := h.unseen()
	h.mu.Unlock()
	h.guard.SetOrderUpdatesUnseen(why)
}

// armAuth makes a refused key halt entries from now on.
func (h *feedHealth) armAuth() { h.authArmed.Store(true) }

// rejected notes that Coinbase refused the key (where: "REST" or "the
// user channel"), and halts entries once start-up is over.
func (h *feedHealth) rejected(where string) {
	if !h.authArmed.Load() {
		return
	}
	h.mu.Lock()
	first := h.keyRejected == ""
	h.keyRejected = where
	h.mu.Unlock()
	if first {
		h.guard.HaltFor(risk.RuleAuth, keyRejectedAdvice(where))
	}
}

// accepted notes a request Coinbase authenticated: the key works again
// (trading stays HALTED until an operator resumes it).
func (h *feedHealth) accepted() {
	h.mu.Lock()
	h.keyRejected = ""
	h.mu.Unlock()
}

// keyRejectedAdvice says what to check when Coinbase answers 401 or
// refuses a WebSocket subscription's JWT in the middle of a run: where,
// and the key doctor's checklist (coinbase.UnauthorizedChecklist).
func keyRejectedAdvice(where string) string {
	return "Coinbase refused the API key on " + where + ". " + coinbase.UnauthorizedChecklist()
}

// problems lists what /readyz must report: a stale market feed, a user
// channel down or resyncing, a refused key.
func (h *feedHealth) problems(now time.Time) []error {
	var out []error
	for product, at := range h.lastTick {
		last := at.Load()
		if last == 0 {
			if age := now.Sub(time.Unix(0, h.started.Load())); age > h.staleAfter {
				out = append(out, fmt.Errorf("no market data for %s in %s", product, age.Round(time.Second)))
			}
			continue
		}
		if age := now.Sub(time.Unix(0, last)); age > h.staleAfter {
			out = append(out, fmt.Errorf("the %s market feed is stale: last tick %s ago, above stale_after %s",
				product, age.Round(time.Second), h.staleAfter))
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if why := h.unseen(); why != "" {
		out = append(out, fmt.Errorf("%s: fills cannot be seen, entries wait", why))
	}
	if h.keyRejected != "" {
		out = append(out, fmt.Errorf("the exchange refused the API key on %s", h.keyRejected))
	}
	return out
}

// authWatch is the Coinbase observer of live trading: the metrics, a
// refused key (HTTP 401, or a WebSocket subscription refused for
// authentication) noted in feedHealth, and whether Coinbase answers at all
// (a bot-watched stop cannot act through a venue that does not).
type authWatch struct {
	coinbaseObserver
	l *live
}

func (a authWatch) ObserveRequest(endpoint string, status int, d time.Duration) {
	a.coinbaseObserver.ObserveRequest(endpoint, status, d)
	if eng := a.l.reach.Load(); eng != nil {
		eng.SetVenueReachable(status > 0)
	}
	switch {
	case status == 401:
		a.l.feeds.rejected("REST (" + endpoint + ")")
	case status > 0 && status < 400:
		a.l.feeds.accepted()
	}
}

func (a authWatch) Reconnect(feed, reason string) {
	a.coinbaseObserver.Reconnect(feed, reason)
	if reason == "auth_failure" {
		a.l.feeds.rejected(strings.ToLower("the " + feed + " WebSocket channel"))
	}
}

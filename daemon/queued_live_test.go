package daemon

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/journal"
)

// journalHistories returns every order the journal holds with the
// statuses it recorded for it, oldest first.
func (w *liveWorld) journalHistories() map[journal.OrderRecord][]exchange.OrderStatus {
	w.t.Helper()
	j, err := journal.OpenReadOnlyWith(filepath.Join(w.stateDir, "journal.db"), journal.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	defer j.Close()
	orders, err := j.Orders(journal.OrderFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[journal.OrderRecord][]exchange.OrderStatus{}
	for _, o := range orders {
		h, err := j.OrderHistory(o.Order.ClientOrderID)
		if err != nil {
			w.t.Fatal(err)
		}
		var sts []exchange.OrderStatus
		for _, c := range h {
			sts = append(sts, c.Status)
		}
		out[o] = sts
	}
	return out
}

// sawQueuedThen reports whether an order of purpose went through QUEUED
// and later showed then.
func sawQueuedThen(hist map[journal.OrderRecord][]exchange.OrderStatus, purpose exchange.Purpose, then exchange.OrderStatus) bool {
	for o, sts := range hist {
		if o.Purpose != purpose {
			continue
		}
		queued := false
		for _, s := range sts {
			if s == exchange.StatusQueued {
				queued = true
			}
			if queued && s == then {
				return true
			}
		}
	}
	return false
}

// stopOrders returns the sell orders with a stop the daemon has placed on
// the exchange, whatever their state.
func (w *liveWorld) stopOrders() []exchange.Order {
	var out []exchange.Order
	for _, o := range w.e.Sim().Orders() {
		if o.Side == exchange.Sell && o.StopPrice.IsPositive() {
			out = append(out, o)
		}
	}
	return out
}

// waitForIdlePass waits until the loop of the instance name has taken
// its idle timer twice since the call: a whole idle pass (protection
// checked, time stops, the report) began and ended after it, and the
// mailbox's messages from before it were taken, so that what the loop
// would do on its own with no tick coming is done. The loop's stamps are
// read from tradebot_loop_last_turn_age_seconds: a page collected
// between sent and received with age a shows a stamp between sent-a and
// received-a.
func (r *daemonRun) waitForIdlePass(name string) {
	r.t.Helper()
	series := fmt.Sprintf(`tradebot_loop_last_turn_age_seconds{strategy="%s"}`, name)
	stamp := func() (earliest, latest time.Time) {
		sent := time.Now()
		v := r.metric(series)
		received := time.Now()
		seconds, err := strconv.ParseFloat(v, 64)
		if err != nil {
			r.t.Fatalf("%s = %q: %v", series, v, err)
		}
		age := time.Duration(seconds * float64(time.Second))
		return sent.Add(-age), received.Add(-age)
	}
	since := time.Now()
	for turn := 1; turn <= 2; turn++ {
		r.waitFor(fmt.Sprintf("turn %d of the loop of %s after %s", turn, name, since.Format("15:04:05.000")), 30*time.Second, func() bool {
			earliest, latest := stamp()
			if earliest.After(since) {
				since = latest
				return true
			}
			return false
		})
	}
}

// Coinbase accepts orders it cannot place at once as QUEUED. Against the
// emulator queuing every new order for a second: the entry is waited for
// (QUEUED, then FILLED) and protected once it fills; the protective stop
// is QUEUED first and not sent again while it waits, across a restart of
// the daemon, and counts as resting once it is on the book. The journal
// records each order's QUEUED state.
func TestQueuedEntryAndStopAreWaitedForAcrossARestartWithoutDuplicates(t *testing.T) {
	w := newLiveWorld(t, false, func(o *emulator.Options) { o.QueueFor = time.Second })
	// Exits only by the stop and the take-profit: a strategy exit would
	// replace the stop by a market sell before the test looks at it.
	doc := w.configDoc("exchange")
	if !strings.Contains(doc, "exit_bars: 2") {
		t.Fatal("the live world's configuration changed: no exit_bars: 2 to replace")
	}
	cfg := w.load(strings.Replace(doc, "exit_bars: 2", "exit_bars: 0", 1))
	r := startDaemon(t, cfg)
	r.waitFor("a position and its stop order on the exchange", 120*time.Second, func() bool {
		return w.btc().IsPositive() && len(w.stopOrders()) > 0
	})
	// Hold the market: nothing leaves the queue without a tick, so the
	// stop stays QUEUED for as long as the test needs.
	w.market.Close()
	stops := w.stopOrders()
	if len(stops) != 1 || stops[0].Status != exchange.StatusQueued {
		t.Fatalf("stop orders %+v, want one, QUEUED", stops)
	}
	r.waitFor("the journal to record the entry QUEUED then FILLED and the stop QUEUED", 20*time.Second, func() bool {
		h := w.journalHistories()
		return sawQueuedThen(h, exchange.Entry, exchange.StatusFilled) && sawQueuedThen(h, exchange.Exit, exchange.StatusQueued)
	})

	// A restart while the stop waits: the shutdown says the stop is not
	// on the book yet; the new run finds it and sends no second one.
	r.stop()
	if !strings.Contains(r.log.String(), "QUEUED") {
		t.Errorf("the shutdown did not name the queued stop:\n%s", r.log.String())
	}
	r = startDaemon(t, cfg)
	r.waitFor("the restarted daemon to reconcile with the exchange", 30*time.Second, func() bool {
		for _, rec := range r.records() {
			if rec["msg"] == "reconciled orders with Coinbase" && rec["reason"] == "connect" {
				return true
			}
		}
		return false
	})
	// The stop's state applied, a second stop would go out at the latest
	// in the idle pass that follows (no tick comes).
	r.waitForIdlePass("brk")
	if got := w.stopOrders(); len(got) != 1 || got[0].ID != stops[0].ID {
		t.Fatalf("stop orders after the restart %+v, want the one queued before", got)
	}

	// One tick of the last price: the stop reaches the book and is the
	// position's resting protection.
	last := w.e.Sim().LastTrade("BTC-USDT")
	w.e.Tick(exchange.Tick{ProductID: "BTC-USDT", Kind: exchange.TradeTick, Price: last, Size: decimal.RequireFromString("0.0001"),
		TakerSide: exchange.Buy})
	r.waitFor("the stop to rest and the daemon to know it", 20*time.Second, func() bool {
		h := w.journalHistories()
		o, _ := w.e.Sim().Order(stops[0].ID)
		return o.Status == exchange.StatusOpen && sawQueuedThen(h, exchange.Exit, exchange.StatusOpen)
	})
	if got := r.metric("tradebot_positions_unprotected"); got != "0" {
		t.Errorf("positions_unprotected = %s with the stop resting", got)
	}
	if got := w.stopOrders(); len(got) != 1 {
		t.Fatalf("stop orders %+v, want one", got)
	}
	for id, n := range w.e.Stats().OrdersPerClientID {
		if n > 1 {
			t.Errorf("client order id %s has %d orders", id, n)
		}
	}
}

// A stop whose order waits QUEUED (the product in auction mode) does not
// protect: when the price reaches it the daemon cancels the queued order
// and sells at market, once; the sale, queued by the auction too, fills
// when the auction ends.
func TestStopReachedWhileItsOrderIsQueuedInAnAuctionSellsAtMarketOnce(t *testing.T) {
	w := newLiveWorld(t, false, func(o *emulator.Options) { o.QueueFor = time.Second })
	doc := w.configDoc("exchange")
	r := startDaemon(t, w.load(strings.Replace(doc, "exit_bars: 2", "exit_bars: 0", 1)))
	r.waitFor("a position and its stop order on the exchange", 120*time.Second, func() bool {
		return w.btc().IsPositive() && len(w.stopOrders()) > 0
	})
	w.market.Close()
	if err := w.e.AuctionMode("BTC-USDT", true); err != nil {
		t.Fatal(err)
	}
	stops := w.stopOrders()
	if len(stops) != 1 || stops[0].Status != exchange.StatusQueued {
		t.Fatalf("stop orders %+v, want one, QUEUED", stops)
	}
	// The one tick below comes once the daemon knows the stop waits: a
	// tick while its placement is still in flight is not the case tested,
	// and with the market held no other tick would come.
	r.waitFor("the journal to record the stop QUEUED", 20*time.Second, func() bool {
		return sawQueuedThen(w.journalHistories(), exchange.Exit, exchange.StatusQueued)
	})
	held := w.btc()
	below := stops[0].StopPrice.Mul(decimal.RequireFromString("0.995")).Round(2)
	w.e.Tick(exchange.Tick{ProductID: "BTC-USDT", Kind: exchange.TradeTick, Price: below, Size: decimal.RequireFromString("0.0001"),
		TakerSide: exchange.Sell})
	var market exchange.Order
	r.waitFor("the queued stop cancelled and a market sell queued", 20*time.Second, func() bool {
		o, _ := w.e.Sim().Order(stops[0].ID)
		n := 0
		for _, x := range w.e.Sim().Orders() {
			if x.Side == exchange.Sell && x.Type == exchange.Market {
				market, n = x, n+1
			}
		}
		return o.Status == exchange.StatusCancelled && n == 1 && market.Status == exchange.StatusQueued
	})
	if !market.BaseSize.Equal(held) {
		t.Errorf("market sell of %s, %s held", market.BaseSize, held)
	}
	r.waitForIdlePass("brk") // a second exit would go out now: no tick comes
	if err := w.e.AuctionMode("BTC-USDT", false); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the position sold and the daemon flat", 20*time.Second, func() bool {
		return w.btc().IsZero() && r.metric(`tradebot_position_size{product="BTC-USDT",strategy="brk"}`) == "0"
	})
	sells := 0
	for _, x := range w.e.Sim().Orders() {
		if x.Side == exchange.Sell {
			sells++
		}
	}
	if sells != 2 {
		t.Errorf("%d sell orders, want the stop and one market sell", sells)
	}
	for id, n := range w.e.Stats().OrdersPerClientID {
		if n > 1 {
			t.Errorf("client order id %s has %d orders", id, n)
		}
	}
}

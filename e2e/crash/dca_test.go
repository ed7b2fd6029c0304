package crash

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

// dcaStrategies is the dca world's one instance: a scheduled buy of 100
// USD every minute (the shortest period dca takes), up to 2 safety buys
// 1 % under the average entry (150 then 225 USD: they fill in two or
// more parts of at most 0.002 BTC), sold at 1 % over it; a stop-limit
// 5 % under the average entry rests on the exchange.
const dcaStrategies = `  - name: dca
    type: dca
    product: BTC-USD
    size: {quote: 100}
    params: {every: 1m, order_quote: 100, safety_orders: 2, safety_step_percent: 1, safety_scale: 1.5, take_profit_percent: 1}
    exits:
      placement: exchange
      stop_loss: {percent: 5}
      stop_limit_offset_percent: 0.5
`

// dcaEvery and dcaSafetyOrders are dcaStrategies' every and
// safety_orders.
const (
	dcaEvery        = time.Minute
	dcaSafetyOrders = 2
)

// scriptedMarket is a BTC-USD market whose price the test sets: a best
// bid and ask a cent either side of it and a trade at it every 50 ms.
// dca's moments (a safety buy resting, filling, the take-profit) come
// when the price says so, not when a recording happens to, so that the
// kills land on each of them in a test of two or three minutes.
type scriptedMarket struct {
	mu    sync.Mutex
	price decimal.Decimal
}

func (m *scriptedMarket) set(p decimal.Decimal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.price = p.Round(2)
}

func (m *scriptedMarket) get() decimal.Decimal {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.price
}

// scriptedTicks is one replay of a scriptedMarket: a quote or a trade
// every 25 ms, alternately. It paces itself (the emulator replays it
// unpaced and stamps the ticks with its clock), so that each tick has
// the price as it is when the tick is due: an order filling in parts
// stops filling at the first tick after the price moves away.
type scriptedTicks struct {
	m     *scriptedMarket
	trade bool
}

func (s *scriptedTicks) Next() (exchange.Tick, error) {
	time.Sleep(25 * time.Millisecond)
	p := s.m.get()
	s.trade = !s.trade
	if s.trade {
		return exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: p,
			Size: decimal.RequireFromString("0.01"), TakerSide: exchange.Sell}, nil
	}
	cent, one := decimal.New(1, -2), decimal.NewFromInt(1)
	return exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: p.Sub(cent), BidSize: one,
		Ask: p.Add(cent), AskSize: one}, nil
}

func dcaMarket(m *scriptedMarket) market {
	return market{
		open: func() (marketdata.TickSource, error) {
			return &scriptedTicks{m: m}, nil
		},
		speed: 0, strategies: dcaStrategies, instances: []instance{{"dca", "BTC-USD"}},
	}
}

// safetyWatch polls the emulator's open orders every 5 ms while the test
// runs and keeps the most limit buys (dca's safety buys) it saw resting
// at once.
type safetyWatch struct {
	mu   sync.Mutex
	most []exchange.Order
	stop chan struct{}
	done chan struct{}
}

func watchSafetyBuys(w *world) *safetyWatch {
	sw := &safetyWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sw.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sw.stop:
				return
			case <-tick.C:
			}
			open, _ := w.emu.Sim().OpenOrders(w.t.Context(), "BTC-USD")
			buys := slices.DeleteFunc(open, func(o exchange.Order) bool { return !isSafetyBuy(o) })
			sw.mu.Lock()
			if len(buys) > len(sw.most) {
				sw.most = buys
			}
			sw.mu.Unlock()
		}
	}()
	w.t.Cleanup(func() { sw.end() })
	return sw
}

// end stops the watch and returns the most safety buys seen at once.
func (sw *safetyWatch) end() []exchange.Order {
	select {
	case <-sw.stop:
	default:
		close(sw.stop)
	}
	<-sw.done
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.most
}

func isSafetyBuy(o exchange.Order) bool { return o.Side == exchange.Buy && o.Type == exchange.Limit }

func isScheduledBuy(o exchange.Order) bool {
	return o.Side == exchange.Buy && o.Type == exchange.Market
}

func isTakeProfit(o exchange.Order) bool { return o.Side == exchange.Sell && o.Type == exchange.Market }

// newOrder matches an order the emulator does not hold yet that match
// accepts.
func newOrder(w *world, match func(exchange.Order) bool) func(exchange.Order) bool {
	seen := map[string]bool{}
	for _, o := range w.emu.Sim().Orders() {
		seen[o.ID] = true
	}
	return func(o exchange.Order) bool { return !seen[o.ID] && match(o) }
}

// killAt kills d with SIGKILL as soon as the emulator holds an order
// that match accepts (polled every 2 ms), and returns that order as the
// emulator holds it after the kill. Meanwhile what the emulator sends
// the daemon comes 300 ms late (proxy.setLag), so that the daemon dies
// before it hears of the order: of its answer, its fills, its state on
// the user channel. It fails the test if no such order comes within the
// time given, or if d exits.
func killAt(t *testing.T, w *world, d *daemon, what string, within time.Duration, match func(exchange.Order) bool) exchange.Order {
	t.Helper()
	w.proxy.setLag(300 * time.Millisecond)
	defer w.proxy.setLag(0)
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if d.exited() {
			t.Fatalf("waiting for %s, run %d exited on its own: %v\n%s", what, w.runs, d.err, tail(d.logText(), 40))
		}
		for _, o := range w.emu.Sim().Orders() {
			if match(o) {
				d.kill()
				w.emu.KeepCreateResponses()
				t.Logf("run %d killed at %s: %s %s %s, filled %s, %s", w.runs, what, o.Side, o.Type, o.ClientOrderID, o.FilledSize, o.Status)
				return emuOrder(w, o.ID)
			}
		}
	}
	d.kill()
	t.Fatalf("%s: not on the emulator within %s; run %d's log:\n%s", what, within, w.runs, tail(d.logText(), 40))
	return exchange.Order{}
}

// emuOrder returns the emulator's order id as it is now.
func emuOrder(w *world, id string) exchange.Order {
	for _, o := range w.emu.Sim().Orders() {
		if o.ID == id {
			return o
		}
	}
	w.t.Fatalf("the emulator has no order %s", id)
	return exchange.Order{}
}

// startRecovered starts the daemon and waits for its recovery.
func startRecovered(t *testing.T, w *world) *daemon {
	t.Helper()
	d := w.start()
	if !d.waitLog(recovered, 30*time.Second) {
		d.kill()
		t.Fatalf("run %d did not recover within 30 s:\n%s", w.runs, tail(d.logText(), 40))
	}
	return d
}

// waitFor polls cond every 10 ms for at most within.
func waitFor(within time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// restingSafetyBuys returns the limit buys open on the emulator.
func restingSafetyBuys(w *world) []exchange.Order {
	open, err := w.emu.Sim().OpenOrders(w.t.Context(), "BTC-USD")
	if err != nil {
		w.t.Fatal(err)
	}
	return slices.DeleteFunc(open, func(o exchange.Order) bool { return !isSafetyBuy(o) })
}

// minBTC is BTC-USD's base_min_size on the emulator: a smaller position
// cannot be sold.
var minBTC = decimal.New(1, -5)

// cycleAverage is the average price paid for the BTC the account holds
// since it was last flat (fees left out), from the emulator's fills.
func cycleAverage(w *world) decimal.Decimal {
	held, paid := decimal.Zero, decimal.Zero
	for _, f := range w.emu.Sim().Fills() {
		if f.Side == exchange.Buy {
			held, paid = held.Add(f.Size), paid.Add(f.Value())
			continue
		}
		// A sale sells at the average: what is paid for the rest stays
		// in proportion.
		if rest := held.Sub(f.Size); rest.IsPositive() {
			paid = paid.Mul(rest).Div(held)
			held = rest
		} else {
			held, paid = decimal.Zero, decimal.Zero
		}
	}
	if !held.IsPositive() {
		w.t.Fatal("the account holds no BTC: no cycle is open")
	}
	return paid.Div(held)
}

// TestKilledDCAKeepsItsCycle kills a dca instance at the moments its
// recovery must get right, on a market the test moves, and restarts it
// each time on the same state_dir:
//
//  1. right after safety buy 1 reaches the emulator (placed as the first
//     scheduled buy filled), before the daemon journaled its id;
//  2. while safety buy 1 rests: the next run must keep it (or adopt it),
//     not place a second;
//  3. at safety buy 1's first partial fill (the price then back over it,
//     so that the rest rests on);
//  4. right after safety buy 2 reaches the emulator, placed as the rest
//     of safety buy 1 filled;
//  5. once safety buy 2 filled: the cycle's safety buys are used up, and
//     the next run places none while the price falls 2.5 % under the
//     average entry;
//  6. right after the take-profit's sale reaches the emulator: the next
//     run sells what is left and ends the cycle, once;
//  7. right after the next scheduled buy reaches the emulator, its answer
//     lost: the next run must not place it again, and must rest the new
//     cycle's safety buy 1 (the old cycle's end, seen at a trade, was
//     not journaled yet).
//
// Throughout, a watch of the emulator's open orders fails the test if
// two safety buys ever rest at once; after a final clean stop, the
// emulator must hold no two scheduled buys less than a period apart and
// no cycle with more than safety_orders safety buys filled, and
// compareBooks checks the journal against the emulator (no fill lost,
// no id reused, the PnL, the position protected).
//
// The risk guard refuses entries at the first trades after a start,
// before the user channel is reconciled; a dca asks again for what it
// refused (step 7's restart needs it: the new cycle's safety buy 1).
//
// A dca's schedule starts anew with each run, a period (at least a
// minute) after its start, so the test takes over two minutes, most of
// it waiting: it runs beside TestKilledDaemonKeepsTheBooks (both
// parallel).
func TestKilledDCAKeepsItsCycle(t *testing.T) {
	skipShort(t)
	t.Parallel()
	m := &scriptedMarket{}
	m.set(decimal.NewFromInt(61000))
	w := newWorldOf(t, dcaMarket(m))
	watch := watchSafetyBuys(w)
	hundred := decimal.NewFromInt(100)

	// 1. The first scheduled buy, a period after the start, and safety
	// buy 1 as it fills.
	d := w.start()
	safety1 := killAt(t, w, d, "safety buy 1 placed", dcaEvery+30*time.Second, newOrder(w, isSafetyBuy))

	// 2. Restarted: safety buy 1 is kept, not placed again.
	d = startRecovered(t, w)
	time.Sleep(1500 * time.Millisecond)
	d.kill()
	if rest := restingSafetyBuys(w); len(rest) != 1 || rest[0].ID != safety1.ID {
		t.Errorf("after a restart with safety buy 1 resting: %s rest, want only %s", describeBuys(rest), safety1.ClientOrderID)
	}

	// 3. Restarted, the price falls through safety buy 1 (150 USD: it
	// fills in parts of at most 0.002 BTC, a tick apart) and goes back
	// over it as soon as the first part fills.
	d = startRecovered(t, w)
	m.set(safety1.LimitPrice.Sub(hundred))
	killAt(t, w, d, "safety buy 1's first fill", 30*time.Second, func(o exchange.Order) bool {
		if o.ID != safety1.ID || !o.FilledSize.IsPositive() {
			return false
		}
		m.set(safety1.LimitPrice.Add(hundred))
		return true
	})

	// 4. Restarted: the safety buy filled in part rests on; the price
	// falls through it again, and safety buy 2 rests as it fills.
	d = startRecovered(t, w)
	time.Sleep(time.Second)
	if rest := restingSafetyBuys(w); len(rest) != 1 || rest[0].ID != safety1.ID {
		t.Errorf("after a restart with safety buy 1 filled in part: %s rest, want only %s", describeBuys(rest), safety1.ClientOrderID)
	}
	m.set(safety1.LimitPrice.Sub(hundred))
	safety2 := killAt(t, w, d, "safety buy 2 placed", 30*time.Second, newOrder(w, isSafetyBuy))
	// Safety buy n spends order_quote × safety_scale^n: a restart that
	// lost count of the safety buys filled would place the first again.
	wantSpend(t, safety1, "150", "safety buy 1")
	wantSpend(t, safety2, "225", "safety buy 2")

	// 5. Restarted: safety buy 2 is kept; the price falls through it.
	// Then, its safety buys used up, the cycle places none while the
	// price falls 2.5 % under the average entry.
	d = startRecovered(t, w)
	m.set(safety2.LimitPrice.Sub(hundred))
	killAt(t, w, d, "safety buy 2 filled", 30*time.Second, func(o exchange.Order) bool {
		return o.ID == safety2.ID && o.Status == exchange.StatusFilled
	})
	d = startRecovered(t, w)
	avg := cycleAverage(w)
	m.set(avg.Mul(decimal.RequireFromString("0.975")))
	time.Sleep(2 * time.Second)
	if rest := restingSafetyBuys(w); len(rest) > 0 {
		t.Errorf("after %d safety buys filled, %s rest 2.5 %% under the average entry %s", dcaSafetyOrders, describeBuys(rest), avg)
	}

	// 6. The take-profit: the price 2 % over the average entry (1 %, and
	// the entry fees).
	m.set(avg.Mul(decimal.RequireFromString("1.02")))
	killAt(t, w, d, "the take-profit's sale", 30*time.Second, newOrder(w, isTakeProfit))
	d = startRecovered(t, w)
	if !waitFor(20*time.Second, func() bool { return heldBTC(w).LessThan(minBTC) }) {
		d.kill()
		t.Fatalf("the take-profit did not sell the whole position after the restart (%s BTC held):\n%s", heldBTC(w), tail(d.logText(), 40))
	}
	if held := heldBTC(w); held.IsPositive() {
		// The sales fill 0.002 BTC at a time, each one's rest cancelled:
		// what is left under the minimum order size no sale can sell.
		// dca ends its cycle with such dust (docs/STRATEGIES.md, 2.2),
		// but this test's final check counts each cycle's safety buys
		// from flat to flat, which dust would run together. The prices
		// above leave none.
		t.Fatalf("the take-profit left %s BTC, under the minimum order size: the test's cycles would run together", held)
	}
	if rest := restingSafetyBuys(w); len(rest) > 0 {
		t.Errorf("after the take-profit sold: %s rest", describeBuys(rest))
	}

	// 7. The next scheduled buy, a period after this run's start: its
	// answer lost (the run places nothing else while flat).
	w.emu.LoseNextCreateResponse()
	buy2 := killAt(t, w, d, "the second scheduled buy", dcaEvery+30*time.Second, newOrder(w, isScheduledBuy))
	d = startRecovered(t, w)
	// The new cycle's safety buy 1 must rest: the restarted run ends
	// the old cycle (its end was seen at a trade, not journaled yet),
	// and asks again for the safety buy the risk guard refuses at the
	// first trade, before the user channel is reconciled.
	if !waitFor(10*time.Second, func() bool { return len(restingSafetyBuys(w)) == 1 }) {
		t.Errorf("after a restart as the next cycle's scheduled buy was placed: %s rest, want its safety buy 1",
			describeBuys(restingSafetyBuys(w)))
	}
	d.kill()
	if !emuOrder(w, buy2.ID).FilledSize.IsPositive() {
		t.Errorf("the second scheduled buy did not fill: %+v", emuOrder(w, buy2.ID))
	}

	finalRun(t, w)
	if most := watch.end(); len(most) > 1 {
		t.Errorf("%d safety buys rested at once on the emulator: %s", len(most), describeBuys(most))
	}
	checkDCASchedule(t, w)
	c := compareBooks(t, w)
	logCounts(t, w, c)
}

// checkDCASchedule fails the test if two scheduled buys were placed less
// than a period apart (one placed twice across a restart) or a cycle
// (from flat to flat, by the emulator's fills) filled more safety buys
// than safety_orders.
func checkDCASchedule(t *testing.T, w *world) {
	t.Helper()
	x := w.emu.Sim()
	var last time.Time
	scheduled := 0
	byID := map[string]exchange.Order{}
	for _, o := range x.Orders() {
		byID[o.ID] = o
		if !isScheduledBuy(o) {
			continue
		}
		scheduled++
		if !last.IsZero() && o.CreatedAt.Sub(last) < dcaEvery-time.Second {
			t.Errorf("scheduled buy %s placed %s after the one before, want at least %s", o.ClientOrderID, o.CreatedAt.Sub(last), dcaEvery)
		}
		last = o.CreatedAt
	}
	held := decimal.Zero
	cycle, safety := 1, map[string]bool{}
	for _, f := range x.Fills() {
		if f.Side == exchange.Buy {
			held = held.Add(f.Size)
			if isSafetyBuy(byID[f.OrderID]) {
				safety[f.OrderID] = true
			}
			continue
		}
		if held = held.Sub(f.Size); held.GreaterThanOrEqual(minBTC) {
			continue
		}
		if len(safety) > dcaSafetyOrders {
			t.Errorf("cycle %d filled %d safety buys, safety_orders is %d", cycle, len(safety), dcaSafetyOrders)
		}
		cycle, safety = cycle+1, map[string]bool{}
	}
	if len(safety) > dcaSafetyOrders {
		t.Errorf("cycle %d (open) filled %d safety buys, safety_orders is %d", cycle, len(safety), dcaSafetyOrders)
	}
	t.Logf("scheduled buys %d, cycles %d", scheduled, cycle)
	if scheduled != 2 {
		t.Errorf("%d scheduled buys placed, want 2", scheduled)
	}
}

// wantSpend fails the test unless safety buy o spends quote (its size
// rounded down to the base increment: within 1 USD under).
func wantSpend(t *testing.T, o exchange.Order, quote, what string) {
	t.Helper()
	want := decimal.RequireFromString(quote)
	if spent := o.BaseSize.Mul(o.LimitPrice); spent.GreaterThan(want) || want.Sub(spent).GreaterThan(decimal.NewFromInt(1)) {
		t.Errorf("%s (%s) spends %s USD, want %s", what, o.ClientOrderID, spent.StringFixed(2), quote)
	}
}

func describeBuys(orders []exchange.Order) string {
	if len(orders) == 0 {
		return "none"
	}
	var out []string
	for _, o := range orders {
		out = append(out, fmt.Sprintf("%s at %s (filled %s)", o.ClientOrderID, o.LimitPrice, o.FilledSize))
	}
	return fmt.Sprint(out)
}

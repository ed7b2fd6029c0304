package exits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// testProduct has round increments so that exits can be computed by hand.
var testProduct = exchange.Product{
	ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD",
	BaseIncrement: d("0.0001"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.01"),
	BaseMinSize: d("0.001"), BaseMaxSize: d("1000"), QuoteMinSize: d("1"), QuoteMaxSize: d("10000000"),
}

// simOrders is the Orders a test Manager uses: straight to the real
// simulated exchange, optionally without edits, and optionally failing
// the first placements with a transport error (the outcome unknown).
type simOrders struct {
	x         *sim.Exchange
	noEdit    bool
	failFirst int      // Place calls that fail before reaching the venue
	refuse    int      // Place calls refused as the venue would (ORDER_ENTRY_DISABLED)
	notSent   int      // Place calls refused before they leave (ErrNotSent, as the engine's risk guard)
	loseReply int      // Place calls that reach the venue but whose answer is lost
	injected  int      // transport errors returned so far
	sent      []string // client order ids of every Place call, in order
	placed    []exchange.OrderRequest
	// failCancel, when set, fails a Cancel of that venue order id once,
	// before it reaches the venue (a lost connection).
	failCancel string
	// queue, when set, receives the state of a finished order asked for
	// again, as the engine's executor delivers it.
	queue *[]exchange.OrderEvent
	// check, when set, sees every request before the venue does.
	check func(req exchange.OrderRequest)
	// refuseIf, when set, refuses a request with the error it returns
	// (nil lets it through), as the engine's guard or the venue would.
	refuseIf func(req exchange.OrderRequest) error
}

var errTransport = errors.New("connection reset by peer")

func (o *simOrders) Place(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error) {
	o.sent = append(o.sent, req.ClientOrderID)
	if o.failFirst > 0 {
		o.failFirst--
		o.injected++
		return exchange.Order{}, errTransport
	}
	if o.notSent > 0 {
		o.notSent--
		return exchange.Order{}, fmt.Errorf("reduce_only: %w", ErrNotSent)
	}
	if o.refuse > 0 {
		o.refuse--
		return exchange.Order{}, &exchange.RejectError{Reason: exchange.ReasonOrderEntryDisabled, Message: "trading paused"}
	}
	if o.refuseIf != nil {
		if err := o.refuseIf(req); err != nil {
			return exchange.Order{}, err
		}
	}
	if o.check != nil {
		o.check(req)
	}
	o.placed = append(o.placed, req)
	if known, err := o.x.OrderByClientID(ctx, req.ClientOrderID); err == nil && known.Status.Terminal() && o.queue != nil {
		// The engine's executor asks the venue about an id sent before
		// and applies the answer as an event: a finished order's events
		// reach the Manager even when the venue sent them long ago.
		*o.queue = append(*o.queue, exchange.OrderEvent{Order: known})
	}
	out, err := o.x.PlaceOrder(ctx, req)
	if err == nil && o.loseReply > 0 {
		o.loseReply--
		o.injected++
		return exchange.Order{}, errTransport
	}
	return out, err
}

func (o *simOrders) Cancel(ctx context.Context, id string) error {
	if id != "" && id == o.failCancel {
		o.failCancel = ""
		return errTransport
	}
	return o.x.CancelOrder(ctx, id)
}

func (o *simOrders) Edit(ctx context.Context, id string, e exchange.OrderEdit) (exchange.Order, error) {
	if o.noEdit {
		return exchange.Order{}, ErrEditUnsupported
	}
	return o.x.EditOrder(ctx, id, e)
}

// harness runs one Manager against the real simulated exchange the way
// the engine does: venue events are queued and handed to the Manager
// between its calls, never from inside one.
// tb is what the harness needs of a test: *testing.T, *testing.B and
// *rapid.T all have it.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

type harness struct {
	t       tb
	ctx     context.Context
	clk     *clock.Sim
	x       *sim.Exchange
	orders  *simOrders
	m       *Manager
	queue   []exchange.OrderEvent
	entries map[string]bool // client order ids of entries
	seq     int
	// after, when set, runs after every event and tick the Manager handled.
	after func()
}

type harnessOpt func(*harness, *sim.Config)

func noEdit() harnessOpt { return func(h *harness, _ *sim.Config) { h.orders.noEdit = true } }

// startAt starts the clock at t, for data older than t0 (a simulated
// clock never runs backwards).
func startAt(t time.Time) harnessOpt {
	return func(h *harness, _ *sim.Config) { h.clk = clock.NewSim(t) }
}

func withBalance(currency, amount string) harnessOpt {
	return func(_ *harness, c *sim.Config) { c.Balances[currency] = d(amount) }
}

func withFees(maker, taker string) harnessOpt {
	return func(_ *harness, c *sim.Config) {
		c.Fees, c.ZeroFees = sim.Fees{Maker: d(maker), Taker: d(taker)}, false
	}
}

func newHarness(t tb, cfg Config, opts ...harnessOpt) *harness {
	t.Helper()
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("test config invalid: %v", errs)
	}
	h := &harness{t: t, ctx: context.Background(), clk: clock.NewSim(t0), entries: map[string]bool{}}
	h.orders = &simOrders{}
	sc := sim.Config{Products: []exchange.Product{testProduct}, Balances: map[string]decimal.Decimal{"USD": d("1000000")}, ZeroFees: true}
	for _, o := range opts {
		o(h, &sc)
	}
	x, err := sim.New(sc, h.clk)
	if err != nil {
		t.Fatal(err)
	}
	h.x, h.orders.x, h.orders.queue = x, x, &h.queue
	x.SetHandler(func(ev exchange.OrderEvent) { h.queue = append(h.queue, ev) })
	h.m = NewManager(cfg, Deps{Orders: h.orders, Product: testProduct, Clock: h.clk, Strategy: "s1",
		Fees:             Fees{Maker: sc.Fees.Maker, Taker: sc.Fees.Taker},
		NewClientOrderID: func() string { h.seq++; return fmt.Sprintf("exit-%d", h.seq) }})
	return h
}

// drain hands queued venue events to the Manager, in order.
func (h *harness) drain() {
	for len(h.queue) > 0 {
		ev := h.queue[0]
		h.queue = h.queue[1:]
		p := exchange.Exit
		if h.entries[ev.Order.ClientOrderID] {
			p = exchange.Entry
		}
		h.m.OnOrderEvent(h.ctx, ev, p)
		if h.after != nil {
			h.after()
		}
	}
}

// tick moves the clock one second and sends a trade at price to the
// venue first (which may trigger resting orders) and then to the Manager.
func (h *harness) tick(price string) {
	h.tickAt(h.clk.Now().Add(time.Second), price)
}

func (h *harness) tickAt(at time.Time, price string) {
	h.clk.Set(at)
	t := exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: at, Received: at, Price: d(price), Size: d("1")}
	h.feed(t)
}

func (h *harness) feed(t exchange.Tick) {
	h.clk.Set(t.Time)
	h.x.OnTick(&t)
	h.drain()
	h.m.OnTick(h.ctx, &t)
	if h.after != nil {
		h.after()
	}
	h.drain()
}

// enter buys size at market, with Attached when the Manager asks for it.
func (h *harness) enter(size string) exchange.Order {
	h.t.Helper()
	o, err := h.tryEnter(size)
	if err != nil {
		h.t.Fatalf("entry: %v", err)
	}
	return o
}

func (h *harness) tryEnter(size string) (exchange.Order, error) {
	id := fmt.Sprintf("entry-%d", len(h.entries)+1)
	h.entries[id] = true
	h.m.NoteEntry(id, "test entry")
	req := exchange.OrderRequest{ClientOrderID: id, ProductID: testProduct.ID, Side: exchange.Buy,
		Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, BaseSize: d(size)}
	if att, ok := h.m.Attach(h.x.LastTrade(testProduct.ID)); ok {
		req.Attached = &att
	}
	o, err := h.x.PlaceOrder(h.ctx, req)
	h.drain()
	return o, err
}

// openSells returns the venue's open sell orders.
func (h *harness) openSells() []exchange.Order {
	h.t.Helper()
	os, err := h.x.OpenOrders(h.ctx, testProduct.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []exchange.Order
	for _, o := range os {
		if o.Side == exchange.Sell {
			out = append(out, o)
		}
	}
	return out
}

// resting returns the one open sell, failing when there is not exactly one.
func (h *harness) resting() exchange.Order {
	h.t.Helper()
	os := h.openSells()
	if len(os) != 1 {
		h.t.Fatalf("%d open sell orders on the venue, want 1: %+v", len(os), os)
	}
	return os[0]
}

// trip returns the only round trip finished so far.
func (h *harness) trip() (tripOut struct {
	ExitPrice, PnL decimal.Decimal
	Reason         string
}) {
	h.t.Helper()
	trips := h.m.TakeRoundTrips()
	if len(trips) != 1 {
		h.t.Fatalf("%d round trips, want 1: %+v", len(trips), trips)
	}
	if trips[0].EntryReason != "test entry" && trips[0].EntryReason != "entry" {
		h.t.Fatalf("entry reason %q, want the one noted", trips[0].EntryReason)
	}
	tripOut.ExitPrice, tripOut.PnL, tripOut.Reason = trips[0].ExitPrice, trips[0].PnL, trips[0].ExitReason
	return tripOut
}

func pctStop(p string) *StopLoss { return &StopLoss{Percent: d(p)} }

// exitCounts returns how many exit orders have filled, by reason (the
// keys are from Reasons; zero counts are left out).
func (m *Manager) exitCounts() map[string]uint64 {
	out := map[string]uint64{}
	for i, n := range m.counts {
		if n > 0 {
			out[Reasons[i]] = n
		}
	}
	return out
}

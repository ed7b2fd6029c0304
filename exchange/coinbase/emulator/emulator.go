package emulator

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/marketdata"
)

// Paths the emulator serves. RESTPath is Coinbase's REST root; the two
// WebSocket paths stand for the market-data and the user hosts.
const (
	RESTPath       = "/api/v3/brokerage"
	MarketDataPath = "/ws"
	UserPath       = "/ws/user"
	FaultsPath     = "/emulator/faults"
	StatsPath      = "/emulator/stats"
)

// Key is an API key the emulator accepts: the CDP key name (JWT kid and
// sub), its public key (ECDSA P-256 or Ed25519) and what GET
// /key_permissions reports for it. A key without CanView is refused on
// every private endpoint, one without CanTrade on order changes.
type Key struct {
	Name          string
	PublicKey     crypto.PublicKey
	CanView       bool
	CanTrade      bool
	CanTransfer   bool
	PortfolioUUID string
	// AllowedIPs is the key's IP allow-list: a request from any other
	// address is refused with 401, as Coinbase does. Empty allows every
	// address.
	AllowedIPs []netip.Prefix
	// ActiveFrom is when the key starts working: Coinbase can take up to
	// 48 hours to activate a new key, and refuses it with 401 until then.
	// Zero means active.
	ActiveFrom time.Time
	// Revoked refuses the key with 401, as Coinbase does a revoked or
	// deleted key.
	Revoked bool
}

// Market is where the emulated market comes from when it is not driven
// by Tick: Open is called when Start runs and, with Loop, again each time
// the source ends. Speed is the multiple of the recorded pace (0 or less:
// as fast as possible). Replayed ticks are restamped with the emulator's
// clock, because a live client expects current times.
type Market struct {
	Open  func() (marketdata.TickSource, error)
	Speed float64
	Loop  bool
	// Mirror also feeds every tick of a product to other products, e.g.
	// the BTC-USDT recording to BTC-USD as well.
	Mirror map[string][]string
}

// RateLimits are requests per second: Private per key, Public per client
// IP. Zero values take Coinbase's documented 30 and 10; Disabled turns
// limiting off.
type RateLimits struct {
	Private, Public float64
	Disabled        bool
}

// Options configure an Emulator. Every zero value has a working default.
type Options struct {
	// Addr is the listen address, 127.0.0.1:0 by default.
	Addr string
	// Products default to DefaultProducts().
	Products []exchange.Product
	// Balances are the starting funds; nil gives DefaultBalances().
	Balances map[string]decimal.Decimal
	// Fees are charged on fills and reported by /transaction_summary;
	// the zero value gives Coinbase's entry tier (maker 0.4 %, taker 0.6 %),
	// so fee-free trading is not available.
	Fees        sim.Fees
	SlippageBps decimal.Decimal
	// PartialFills makes orders fill only the size the market shows at
	// their price, in parts, as on Coinbase (sim.Config.PartialFills):
	// number_of_fills counts them, a market order's rest is cancelled.
	// MaxFillSize, when positive, caps the size every tick shows to the
	// sim (a trade's, the best bid's and ask's), so that orders larger
	// than it fill in parts even on a deep recording; it needs
	// PartialFills.
	PartialFills bool
	MaxFillSize  decimal.Decimal
	// PendingFor makes REST report a new order PENDING for this long
	// after its creation while it has not filled, as Coinbase does while
	// it routes one. The user channel reports every new order PENDING in
	// its first update whatever this is.
	PendingFor time.Duration
	// QueueFor makes every new order QUEUED (accepted, off the book,
	// holding its funds) for this long before it goes on the book, and
	// EditQueueFor every accepted edit EDIT_QUEUED for this long before it
	// applies (sim.Config.QueueFor, EditQueueFor), as Coinbase shows them
	// under load. AuctionMode queues a product's orders until it ends.
	QueueFor, EditQueueFor time.Duration
	// Keys are the API keys accepted; without any, every private request
	// is refused with 401.
	Keys []Key
	// Market replays a recording; nil leaves the market to Tick.
	Market *Market
	// Candles seed the candles endpoints (one-minute candles seed the
	// aggregation; other intervals answer requests of that interval).
	Candles    []exchange.Candle
	RateLimits RateLimits
	// Clock stamps orders, fills, messages and checks JWT times; the wall
	// clock by default.
	Clock clock.Clock
	// SubscribeTimeout closes a WebSocket that has not subscribed in time
	// (Coinbase: 5 s). IdleTimeout closes one without a heartbeats
	// subscription that has sent nothing for that long (Coinbase: 60-90 s).
	// HeartbeatInterval is the heartbeats period (1 s).
	SubscribeTimeout  time.Duration
	IdleTimeout       time.Duration
	HeartbeatInterval time.Duration
	// Logger receives the emulator's own log lines (never a JWT).
	Logger *slog.Logger
}

// DefaultProducts returns BTC-USD and BTC-USDT with Coinbase's real
// increments and bounds.
func DefaultProducts() []exchange.Product {
	mk := func(id, quote string) exchange.Product {
		return exchange.Product{
			ID: id, BaseCurrency: "BTC", QuoteCurrency: quote,
			BaseIncrement:  decimal.New(1, -8),
			QuoteIncrement: decimal.New(1, -2),
			PriceIncrement: decimal.New(1, -2),
			BaseMinSize:    decimal.New(1, -5),
			BaseMaxSize:    decimal.New(2600, 0),
			QuoteMinSize:   decimal.New(1, 0),
			QuoteMaxSize:   decimal.New(50000000, 0),
		}
	}
	return []exchange.Product{mk("BTC-USD", "USD"), mk("BTC-USDT", "USDT")}
}

// DefaultBalances returns 10,000 USD, 10,000 USDT and no BTC.
func DefaultBalances() map[string]decimal.Decimal {
	return map[string]decimal.Decimal{"USD": decimal.New(10000, 0), "USDT": decimal.New(10000, 0), "BTC": decimal.Zero}
}

// Emulator is a Coinbase Advanced Trade emulator. Create it with New,
// then Start it; it stops when Start's context ends, and Wait returns when
// every goroutine it started has ended.
type Emulator struct {
	opts  Options
	clk   clock.Clock
	log   *slog.Logger
	sim   *sim.Exchange
	keys  map[string]Key
	fees  sim.Fees
	start time.Time

	market *marketState
	ws     *wsHub
	faults *faults
	stats  *stats
	limits *limiter
	// cancels delays cancels when CancelDelay is set.
	cancels *cancelQueue

	// mu guards edits (the accepted edits of each order, its
	// edit_history), seen, url and started.
	mu      sync.Mutex
	edits   map[string][]editRecord
	seen    map[string]struct{} // orders the user channel has reported
	url     string
	started bool

	wg   sync.WaitGroup
	done chan struct{}
}

type editRecord struct {
	price, size decimal.Decimal
	at          time.Time
}

// New builds an emulator from opts; it does not listen until Start.
func New(opts Options) (*Emulator, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if len(opts.Products) == 0 {
		opts.Products = DefaultProducts()
	}
	if opts.Balances == nil {
		opts.Balances = DefaultBalances()
	}
	if opts.Fees.Maker.IsZero() && opts.Fees.Taker.IsZero() {
		opts.Fees = sim.DefaultFees()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Wall{}
	}
	if opts.SubscribeTimeout <= 0 {
		opts.SubscribeTimeout = 5 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 75 * time.Second
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = time.Second
	}
	if opts.RateLimits.Private <= 0 {
		opts.RateLimits.Private = 30
	}
	if opts.RateLimits.Public <= 0 {
		opts.RateLimits.Public = 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxFillSize.IsNegative() || (opts.MaxFillSize.IsPositive() && !opts.PartialFills) {
		return nil, errors.New("emulator: options.MaxFillSize needs PartialFills and must not be negative")
	}
	if opts.Market != nil && opts.Market.Open == nil {
		return nil, errors.New("emulator: options.Market.Open is nil")
	}
	x, err := sim.New(sim.Config{Products: opts.Products, Balances: opts.Balances, Fees: opts.Fees, SlippageBps: opts.SlippageBps,
		PartialFills: opts.PartialFills, QueueFor: opts.QueueFor, EditQueueFor: opts.EditQueueFor}, opts.Clock)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	keys := make(map[string]Key, len(opts.Keys))
	for i, k := range opts.Keys {
		if k.Name == "" || k.PublicKey == nil {
			return nil, fmt.Errorf("emulator: keys[%d]: name and public key are required", i)
		}
		if k.PortfolioUUID == "" {
			k.PortfolioUUID = DefaultPortfolioUUID
		}
		keys[k.Name] = k
	}
	e := &Emulator{
		opts: opts, clk: opts.Clock, log: opts.Logger, sim: x, keys: keys, fees: opts.Fees,
		start:   opts.Clock.Now(),
		market:  newMarketState(opts.Products, opts.Candles),
		faults:  &faults{},
		stats:   newStats(),
		limits:  newLimiter(opts.RateLimits),
		cancels: &cancelQueue{},
		edits:   make(map[string][]editRecord),
		seen:    make(map[string]struct{}),
		done:    make(chan struct{}),
	}
	e.ws = newHub(e)
	x.SetHandler(e.onOrderEvent)
	return e, nil
}

// AuctionMode puts productID in auction mode or takes it out, as Coinbase
// does a product that reopens after a halt: meanwhile every new order is
// QUEUED, and when it ends they go on the book in the order they came.
// GET /products shows auction_mode.
func (e *Emulator) AuctionMode(productID string, on bool) error {
	return e.sim.SetAuctionMode(productID, on)
}

// Sim returns the simulated exchange under the emulator, for tests that
// check balances, orders and fills directly.
func (e *Emulator) Sim() *sim.Exchange { return e.sim }

// Start listens on Options.Addr and serves until ctx ends. It returns once
// the listener is bound, or the error that kept it from binding.
func (e *Emulator) Start(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("emulator: already started")
	}
	e.started = true
	e.mu.Unlock()
	ln, err := net.Listen("tcp", e.opts.Addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w", e.opts.Addr, err)
	}
	e.mu.Lock()
	e.url = "http://" + ln.Addr().String()
	e.mu.Unlock()
	srv := &http.Server{Handler: e.routes(), ReadHeaderTimeout: 10 * time.Second}
	e.wg.Add(3)
	go func() {
		defer e.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("emulator: serve", "err", err)
		}
	}()
	go func() {
		defer e.wg.Done()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		e.ws.shutdown()
		e.cancels.stop()
	}()
	go func() {
		defer e.wg.Done()
		e.faults.dropLoop(ctx, e.ws)
	}()
	if m := e.opts.Market; m != nil {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.replay(ctx, m)
		}()
	}
	go func() {
		e.wg.Wait()
		e.ws.wait()
		e.cancels.wait()
		close(e.done)
	}()
	return nil
}

// Wait blocks until a started emulator has stopped: Start's context ended
// and every goroutine and connection it started is gone.
func (e *Emulator) Wait() { <-e.done }

// Done is closed once the emulator has stopped.
func (e *Emulator) Done() <-chan struct{} { return e.done }

// BaseURL returns "http://127.0.0.1:port" once Start has bound.
func (e *Emulator) BaseURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.url
}

// RESTURL returns the REST root, ".../api/v3/brokerage".
func (e *Emulator) RESTURL() string { return e.BaseURL() + RESTPath }

// MarketDataURL returns the market-data WebSocket URL.
func (e *Emulator) MarketDataURL() string { return wsURL(e.BaseURL()) + MarketDataPath }

// UserURL returns the user-order WebSocket URL.
func (e *Emulator) UserURL() string { return wsURL(e.BaseURL()) + UserPath }

func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") }

// Tick feeds one market event, as the replay does: the sim matches it,
// the book, candles and trades follow it and WebSocket subscribers see
// it. A zero Time is set to the emulator's clock.
func (e *Emulator) Tick(t exchange.Tick) {
	if t.Time.IsZero() {
		t.Time = e.clk.Now()
	}
	if t.Received.IsZero() {
		t.Received = t.Time
	}
	e.feed(t)
	if e.opts.Market != nil {
		for _, p := range e.opts.Market.Mirror[t.ProductID] {
			m := t
			m.ProductID = p
			e.feed(m)
		}
	}
}

// feed applies one tick: the market state and WebSocket first, so that a
// subscriber sees the trade before the fills it causes, then the sim.
func (e *Emulator) feed(t exchange.Tick) {
	e.market.apply(t, e.ws)
	if c := e.opts.MaxFillSize; c.IsPositive() {
		t.Size, t.BidSize, t.AskSize = capped(t.Size, c), capped(t.BidSize, c), capped(t.AskSize, c)
	}
	e.sim.OnTick(&t)
}

// capped is a size shown to the sim under Options.MaxFillSize: the size,
// at most c; an unknown (zero) size counts as c.
func capped(size, c decimal.Decimal) decimal.Decimal {
	if !size.IsPositive() || size.GreaterThan(c) {
		return c
	}
	return size
}

// replay runs the configured market source until ctx ends or, without
// Loop, until it ends.
func (e *Emulator) replay(ctx context.Context, m *Market) {
	for ctx.Err() == nil {
		src, err := m.Open()
		if err != nil {
			e.log.Error("emulator: open market source", "err", err)
			return
		}
		r := marketdata.Replayer{Speed: m.Speed}
		err = r.Run(ctx, src, func(t exchange.Tick) {
			now := e.clk.Now()
			t.Time, t.Received = now, now
			e.Tick(t)
		})
		if c, ok := src.(interface{ Close() error }); ok {
			c.Close()
		}
		if err != nil && ctx.Err() == nil {
			e.log.Error("emulator: market source", "err", err)
			return
		}
		if !m.Loop {
			return
		}
	}
}

// onOrderEvent receives every order change of the sim and forwards it to
// the user channel.
// A new order's first update says PENDING, as Coinbase's does, and is
// followed at once by its state (OPEN, QUEUED, or FILLED for an order
// that filled on arrival).
func (e *Emulator) onOrderEvent(ev exchange.OrderEvent) {
	o := ev.Order
	e.mu.Lock()
	_, seen := e.seen[o.ID]
	e.seen[o.ID] = struct{}{}
	e.mu.Unlock()
	if !seen && ev.Fill == nil && (o.Status == exchange.StatusOpen || o.Status == exchange.StatusQueued) && o.FilledSize.IsZero() {
		pending := o
		pending.Status = exchange.StatusPending
		e.ws.orderUpdate(pending)
	}
	e.ws.orderUpdate(o)
}

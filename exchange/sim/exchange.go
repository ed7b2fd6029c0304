package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// Fees are the maker and taker rates charged on each fill, as fractions of
// its value (0.004 is 0.40 %).
type Fees struct{ Maker, Taker decimal.Decimal }

// DefaultFees returns Coinbase Advanced Trade's entry tier: maker 0.40 %,
// taker 0.60 % (transaction_summary fee_tier for under 10,000 USD of
// monthly volume).
func DefaultFees() Fees {
	return Fees{Maker: decimal.New(4, -3), Taker: decimal.New(6, -3)}
}

// Config describes a simulated exchange: what it lists, what the account
// starts with, and what trading costs.
type Config struct {
	Products []exchange.Product
	// Balances are the starting available funds per currency; currencies
	// not listed start at zero.
	Balances map[string]decimal.Decimal
	// Fees are charged on every fill. The zero value means DefaultFees
	// (Coinbase's entry tier), so that a forgotten setting never makes a
	// backtest look cheaper than trading is; set ZeroFees for a fee-free
	// market such as Coinbase's stablecoin pairs.
	Fees Fees
	// ZeroFees makes an all-zero Fees mean no fees at all.
	ZeroFees bool
	// SlippageBps moves every taker fill this many basis points (1/100 %)
	// against the order, to stand for the depth a real order eats.
	SlippageBps decimal.Decimal
	// PartialFills makes an order fill only the size the market shows at
	// its price (the trade's size, the best bid's or ask's), in parts over
	// as many ticks as it takes, instead of whole at once; see the package
	// documentation. Off, results stay byte for byte those of earlier
	// versions.
	PartialFills bool
	// QueueFor makes every new order wait QUEUED, off the book and
	// holding its funds, for this long before it goes on the book (at the
	// first tick of its product from then on), as Coinbase queues orders
	// it has accepted but not yet placed. EditQueueFor makes every
	// accepted edit wait likewise (the order shows EDIT_QUEUED and works
	// on as it was). Zero, the default and what backtests use, queues
	// nothing.
	QueueFor, EditQueueFor time.Duration
}

// Exchange is a simulated spot exchange. It implements exchange.Venue and
// exchange.Editor. Create it with New and feed it the market with OnTick.
type Exchange struct {
	clk      clock.Clock
	fees     Fees
	maxRate  decimal.Decimal // the higher of the two fee rates: buy holds cover either
	slippage decimal.Decimal // SlippageBps as a fraction
	partial  bool            // Config.PartialFills

	queueFor, editQueueFor time.Duration // Config.QueueFor and EditQueueFor

	// Factors derived once from the rates, so that the order path does
	// not rebuild them: 1 + taker, 1 + maxRate, 1 + slippage, 1 - slippage.
	takerCost, holdCost, slipUp, slipDown decimal.Decimal

	// mu guards everything below. Any goroutine may take it; the handler
	// is called only with it released.
	mu        lock
	books     map[string]*book
	lastBook  *book    // the book of the last tick
	productIX []string // product ids in configuration order
	balances  map[string]*balance
	orders    []*order // every order, in creation order
	byID      map[string]*order
	byClient  map[string]*order
	// placed counts the orders created per client order id, separately
	// from byClient, so that PlaceCount would show a broken idempotency
	// check instead of hiding it behind the map.
	placed   map[string]int
	fills    []exchange.Fill
	orderSeq uint64
	tradeSeq uint64

	// Event delivery state, guarded by mu: queue[head:] are the events
	// not yet handed to handler; delivering is set while one goroutine
	// hands them over. The queue's array is reused, so steady-state
	// delivery does not allocate.
	handler    func(exchange.OrderEvent)
	queue      []exchange.OrderEvent
	head       int
	delivering bool
}

type balance struct {
	available decimal.Decimal
	hold      decimal.Decimal
}

// New builds an exchange listing cfg.Products with the starting balances
// in cfg.Balances. It reads time from clk. It fails on a product without
// an id or with a duplicate id, on negative balances or fees, and on
// slippage outside [0, 10000) basis points.
func New(cfg Config, clk clock.Clock) (*Exchange, error) {
	if clk == nil {
		return nil, fmt.Errorf("sim: clock is nil")
	}
	if cfg.Fees.Maker.IsNegative() || cfg.Fees.Taker.IsNegative() {
		return nil, fmt.Errorf("sim: fees maker %s taker %s: rates must not be negative", cfg.Fees.Maker, cfg.Fees.Taker)
	}
	if cfg.SlippageBps.IsNegative() || cfg.SlippageBps.GreaterThanOrEqual(decimal.NewFromInt(10000)) {
		return nil, fmt.Errorf("sim: slippage_bps %s must be at least 0 and below 10000", cfg.SlippageBps)
	}
	if err := queueTimes(cfg); err != nil {
		return nil, err
	}
	if cfg.Fees.Maker.IsZero() && cfg.Fees.Taker.IsZero() && !cfg.ZeroFees {
		cfg.Fees = DefaultFees()
	}
	x := &Exchange{
		clk:          clk,
		fees:         cfg.Fees,
		maxRate:      decimal.Max(cfg.Fees.Maker, cfg.Fees.Taker),
		slippage:     cfg.SlippageBps.Shift(-4),
		partial:      cfg.PartialFills,
		queueFor:     cfg.QueueFor,
		editQueueFor: cfg.EditQueueFor,
		books:        make(map[string]*book, len(cfg.Products)),
		balances:     make(map[string]*balance),
		byID:         make(map[string]*order),
		byClient:     make(map[string]*order),
		placed:       make(map[string]int),
	}
	one := decimal.NewFromInt(1)
	x.takerCost, x.holdCost = one.Add(x.fees.Taker), one.Add(x.maxRate)
	x.slipUp, x.slipDown = one.Add(x.slippage), one.Sub(x.slippage)
	for i, p := range cfg.Products {
		if p.ID == "" || p.BaseCurrency == "" || p.QuoteCurrency == "" {
			return nil, fmt.Errorf("sim: products[%d]: id, base and quote currency are required (got %q, %q, %q)", i, p.ID, p.BaseCurrency, p.QuoteCurrency)
		}
		if _, dup := x.books[p.ID]; dup {
			return nil, fmt.Errorf("sim: products[%d]: duplicate product id %q", i, p.ID)
		}
		x.books[p.ID] = newBook(p)
		x.productIX = append(x.productIX, p.ID)
	}
	for cur, amount := range cfg.Balances {
		if amount.IsNegative() {
			return nil, fmt.Errorf("sim: balances[%s] = %s must not be negative", cur, amount)
		}
		x.balances[cur] = &balance{available: amount}
	}
	return x, nil
}

// Fees returns the rates the exchange charges, as the emulator's
// transaction summary reports them.
func (x *Exchange) Fees() Fees { return x.fees }

// SetHandler sets the function that receives every order change and fill,
// in order, after the exchange's lock is released. Events that happen while
// no handler is set are not kept. fn may call back into the Exchange.
func (x *Exchange) SetHandler(fn func(exchange.OrderEvent)) {
	x.mu.Lock()
	x.handler = fn
	x.mu.Unlock()
}

// emit queues an event for the handler. Callers hold mu.
func (x *Exchange) emit(o *order, f *exchange.Fill) {
	if x.handler == nil {
		return
	}
	x.queue = append(x.queue, exchange.OrderEvent{Order: o.snapshot(), Fill: f})
}

// unlock releases mu and then delivers queued events, unless another call
// is already delivering (it will deliver ours too, in order).
func (x *Exchange) unlock() {
	deliver := len(x.queue) > x.head && !x.delivering
	if deliver {
		x.delivering = true
	}
	x.mu.Unlock()
	if deliver {
		x.deliver()
	}
}

// deliver hands queued events to the handler one at a time until none are
// left. Only the goroutine that set delivering runs it, so events reach
// the handler in the order they were queued and never concurrently. If
// the handler panics, the panic goes on up to the caller and the next call
// delivers the events still queued.
func (x *Exchange) deliver() {
	locked := false
	defer func() {
		if !locked {
			x.mu.Lock()
		}
		x.delivering = false
		x.mu.Unlock()
	}()
	for {
		x.mu.Lock()
		locked = true
		if x.head == len(x.queue) {
			x.queue, x.head = x.queue[:0], 0
			return
		}
		e, fn := x.queue[x.head], x.handler
		x.queue[x.head] = exchange.OrderEvent{}
		x.head++
		x.mu.Unlock()
		locked = false
		if fn != nil {
			fn(e)
		}
	}
}

// Fills returns every fill so far, oldest first.
func (x *Exchange) Fills() []exchange.Fill {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.fills)
}

// Orders returns every order ever placed, including attached brackets, in
// creation order, as they are now.
func (x *Exchange) Orders() []exchange.Order {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]exchange.Order, len(x.orders))
	for i, o := range x.orders {
		out[i] = o.snapshot()
	}
	return out
}

// PlaceCount returns how many orders carry clientOrderID: 0 or 1, since a
// repeated client order id returns the existing order.
func (x *Exchange) PlaceCount(clientOrderID string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.placed[clientOrderID]
}

// LastTrade returns the last trade price seen for productID, or zero.
func (x *Exchange) LastTrade(productID string) decimal.Decimal {
	x.mu.Lock()
	defer x.mu.Unlock()
	if b := x.books[productID]; b != nil && b.hasLast {
		return b.last
	}
	return decimal.Zero
}

// Quote returns the best bid and ask seen for productID; a side not yet
// seen is zero.
func (x *Exchange) Quote(productID string) (bid, ask decimal.Decimal) {
	x.mu.Lock()
	defer x.mu.Unlock()
	bid, ask = decimal.Zero, decimal.Zero
	if b := x.books[productID]; b != nil {
		if b.hasBid {
			bid = b.bid
		}
		if b.hasAsk {
			ask = b.ask
		}
	}
	return bid, ask
}

// TakePrice returns the price a market order of side on productID would
// take now, before slippage, where its worth is checked: the best
// opposite quote, or the last trade while no quote holds (a trade went
// through it, or none was seen); zero before either.
func (x *Exchange) TakePrice(productID string, side exchange.Side) decimal.Decimal {
	x.mu.Lock()
	defer x.mu.Unlock()
	if b := x.books[productID]; b != nil {
		if p, ok := b.takePrice(side); ok {
			return p
		}
	}
	return decimal.Zero
}

// Order returns the order with the exchange's id orderID, or an error
// wrapping exchange.ErrOrderNotFound.
func (x *Exchange) Order(orderID string) (exchange.Order, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	o := x.byID[orderID]
	if o == nil {
		return exchange.Order{}, fmt.Errorf("order %q: %w", orderID, exchange.ErrOrderNotFound)
	}
	return o.snapshot(), nil
}

// OrderHold returns what the order orderID reserves now (Coinbase's
// outstanding_hold_amount): quote for an open buy, base for an open sell,
// zero once it is filled, cancelled or expired.
func (x *Exchange) OrderHold(orderID string) (currency string, amount decimal.Decimal, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	o := x.byID[orderID]
	if o == nil {
		return "", decimal.Zero, fmt.Errorf("order %q: %w", orderID, exchange.ErrOrderNotFound)
	}
	if o.holdCurrency == "" {
		return "", decimal.Zero, nil
	}
	return o.holdCurrency, o.hold, nil
}

// OrderByClientID returns the order placed with clientOrderID, or an error
// wrapping exchange.ErrOrderNotFound.
func (x *Exchange) OrderByClientID(_ context.Context, clientOrderID string) (exchange.Order, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	o := x.byClient[clientOrderID]
	if o == nil {
		return exchange.Order{}, fmt.Errorf("client order id %q: %w", clientOrderID, exchange.ErrOrderNotFound)
	}
	return o.snapshot(), nil
}

// OpenOrders returns the orders of productID (or of every product when
// productID is "") that can still fill: open ones (EDIT_QUEUED among
// them) and QUEUED ones, in creation order.
func (x *Exchange) OpenOrders(_ context.Context, productID string) ([]exchange.Order, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if productID != "" && x.books[productID] == nil {
		return nil, fmt.Errorf("open orders of %q: %w", productID, exchange.ErrUnknownProduct)
	}
	var out []exchange.Order
	for _, o := range x.orders {
		if (o.Status == exchange.StatusOpen || o.Status == exchange.StatusQueued) && (productID == "" || o.ProductID == productID) {
			out = append(out, o.snapshot())
		}
	}
	return out, nil
}

// FillsSince returns the fills with Time at or after since, oldest first.
func (x *Exchange) FillsSince(_ context.Context, since time.Time) ([]exchange.Fill, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []exchange.Fill
	for _, f := range x.fills {
		if !f.Time.Before(since) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Balances returns every currency's available and held funds, sorted by
// currency.
func (x *Exchange) Balances(_ context.Context) ([]exchange.Balance, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]exchange.Balance, 0, len(x.balances))
	for cur, b := range x.balances {
		out = append(out, exchange.Balance{Currency: cur, Available: b.available, Hold: b.hold})
	}
	slices.SortFunc(out, func(a, b exchange.Balance) int { return strings.Compare(a.Currency, b.Currency) })
	return out, nil
}

// Product returns the listed product productID, or an error wrapping
// exchange.ErrUnknownProduct.
func (x *Exchange) Product(_ context.Context, productID string) (exchange.Product, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	b := x.books[productID]
	if b == nil {
		return exchange.Product{}, fmt.Errorf("product %q: %w", productID, exchange.ErrUnknownProduct)
	}
	return b.product, nil
}

// Products returns every listed product in configuration order.
func (x *Exchange) Products() []exchange.Product {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]exchange.Product, len(x.productIX))
	for i, id := range x.productIX {
		out[i] = x.books[id].product
	}
	return out
}

// newOrderID returns the next order id. Ids are a counter shaped like a
// UUID so that a replay gives the same ids; callers hold mu.
func (x *Exchange) newOrderID() string {
	x.orderSeq++
	return counterID("00000000-0000-4000-8000-", x.orderSeq)
}

// newTradeID returns the next trade id, like newOrderID.
func (x *Exchange) newTradeID() string {
	x.tradeSeq++
	return counterID("00000000-0000-4000-9000-", x.tradeSeq)
}

// counterID writes n as the last 12 decimal digits after prefix.
func counterID(prefix string, n uint64) string {
	var buf [36]byte
	copy(buf[:], prefix)
	for i := len(buf) - 1; i >= len(prefix); i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[:])
}

// Interface checks: the engine and the emulator use the exchange through
// these.
var (
	_ exchange.Venue  = (*Exchange)(nil)
	_ exchange.Editor = (*Exchange)(nil)
)

package risk

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// Intent is one order a strategy or an exit wants placed, as the guard
// sees it. Product carries the venue's increments and bounds for
// ProductID. StopPrice is needed for stop-limit and bracket orders;
// EstimatedPrice, when set, is the expected average fill price of a
// market order (for its notional and, if configured, its collar).
type Intent struct {
	Strategy       string
	ProductID      string
	Product        exchange.Product
	Side           exchange.Side
	Type           exchange.OrderType
	BaseSize       decimal.Decimal
	QuoteSize      decimal.Decimal
	LimitPrice     decimal.Decimal
	StopPrice      decimal.Decimal
	EstimatedPrice decimal.Decimal
	// ReduceOnly marks an exit: an order that closes or shrinks the
	// strategy's position and so must never be blocked by exposure, rate,
	// loss or state limits.
	ReduceOnly    bool
	ClientOrderID string
}

// Reservation is what an allowed intent holds until its order ends: the
// notional of an entry counted against the exposure limits, one open
// order and one entry of the day. The engine passes it to OnFill for each
// fill and to Release once when the order ends, filled or not. Its fields
// are the guard's and are protected by the guard's mutex.
type Reservation struct {
	c    *cell
	exit bool
	// price is the per-unit price the notional was reserved at; zero for
	// a quote-sized market order, whose fills consume their own value.
	price     decimal.Decimal
	remaining int64 // reserved notional not yet filled, in units
	day       int64 // start of the trading day the entry was counted in
	filled    bool
	ended     bool
}

// Exit reports whether the reservation belongs to a reduce-only exit.
func (r *Reservation) Exit() bool { return r != nil && r.exit }

// Guard is the risk guard. All its methods are safe for concurrent use:
// one mutex makes every check and its reservation a single step, so
// concurrent strategies can never together pass a limit.
type Guard struct {
	cfg Config
	clk clock.Clock
	// nanos is clk when it tells Unix nanoseconds (clock.Nanos), else nil:
	// a tick then checks the end of the day with an integer comparison.
	// step is clk when it is a backtest's clock.Step, read without an
	// interface call.
	nanos   clock.Nanos
	step    *clock.Step
	loc     *time.Location
	allowed map[string]bool // nil: every product

	acctLim, stratLim, prodLim limits
	maxOrder, minOrder         int64  // units
	collarE4                   uint64 // price_collar_pct x 10^4, rounded down
	collarMid                  bool
	staleAfter                 int64
	staleAfterStr              string
	stopReasons                map[string]bool

	mu lock // protects everything below
	// snapshots counts Snapshot's calls (Counters.Seq).
	snapshots uint64
	// fillSeq is the journal's number of the last fill booked
	// (OnJournaledFill, Counters.FillSeq).
	fillSeq uint64
	// Trading state and what set it.
	state       State
	stateRule   string
	stateReason string
	stateSince  time.Time // on the guard's clock (replay time in a replay)
	// stateWall is when the state changed on the wall clock, which is what
	// an operator reading /killswitch means by "since".
	stateWall time.Time
	listeners []func(from, to State, rule, reason string)
	pending   []stateChange // state changes to report once mu is released
	refusal   cachedRefusal // the entry refusal of the current state

	acct       scope
	strategies map[string]*strategyBook
	products   map[string]*productBook
	nproducts  int
	lastTicked *productBook // the product of the last tick
	// unseen says why the venue's order updates cannot be seen now (the
	// user channel is down or resyncing), or is empty; entries wait while
	// it is set (SetOrderUpdatesUnseen).
	unseen string

	// Account PnL: markValue and cost are the signed sums over positions
	// of size x mark and of cost basis, so unrealized PnL is their
	// difference. They are decimal and exact; only exposure uses units.
	markValue       decimal.Decimal
	cost            decimal.Decimal
	realizedToday   decimal.Decimal
	realizedTotal   decimal.Decimal
	unrealizedStart decimal.Decimal // unrealized PnL at the day's start
	pnlPeak         decimal.Decimal // highest realizedTotal + unrealized
	lossAt          lossThresholds  // evalLoss's thresholds on markValue
	consecutive     int
	dayStart        time.Time
	dayStartN       int64
	nextDay         time.Time
	// nextDayN is nextDay in Unix nanoseconds when that is exact, and
	// math.MinInt64 otherwise (so that every tick asks roll).
	nextDayN int64
}

type stateChange struct {
	from, to     State
	rule, reason string
}

// limits is one scope's ScopeLimits made ready for the hot path: the
// decision strings are rendered once.
type limits struct {
	maxPosition, maxExposure       int64 // units; zero: none
	maxPositionStr, maxExposureStr string
	maxOpen, maxEntries            int
	maxOpenStr, maxEntriesStr      string
	perSecond, perMinute           int
	perSecondStr, perMinuteStr     string
}

func compile(s ScopeLimits) limits {
	return limits{
		maxPosition: toUnits(s.MaxPositionNotional), maxPositionStr: s.MaxPositionNotional.String(),
		maxExposure: toUnits(s.MaxExposure), maxExposureStr: s.MaxExposure.String(),
		maxOpen: s.MaxOpenOrders, maxOpenStr: fmt.Sprint(s.MaxOpenOrders),
		maxEntries: s.MaxEntriesPerDay, maxEntriesStr: fmt.Sprint(s.MaxEntriesPerDay),
		perSecond: s.OrdersPerSecond, perSecondStr: fmt.Sprintf("%d/s", s.OrdersPerSecond),
		perMinute: s.OrdersPerMinute, perMinuteStr: fmt.Sprintf("%d/min", s.OrdersPerMinute),
	}
}

// scope is the running state of one scope: the account, a strategy or a
// product.
type scope struct {
	// exposure is the sum of |position| at mark plus reserved entry
	// notional over the scope, in units.
	exposure   int64
	openOrders int
	entries    int // entries counted this trading day
	perSecond  bucket
	perMinute  bucket
}

func newScope(l limits) scope {
	return scope{perSecond: newBucket(l.perSecond, time.Second), perMinute: newBucket(l.perMinute, time.Minute)}
}

// NewGuard returns a guard in the ACTIVE state, or the configuration's
// problems joined into one error.
func NewGuard(cfg Config, clk clock.Clock) (*Guard, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("risk config: %w", errors.Join(errs...))
	}
	if clk == nil {
		return nil, errors.New("risk: NewGuard needs a clock")
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("risk config: time_zone: %w", err)
	}
	g := &Guard{
		cfg: cfg, clk: clk, loc: loc,
		acctLim: compile(cfg.Account), stratLim: compile(cfg.PerStrategy), prodLim: compile(cfg.PerProduct),
		maxOrder:      toUnits(cfg.Limits.MaxOrderNotional),
		minOrder:      toUnits(cfg.Limits.MinOrderNotional),
		collarE4:      uint64(cfg.Limits.PriceCollarPct.Shift(4).Floor().IntPart()),
		collarMid:     cfg.Limits.CollarReference == "mid",
		staleAfter:    int64(cfg.StaleAfter),
		staleAfterStr: cfg.StaleAfter.String(),
		stopReasons:   map[string]bool{},
		strategies:    map[string]*strategyBook{},
		products:      map[string]*productBook{},
		stateRule:     RuleOK,
		stateReason:   "started",
	}
	if len(cfg.AllowedProducts) > 0 {
		g.allowed = map[string]bool{}
		for _, p := range cfg.AllowedProducts {
			g.allowed[p] = true
		}
	}
	for _, r := range cfg.StopLossCooldown.ExitReasons {
		g.stopReasons[r] = true
		if r == "stop_loss" {
			// A fallback exit is a stop-loss sold at market: the venue
			// refused the stop because the price had passed it, or a
			// stop rested for a silent feed filled. Issue 15, finding 4:
			// with a fixed stop above the market every entry ended this
			// way and the cooldown never paused the product.
			g.stopReasons["fallback"] = true
		}
	}
	g.nanos, _ = clk.(clock.Nanos)
	g.step, _ = clk.(*clock.Step)
	g.acct = newScope(g.acctLim)
	now := clk.Now()
	g.stateSince, g.stateWall = now, time.Now().UTC()
	g.startDay(now)
	return g, nil
}

// Config returns the configuration the guard runs with.
func (g *Guard) Config() Config { return g.cfg }

// unlock releases the mutex, then reports the state changes made while it
// was held, so that a callback may call back into the guard.
func (g *Guard) unlock() {
	if len(g.pending) == 0 {
		g.mu.Unlock()
		return
	}
	changes, fns := g.pending, g.listeners
	g.pending = nil
	g.mu.Unlock()
	for _, c := range changes {
		for _, fn := range fns {
			fn(c.from, c.to, c.rule, c.reason)
		}
	}
}

var epoch = time.Unix(0, 0)

// unixNanos is t.UnixNano, with times before 1970 (the zero time of an
// unset simulated clock) read as 0 rather than an undefined value.
func unixNanos(t time.Time) int64 {
	if t.Before(epoch) {
		return 0
	}
	return t.UnixNano()
}

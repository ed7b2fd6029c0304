package metrics

import (
	"slices"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Position is a strategy instance's position and protection after a change
// or a tick. Its fields match engine.PositionReport one for one, so the
// engine's report converts with metrics.Position(report).
type Position struct {
	Strategy, Product string
	Size              decimal.Decimal
	AvgEntry          decimal.Decimal
	Mark              decimal.Decimal
	Unrealized        decimal.Decimal
	Realized          decimal.Decimal
	Fees              decimal.Decimal
	Stop              decimal.Decimal
	// Protected is true for a flat position or one whose stop rests on the
	// venue or is watched by the bot.
	Protected bool
}

// Instance holds the series of one (strategy, product) pair with their
// labels already resolved, so that recording costs no label lookup. Get it
// from Metrics.Instance and keep it; it is safe for concurrent use.
type Instance struct {
	m                                  *Metrics
	strategy, product                  string
	size, notional, avgEntry           prometheus.Gauge
	unrealized, realized               prometheus.Gauge
	stopPrice, stopDistance, ordersOpn prometheus.Gauge
	fees                               prometheus.Counter
	// The counters below are created at their first increment, except
	// those declare creates at start (Options.Exits says which): most of
	// the 48 order, 4 fill and 10 exit combinations never happen for a
	// given instance, and 100 instances would otherwise expose thousands
	// of series that stay 0 for ever.
	exits  [10]lazyCounter   // by exitReasons
	fills  [2][2]lazyCounter // side, liquidity
	orders [2][4][6]lazyCounter
	// unprotected mirrors this instance's share of positions_unprotected,
	// so that a repeated report changes the total only on a transition.
	unprotected atomic.Bool
	// lastTurn is when the instance's loop last turned (LoopTurned), in
	// Unix nanoseconds on the wall clock; until its first turn, when this
	// handle was made (the daemon's start).
	lastTurn atomic.Int64
}

// Instance returns the handle for strategy trading product, creating its
// series (at zero) on first use.
func (m *Metrics) Instance(strategy, product string) *Instance {
	id := InstanceID{strategy, product}
	if in, ok := (*m.instances.Load())[id]; ok {
		return in
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.instances.Load()
	if in, ok := old[id]; ok {
		return in
	}
	in := newInstance(m, strategy, product)
	next := make(map[InstanceID]*Instance, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[id] = in
	m.instances.Store(&next)
	return in
}

func newInstance(m *Metrics, strategy, product string) *Instance {
	in := &Instance{
		m: m, strategy: strategy, product: product,
		size:         m.positionSize.WithLabelValues(strategy, product),
		notional:     m.positionNotional.WithLabelValues(strategy, product),
		avgEntry:     m.positionAvgEntry.WithLabelValues(strategy, product),
		unrealized:   m.unrealizedPnL.WithLabelValues(strategy, product),
		realized:     m.realizedPnL.WithLabelValues(strategy, product),
		stopPrice:    m.stopPrice.WithLabelValues(strategy, product),
		stopDistance: m.stopDistance.WithLabelValues(strategy, product),
		ordersOpn:    m.ordersOpen.WithLabelValues(strategy, product),
		fees:         m.feesPaid.WithLabelValues(strategy, product),
	}
	in.lastTurn.Store(unixNanos(m.wall.Now()))
	m.feedConflated.WithLabelValues(strategy)
	return in
}

// declareSeries creates at zero the counters every instance uses from its
// first trade: its entry (a market buy, submitted and filled as taker),
// its exits by each rule in reasons (stop_loss when reasons is empty:
// every instance has a stop), and those every instance can count
// whatever its config (exitsOfEveryInstance). The rest appear at their
// first event.
func (in *Instance) declareSeries(reasons []string) {
	in.orderCounter(0, 0, 0)
	in.fillCounter(0, 1)
	if len(reasons) == 0 {
		reasons = []string{ExitStopLoss}
	}
	for _, r := range slices.Concat(reasons, exitsOfEveryInstance) {
		if i := exitIndex(r); i >= 0 {
			in.exitCounter(i)
		}
	}
}

// exitsOfEveryInstance are the exit reasons no config rules out: the kill
// switch flattens every instance, a stop the venue refuses or a feed gone
// stale closes any position by the fallback exit, and a restarted daemon
// may learn of an exit whose reason its journal did not keep. Created at
// zero, their first exit shows in increase() and on the dashboard, which
// a series born at 1 does not.
var exitsOfEveryInstance = []string{ExitKillSwitch, ExitFallback, ExitUnknown}

func (in *Instance) orderCounter(s, t, st int) prometheus.Counter {
	l := &in.orders[s][t][st]
	if c := l.p.Load(); c != nil {
		return *c
	}
	return l.set(in.m.orders.WithLabelValues(in.strategy, in.product, sides[s], orderTypes[t], statuses[st]))
}

func (in *Instance) fillCounter(s, l int) prometheus.Counter {
	lc := &in.fills[s][l]
	if c := lc.p.Load(); c != nil {
		return *c
	}
	return lc.set(in.m.fills.WithLabelValues(in.strategy, in.product, sides[s], liquidities[l]))
}

func (in *Instance) exitCounter(i int) prometheus.Counter {
	l := &in.exits[i]
	if c := l.p.Load(); c != nil {
		return *c
	}
	return l.set(in.m.exits.WithLabelValues(in.strategy, in.product, exitReasons[i]))
}

// lazyCounter is a series resolved at its first use and kept, so that
// later increments cost one atomic load instead of a label lookup. Safe
// for concurrent use: two first uses at once resolve the same series.
type lazyCounter struct {
	p atomic.Pointer[prometheus.Counter]
}

// set keeps c, the series its first use resolved, and returns it.
func (l *lazyCounter) set(c prometheus.Counter) prometheus.Counter {
	l.p.Store(&c)
	return c
}

// SetPosition records the position's size, value, entry, PnL and stop. The
// stop distance is (mark - stop) / mark for a position with a stop and a
// mark, else 0. Fees in p are ignored: RecordFill counts them as they occur.
func (in *Instance) SetPosition(p Position) {
	// Metrics are float64 anyway; converting each decimal once and doing
	// the two divisions in float64 halves the cost of this per-tick call.
	size, mark := p.Size.InexactFloat64(), p.Mark.InexactFloat64()
	in.size.Set(size)
	in.notional.Set(size * mark)
	in.avgEntry.Set(p.AvgEntry.InexactFloat64())
	in.unrealized.Set(p.Unrealized.InexactFloat64())
	in.realized.Set(p.Realized.InexactFloat64())
	stop, distance := 0.0, 0.0
	if !p.Size.IsZero() && p.Stop.IsPositive() {
		stop = p.Stop.InexactFloat64()
		if mark > 0 {
			distance = (mark - stop) / mark
		}
	}
	in.stopPrice.Set(stop)
	in.stopDistance.Set(distance)
	in.setUnprotected(!p.Protected && !p.Size.IsZero())
}

func (in *Instance) setUnprotected(naked bool) {
	if in.unprotected.Swap(naked) == naked {
		return
	}
	if naked {
		in.m.unprotected.Inc()
	} else {
		in.m.unprotected.Dec()
	}
}

// OrderSubmitted counts an order handed to the venue and open until
// OrderEnded.
func (in *Instance) OrderSubmitted(side exchange.Side, typ exchange.OrderType) {
	in.order(side, typ, StatusSubmitted)
	in.ordersOpn.Inc()
}

// OrderEnded counts an order submitted earlier reaching status (filled,
// cancelled, rejected, failed or expired, in this package's or Coinbase's
// spelling) and no longer open.
func (in *Instance) OrderEnded(side exchange.Side, typ exchange.OrderType, status string) {
	in.order(side, typ, status)
	in.ordersOpn.Dec()
}

func (in *Instance) order(side exchange.Side, typ exchange.OrderType, status string) {
	s, t, st := sideIndex(side), typeIndex(typ), statusIndex(status)
	if s >= 0 && t >= 0 && st >= 0 {
		in.orderCounter(s, t, st).Inc()
		return
	}
	in.m.orders.WithLabelValues(in.strategy, in.product, label(sides, s), label(orderTypes, t), label(statuses, st)).Inc()
}

// RecordFill counts one fill and adds its fee (quote currency) to
// tradebot_fees_paid_total.
func (in *Instance) RecordFill(side exchange.Side, liquidity exchange.Liquidity, fee decimal.Decimal) {
	s, l := sideIndex(side), liquidityIndex(liquidity)
	if s >= 0 && l >= 0 {
		in.fillCounter(s, l).Inc()
	} else {
		in.m.fills.WithLabelValues(in.strategy, in.product, label(sides, s), label(liquidities, l)).Inc()
	}
	if fee.IsPositive() {
		in.fees.Add(fee.InexactFloat64())
	}
}

// Exit counts a position closed for reason (stop_loss, take_profit,
// trailing_stop, break_even, time_stop, fallback, signal, kill_switch,
// unknown, strategy); any other reason is counted as Other.
func (in *Instance) Exit(reason string) {
	if i := exitIndex(reason); i >= 0 {
		in.exitCounter(i).Inc()
		return
	}
	in.m.exits.WithLabelValues(in.strategy, in.product, Other).Inc()
}

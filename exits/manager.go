package exits

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/bars"
	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/repeats"
	"github.com/tradebot/tradebot/position"
)

// Exit reasons, the closed set of the exits metric's reason label.
const (
	ReasonStopLoss     = "stop_loss"
	ReasonTakeProfit   = "take_profit"
	ReasonTrailingStop = "trailing_stop"
	ReasonBreakEven    = "break_even"
	ReasonTimeStop     = "time_stop"
	ReasonFallback     = "fallback"
	ReasonSignal       = "signal"
	ReasonKillSwitch   = "kill_switch"
	// ReasonUnknown ends a round trip whose exit a restarted daemon
	// learnt of from the venue, when neither the saved exit state nor
	// the journal says why that order was sent: an order journaled
	// before the journal kept reasons (schema version 4), or one no
	// journal row names. Calling it a stop-loss, or whatever the stop's
	// rule is by then, would be a guess.
	ReasonUnknown = "unknown"
)

// Reasons lists every exit reason, for metrics that pre-create labels.
var Reasons = []string{ReasonStopLoss, ReasonTakeProfit, ReasonTrailingStop, ReasonBreakEven,
	ReasonTimeStop, ReasonFallback, ReasonSignal, ReasonKillSwitch, ReasonUnknown}

// ErrNotSent is what Orders.Place wraps when it refused a request before
// it left for the venue (the risk guard said no, or the intent could not
// be journaled). Like a venue's refusal, it is a definite no: no order
// exists under that client order id, and the next attempt takes a new
// one. Treating it as an unknown outcome instead would keep the id and
// send it again and again, possibly long after the position it was for
// has changed.
var ErrNotSent = errors.New("exits: the order was not sent")

// ErrEditUnsupported is what Orders.Edit returns when the venue cannot
// edit an order in place; the Manager then cancels and replaces.
var ErrEditUnsupported = errors.New("exits: the venue cannot edit orders")

// ErrStopping is Close's answer once the daemon is stopping (Park): the
// stop rests on the venue and the position is left to it. A strategy
// signalling an exit during shutdown is normal, not a failure.
var ErrStopping = errors.New("stopping; the stop rests on the venue")

// ErrExitOver is Close's answer when an exit order had already ended on
// the venue (it filled while the exit was asked for): its events are on
// their way, and whatever they leave held is sold after them. A race, not
// a failure.
var ErrExitOver = errors.New("already over on the venue; waiting for its events")

// Orders is how the Manager sends exit orders. The engine passes its
// executor (journal, risk sanity checks, retries under the same client
// order id); tests pass an adapter over exchange/sim.
//
// An error from Place that is neither a *exchange.RejectError nor wraps
// ErrNotSent leaves the outcome unknown: the Manager keeps the client
// order id and sends the same id again, never a new one, until the venue
// answers. Sending an id again must ask the venue about the order first
// (Coinbase answers a repeated client_order_id with the existing order,
// whatever the new request says): the engine's executor does, and
// returns the order's current state, which may be filled or cancelled.
type Orders interface {
	Place(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error)
	Cancel(ctx context.Context, orderID string) error
	Edit(ctx context.Context, orderID string, e exchange.OrderEdit) (exchange.Order, error)
}

// Fees are the account's maker and taker rates as fractions (0.006 is
// 0.6 %); break-even's default offset is computed from Taker.
type Fees struct{ Maker, Taker decimal.Decimal }

// Deps is what a Manager needs from its surroundings.
type Deps struct {
	Orders  Orders
	Product exchange.Product
	Clock   clock.Clock
	// NewClientOrderID returns a fresh, deterministic client order id for
	// each new exit order; retries reuse the id they were given.
	NewClientOrderID func() string
	Fees             Fees
	Log              *slog.Logger
	// Strategy names the instance in round trips and logs.
	Strategy string
}

// Protection is what guards an open position now. Exactly one of Resting
// and Watched is true while the position is open; both are false when it
// is flat.
type Protection struct {
	// Stop is the protective stop price (zero when flat).
	Stop decimal.Decimal
	// Resting: a stop order the venue has accepted protects the position.
	Resting bool
	// Watched: tradebot itself compares every tick with Stop and sells at
	// market when it is reached.
	Watched bool
	// Queued (with Watched): a stop order the venue has accepted but not
	// yet put on the book (QUEUED) waits meanwhile; it protects nothing
	// until it rests, so the bot watches the stop.
	Queued bool
}

// Manager protects one strategy instance's position on one product, from
// the first entry fill until it is flat again.
//
// A Manager is owned by ONE goroutine, the strategy instance's: every
// method must be called from it, and never from inside another of its
// methods (the engine's mailbox guarantees this: order events are queued
// and delivered between calls). It is not safe for concurrent use.
type Manager struct {
	cfg Config
	d   Deps
	s   State // everything that must survive a restart
	lv  levels
	atr atrTracker

	// Transient: rebuilt from ticks after a restart.
	lastTick       time.Time       // Received (or Time) of the newest tick
	last           decimal.Decimal // newest trade price
	mark           decimal.Decimal // newest trigger-source price of the open position (zero until its first)
	bid            decimal.Decimal // best bid of the newest quote (zero until one)
	tradedSinceBid bool            // the last trade came after bid's quote (salePrice)
	dustMemo       dustMemo        // what Dust worked out for the position's size
	dustErr        dustError       // the error exitAll gave last for dust (dustRefusal)
	canEdit        bool
	editRefusals   int
	seenTrades     map[string]struct{}
	entryWhy       map[string]string // entry client order id -> the strategy's reason
	exitWhy        map[string]string // journaled exit the state does not name -> its reason (NoteExit)
	trips          []position.RoundTrip
	counts         [9]uint64 // exit fills by index in Reasons, for the tests (exitCounts)
	nextTry        time.Time // earliest retry of a refused resting exit
	exitRetryAt    time.Time // earliest retry of a refused market exit
	// closeNextTick: a market exit ended with part of its size unsold
	// (the immediate-or-cancel found too little); the rest goes on the
	// next tick, when the market has shown liquidity again, or on the
	// next idle pass (a second later) if no tick comes, rather than in a
	// loop of orders that find none.
	closeNextTick bool
	// held: recovery is applying the venue's view of the orders (HoldOrders);
	// nothing new is placed, moved or sold until Rearm.
	held bool
	// parked: the daemon is stopping (Park). With bot placement the stop
	// rests on the venue from now on, for a position opened later too,
	// and ticks no longer move or fire anything: nothing would finish
	// what they began.
	parked bool
	// refusals are the causes of refused exit orders logged lately; a
	// repeat of one is logged again only after refusalLogEvery.
	refusals *repeats.Limiter[string]
}

// NewManager returns a flat Manager for cfg (its zero fields take their
// defaults). cfg should have passed Validate; a Manager without a stop
// loss reports every position as unprotected.
func NewManager(cfg Config, d Deps) *Manager {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.Wall{}
	}
	if d.NewClientOrderID == nil {
		d.NewClientOrderID = func() string { return "" }
	}
	cfg = cfg.Defaults()
	m := &Manager{cfg: cfg, d: d, canEdit: true, seenTrades: map[string]struct{}{}, entryWhy: map[string]string{},
		exitWhy: map[string]string{}}
	m.s.Position = position.Position{Strategy: d.Strategy, ProductID: d.Product.ID}
	if sl := cfg.StopLoss; sl != nil && sl.ATR != nil {
		m.atr = atrTracker{bars: bars.New(d.Product.ID, sl.ATR.Interval, bars.Options{}), period: sl.ATR.Period}
	}
	return m
}

// Config returns the configuration in use, defaults filled in.
func (m *Manager) Config() Config { return m.cfg }

// Position returns the position as booked from fills.
func (m *Manager) Position() position.Position { return m.s.Position }

// open reports whether there is a position to protect.
func (m *Manager) open() bool { return m.s.Position.Size.IsPositive() }

// restingProtects reports whether a confirmed resting order holds the
// stop, so that the bot need not watch it.
func (m *Manager) restingProtects() bool {
	r := m.s.Resting
	return r != nil && r.OrderID != "" && !r.Triggered && !r.Queued
}

// restingWorks reports whether a resting exit whose stop has triggered is
// selling in parts (a venue with partial fills): it has filled some, and
// its limit is at or below the last trade, so what the market shows next
// fills more of it. It protects the rest as it is; a market sell would
// only race it for the same liquidity. (With whole fills a triggered
// order that is still open has filled nothing; the gap rule handles it.)
func (m *Manager) restingWorks() bool {
	r := m.s.Resting
	return r != nil && r.OrderID != "" && r.Triggered && r.Filled.IsPositive() && m.last.IsPositive() &&
		m.last.Cmp(r.TriggerLimit) >= 0
}

// restingCovers reports whether the resting exit guards the whole
// position, so that the bot leaves the stop to the venue: it protects
// (or works as a triggered limit) and the strategy has no sell of its
// own, which holds base no resting order can cover. One rule for what
// Protection reports and what the bot watches (fire): a position is
// never reported as resting protection while the bot is watching its
// stop, nor left unwatched while it is reported as watched. A sell
// whose cancel the venue accepted still counts until its end is booked:
// its fill may be on its way, and until the resting exit has grown to
// the base it frees, only the bot covers that base.
func (m *Manager) restingCovers() bool {
	return (m.restingProtects() || m.restingWorks()) && len(m.s.Sells) == 0
}

// Protection reports what guards the position now.
func (m *Manager) Protection() Protection {
	if !m.open() {
		return Protection{}
	}
	if m.restingCovers() {
		return Protection{Stop: m.s.Resting.Stop, Resting: true}
	}
	return Protection{Stop: m.s.Stop, Watched: true, Queued: m.s.Resting != nil && m.s.Resting.Queued}
}

// TakeRoundTrips returns the round trips finished since the last call.
func (m *Manager) TakeRoundTrips() []position.RoundTrip {
	out := m.trips
	m.trips = nil
	return out
}

func (m *Manager) count(reason string) {
	for i, r := range Reasons {
		if r == reason {
			m.counts[i]++
			return
		}
	}
}

// Attach returns the take-profit and stop to attach to an entry expected
// to fill near ref, when the configuration asks for attached exits
// (exchange placement, attach_to_entry, a percent or price stop and one
// take-profit level) and the position is flat. The engine sets it as the
// entry's Attached.
func (m *Manager) Attach(ref decimal.Decimal) (exchange.AttachedBracket, bool) {
	c := m.cfg
	// Only an entry from flat may carry a bracket: adding to a position
	// would make a second exit order, and on spot only one can rest; the
	// Manager resizes the one it has instead.
	if !c.AttachToEntry || c.Placement != OnExchange || len(c.TakeProfit) != 1 || c.StopLoss == nil ||
		c.StopLoss.ATR != nil || !ref.IsPositive() || m.open() || m.s.Resting != nil {
		return exchange.AttachedBracket{}, false
	}
	tp := c.TakeProfit[0].Price
	if tp.IsZero() {
		tp = pct(ref, c.TakeProfit[0].Percent, 1)
	}
	stop := c.StopLoss.Price
	if stop.IsZero() {
		stop = pct(ref, c.StopLoss.Percent, -1)
	}
	p := m.d.Product
	return exchange.AttachedBracket{LimitPrice: p.RoundLimit(exchange.Sell, tp), StopTriggerPrice: p.RoundStop(exchange.Sell, stop)}, true
}

// NoteEntry records the strategy's reason for the entry order with
// clientOrderID; the round trip that entry opens carries it as its
// EntryReason (without it, "entry").
func (m *Manager) NoteEntry(clientOrderID, reason string) {
	if len(m.entryWhy) >= maxSeenTrades {
		clear(m.entryWhy)
	}
	m.entryWhy[clientOrderID] = reason
}

// NoteExit records why the exit order with clientOrderID was sent, as its
// journaled intent says (reason; empty when the journal did not keep it),
// for recovery: an exit the saved state does not name (the daemon was
// killed after sending it, before saving the state) and whose fill the
// venue reports ends its round trip with that reason, or with
// ReasonUnknown when the journal has none, never with a guessed stop-loss.
// A bracket that filled untriggered is a take-profit whatever is noted.
func (m *Manager) NoteExit(clientOrderID, reason string) {
	if clientOrderID == "" {
		return
	}
	if reason == "" {
		reason = ReasonUnknown
	}
	if len(m.exitWhy) >= maxSeenTrades {
		clear(m.exitWhy)
	}
	m.exitWhy[clientOrderID] = reason
}

// ReasonOf returns the reason the Manager sends (or sent) the exit order
// with clientOrderID for: its resting exit's stop rule (for a bracket,
// the stop leg's), a market exit's rule, a strategy sell's reason; empty
// for an order the state does not name. The engine journals it with the
// order's intent, so that a restarted daemon knows it (NoteExit).
func (m *Manager) ReasonOf(clientOrderID string) string {
	s := &m.s
	switch {
	case clientOrderID == "":
		return ""
	case s.Resting != nil && s.Resting.ClientOrderID == clientOrderID:
		return s.Resting.Reason
	case s.Market != nil && s.Market.ClientOrderID == clientOrderID:
		return s.Market.Reason
	}
	for i := range s.Cancelling {
		if s.Cancelling[i].ClientOrderID == clientOrderID {
			return s.Cancelling[i].Reason
		}
	}
	for i := range s.Sells {
		if s.Sells[i].ClientOrderID == clientOrderID {
			return s.Sells[i].Reason
		}
	}
	return ""
}

// ForgetEntry drops the reason noted for an entry that was not placed
// (refused), so that a strategy refused again and again (a grid's level
// over the guard's limits) does not fill the notes until they are
// cleared with the reasons of orders that rest.
func (m *Manager) ForgetEntry(clientOrderID string) { delete(m.entryWhy, clientOrderID) }

// now reads the injected clock.
func (m *Manager) now() time.Time { return m.d.Clock.Now() }

// OnIdle is the engine's heartbeat when no tick arrives: with bot
// placement, once the newest tick is older than stale_after, the stop the
// bot was watching is placed on the venue as a stop-limit, since a stale
// feed cannot see it reached. The first fresh tick cancels it again. It
// also fires the time stop and retries what a refused or unanswered
// request left undone.
func (m *Manager) OnIdle(ctx context.Context, now time.Time) {
	if !m.open() {
		return
	}
	if m.parked {
		if m.s.NeedSync {
			m.sync(ctx) // a parked stop the venue did not take yet
		}
		return
	}
	m.closeNextTick = false // a silent feed must not hold back the rest of a cut-short exit
	if m.checkTime(ctx) {
		return
	}
	if m.s.NeedSync {
		m.sync(ctx)
	}
	if m.cfg.Placement != InBot || m.s.StaleFallback || m.s.Market != nil || m.lastTick.IsZero() {
		return
	}
	if now.Sub(m.lastTick) < m.cfg.StaleAfter {
		return
	}
	m.d.Log.Warn("feed stale; resting the watched stop on the venue", "strategy", m.d.Strategy,
		"product", m.d.Product.ID, "stop", m.s.Stop, "last_tick", m.lastTick)
	m.s.StaleFallback = true
	m.sync(ctx)
}

// HoldOrders keeps the Manager from placing, moving or selling anything
// until Rearm, while recovery feeds it the venue's view of the orders the
// journal lists. A run killed after it placed an exit but before it saved
// the exit state that names it leaves that exit on the venue, known only
// to the journal: fed in the journal's order, the entry's fill would come
// first and, without the hold, place a second exit beside it (on spot,
// against another instance's base when the account holds some). Held, the
// Manager adopts the exit it finds instead (see which), and Rearm places
// only what is still missing. Cancels still go out while held.
func (m *Manager) HoldOrders() { m.held = true }

// Rearm makes the venue's protection match the state now: after Restore
// (and after the venue's view of the listed orders has been fed through
// OnOrderEvent) it resends orders whose outcome was unknown, under their
// client order ids, and places what is missing, so that protection is
// back before any new entry rather than at the next tick. It ends
// HoldOrders.
func (m *Manager) Rearm(ctx context.Context) {
	held := m.held
	m.held = false
	if m.open() || held {
		// At once: a refusal while recovery applied the venue's events
		// (the risk guard did not know the position yet) does not hold
		// protection back for update.min_interval.
		m.nextTry = time.Time{}
		m.sync(ctx)
	}
}

// Park rests the stop on the venue before tradebot stops: with bot
// placement nothing would watch it while the daemon is down, so it is
// placed as a stop-limit, exactly as for a stale feed (reason fallback if
// it fills). After the restart the first fresh tick cancels it and the
// bot watches again. With exchange placement the stop already rests and
// Park does nothing.
//
// Park is final: ticks still in the engine's mailbox after it are
// ignored (the crash test saw one arrive right after Park, take the feed
// for fresh again and cancel the parked stop, so the daemon stopped with
// the position unprotected), and an entry whose fill arrives after it
// gets a resting stop at once.
func (m *Manager) Park(ctx context.Context) {
	m.parked = true
	if !m.open() {
		return
	}
	if len(m.s.Sells) > 0 {
		// The strategy's sells hold base that nothing would protect while
		// the daemon is down: they are cancelled so that the stop covers
		// the whole position (the strategy places them again after the
		// restart).
		if err := m.cancelSells(ctx); err != nil {
			m.d.Log.Warn("stopping: a strategy sell could not be cancelled; the stop covers the rest", "strategy", m.d.Strategy,
				"product", m.d.Product.ID, "error", err)
		}
		if m.cfg.Placement == OnExchange || m.s.StaleFallback {
			m.nextTry = time.Time{}
			m.sync(ctx) // the resting stop grows to what the cancels freed
		}
	}
	if m.cfg.Placement != InBot || m.s.StaleFallback {
		return
	}
	m.s.StaleFallback = true
	m.sync(ctx)
}

// endStaleFallback returns to watching once ticks flow again; never after
// Park.
func (m *Manager) endStaleFallback(ctx context.Context) {
	if m.parked {
		return
	}
	m.s.StaleFallback = false
	m.d.Log.Info("feed fresh again; watching the stop in the bot", "strategy", m.d.Strategy, "product", m.d.Product.ID)
	m.sync(ctx)
}

// Close sells the whole position at market for reason (signal or
// kill_switch): it cancels the resting exit first, since on spot it holds
// the base. It returns the error of the last attempt, if any; the sale is
// retried on the next tick either way.
func (m *Manager) Close(ctx context.Context, reason string) error {
	if !m.open() {
		return nil
	}
	if m.parked {
		// Stopping: cancelling the parked stop for a sale that the
		// shutdown may cut short could leave the position bare.
		return fmt.Errorf("exit %s: %w", reason, ErrStopping)
	}
	return m.exitAll(ctx, reason, -1)
}

package daemon

import (
	"context"
	"errors"
	"fmt"
	"github.com/shopspring/decimal"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// live trades on Coinbase: REST for orders and the account, WebSocket for
// market data and order updates.
type live struct {
	cfg    *config.Config
	client *coinbase.Client
	creds  *coinbase.Credentials
	log    *slog.Logger
	obs    coinbase.Observer
	eng    *engine.Engine
	guard  *risk.Guard
	// reach is the engine once connected, told by every REST call
	// whether Coinbase answers (authWatch).
	reach  atomic.Pointer[engine.Engine]
	ready_ atomic.Bool
	// feeds is what the WebSocket connections and the key say about what
	// the daemon can see (feedHealth).
	feeds feedHealth
	// ph is what reconciliation found the journal holds and Coinbase
	// does not.
	ph phantoms
	// jrnl is the journal, whose derived fills the reconciliation
	// replaces by Coinbase's (replaceDerivedFills); set before the feed
	// runs, nil without one.
	jrnl *journalAdapter
	// resync asks the reconciler goroutine to reconcile orders and fills
	// through REST; buffered 1 so that requests coalesce.
	resync chan string
	// reconcileEvery is the period of the safety-net reconciliation
	// (Options.reconcileEvery, or defaultReconcileEvery).
	reconcileEvery time.Duration
	// maker and taker are the account's fee rates (fee tier).
	maker, taker decimal.Decimal
	// unheard compares the orders tracked with those the user channel
	// mentions, to find the channel silent (checkUnheard).
	unheard *unheard
	// redialUser is the feed's RedialUser, set before the reconciler
	// starts.
	redialUser func()
}

func newLive(ctx context.Context, cfg *config.Config, log *slog.Logger, m *metrics.Metrics, guard *risk.Guard,
	reconcileEvery time.Duration) (*live, error) {
	if reconcileEvery <= 0 {
		reconcileEvery = defaultReconcileEvery
	}
	creds, err := LoadCredentials(cfg.Coinbase, log)
	if err != nil {
		return nil, err
	}
	l := &live{cfg: cfg, creds: creds, log: log, guard: guard, resync: make(chan string, 1), unheard: newUnheard(),
		reconcileEvery: reconcileEvery, maker: cfg.Paper.Fees.Maker, taker: cfg.Paper.Fees.Taker}
	l.feeds.init(cfg, guard)
	l.ph = phantoms{guard: guard, m: m, log: log}
	// An operator's resume says the phantom orders were resolved: they
	// leave reconcile_phantoms at once, not at the next reconciliation.
	guard.OnStateChange(func(_, to risk.State, _, _ string) {
		if to == risk.Active {
			l.ph.resumed()
		}
	})
	obs := authWatch{coinbaseObserver{m}, l}
	l.obs = obs
	client, err := coinbase.NewClient(coinbase.Config{BaseURL: cfg.Coinbase.RESTURL, Credentials: creds, Observer: obs, Logger: log})
	if err != nil {
		return nil, err
	}
	report, err := CheckKey(ctx, client, cfg)
	if err != nil {
		return nil, err
	}
	for _, w := range report.Warnings {
		log.Warn(w)
	}
	log.Info("coinbase key checked", "key", coinbase.DisplayKeyName(creds.KeyName()), "can_trade", report.Permissions.CanTrade,
		"can_transfer", report.Permissions.CanTransfer, "portfolio", report.Permissions.PortfolioUUID,
		"clock_skew", report.ClockSkew.Round(time.Millisecond).String())
	l.client = client
	if ts, err := client.TransactionSummary(ctx, "SPOT"); err != nil {
		log.Warn("fee tier unavailable; assuming Coinbase's entry tier", "error", err)
	} else if ts.FeeTier.MakerFeeRate.IsPositive() || ts.FeeTier.TakerFeeRate.IsPositive() {
		l.maker, l.taker = ts.FeeTier.MakerFeeRate.Decimal, ts.FeeTier.TakerFeeRate.Decimal
	}
	return l, nil
}

func (l *live) fees() (maker, taker decimal.Decimal) { return l.maker, l.taker }

func (l *live) venue() exchange.Venue { return l.client }

func (l *live) history() engine.History { return l.client.Candles }

func (l *live) connect(eng *engine.Engine) {
	l.eng = eng
	l.reach.Store(eng)
}

func (l *live) ready() error {
	var problems []error
	if !l.ready_.Load() {
		problems = append(problems, fmt.Errorf("not reconciled with Coinbase yet"))
	}
	problems = append(problems, l.feeds.problems(time.Now())...)
	return joinProblems(problems)
}

// requestResync asks the reconciler for a pass through REST: the user
// channel may have lost messages, so entries wait until it is done.
func (l *live) requestResync(reason string) {
	l.feeds.resyncRequested(reason)
	select {
	case l.resync <- reason:
	default:
	}
}

// runFeed runs the Coinbase feed and the reconciler until ctx ends.
func (l *live) runFeed(ctx context.Context, eng *engine.Engine, stop func()) error {
	ids := eng.Products()
	feed, err := coinbase.NewFeed(coinbase.FeedConfig{
		MarketURL: l.cfg.Coinbase.MarketDataURL, UserURL: l.cfg.Coinbase.UserURL, Credentials: l.creds,
		Products: ids, Channels: []string{coinbase.ChannelTicker, coinbase.ChannelMarketTrades},
		User: true, OnTick: l.feeds.tick(eng.OnTick), OnOrder: l.unheard.note(eng.HandleEvent), OnResync: l.requestResync,
		OnConnection: l.feeds.connection, Observer: l.obs, Logger: l.log,
	})
	if err != nil {
		return err
	}
	l.feeds.armAuth()
	l.redialUser = feed.RedialUser
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.reconcileLoop(ctx)
	}()
	err = feed.Run(ctx)
	<-done
	return err
}

// reconcileLoop resolves orders in flight and reconciles after every
// resync request from the feed, and every minute as a safety net. A
// resync that could not ask about every order is tried again every few
// seconds: entries wait until one completes (feedHealth).
func (l *live) reconcileLoop(ctx context.Context) {
	l.pass(ctx, "start")
	l.ready_.Store(true)
	t := time.NewTicker(l.reconcileEvery)
	defer t.Stop()
	retry := time.NewTicker(retryEvery)
	defer retry.Stop()
	heard := time.NewTicker(unheardEvery)
	defer heard.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-heard.C:
			l.checkUnheard()
		case reason := <-l.resync:
			l.pass(ctx, reason)
		case <-t.C:
			l.pass(ctx, "periodic")
		case <-retry.C:
			if l.feeds.resyncPending() {
				l.pass(ctx, "retry")
			}
		}
	}
}

// checkUnheard finds the user channel silent about orders Coinbase
// accepted (unheard) while it counts as up: it then asks for a
// reconciliation, which pauses entries until it is done and books what
// filled unseen, and resubscribes the user channel. Without it, an
// entry's fill went unseen, its position bare, until the minutely safety
// net.
func (l *live) checkUnheard() {
	now := time.Now()
	if !l.feeds.seeing() {
		// Down or resyncing: silence says nothing, and a pass follows.
		l.unheard.restart(now)
		return
	}
	late := l.unheard.check(now, l.eng.Executor().Tracked())
	if len(late) == 0 {
		return
	}
	l.log.Warn("the user channel said nothing of orders Coinbase accepted; asking Coinbase over REST and resubscribing",
		"orders", late, "within", unheardAfter.String())
	l.requestResync("unheard_order")
	if l.redialUser != nil {
		l.redialUser()
	}
}

// defaultReconcileEvery is the period of the safety-net reconciliation,
// the one that also compares balances with positions.
const defaultReconcileEvery = time.Minute

// retryEvery is how often an incomplete resync is tried again.
const retryEvery = 5 * time.Second

// pass runs one reconciliation and tells feedHealth when it caught up
// with every resync asked for before it began.
func (l *live) pass(ctx context.Context, reason string) {
	gen := l.feeds.resyncStarted()
	if l.reconcile(ctx, reason) {
		l.feeds.resyncDone(gen)
	}
}

// reconcile asks Coinbase for the state of every order the executor
// tracks and applies it; fills missed on the user channel arrive as
// increases of cumulative filled size. It reports whether every order's
// state came back.
func (l *live) reconcile(ctx context.Context, reason string) bool {
	complete := true
	start := time.Now()
	l.eng.Executor().ResolveInFlight(ctx)
	tracked := l.eng.Executor().Tracked()
	found := passReport{Reason: reason, Orders: len(tracked)}
	// Logged, except the minutely safety net, so that a resync after a
	// gap or a reconnect shows in the log.
	level := slog.LevelInfo
	if reason == "periodic" {
		level = slog.LevelDebug
	}
	l.log.Log(ctx, level, "reconciling orders with Coinbase", "reason", reason, "orders", len(tracked))
	for _, id := range tracked {
		o, err := l.client.Order(ctx, id)
		if errors.Is(err, exchange.ErrOrderNotFound) {
			// The exchange does not know an order it acknowledged: its
			// instance protects again without it, and an operator must
			// resolve what it was for.
			if cid, ok := l.eng.Executor().EndMissing(id, "NOT_FOUND_ON_RECONCILE"); ok {
				l.ph.order(cid+" ("+id+")", "reconciliation, "+reason)
			}
			found.NotFound++
			continue
		}
		if err != nil {
			l.log.Warn("reconcile: order state unavailable", "order_id", id, "reason", reason, "error", err)
			complete = false
			found.Unavailable++
			continue
		}
		// A take-profit/stop-loss bracket Coinbase attached to an entry is
		// known only through the entry: the user channel names neither its
		// client order id nor its entry. It is handed over before the
		// entry's own state, which may end the entry, so that the engine
		// still knows the entry and adopts the bracket with its fills.
		if o.AttachedOrderID != "" && !tracks(l.eng, o.AttachedOrderID) {
			if a, err := l.client.Order(ctx, o.AttachedOrderID); err != nil {
				l.log.Warn("reconcile: attached order state unavailable", "order_id", o.AttachedOrderID, "reason", reason, "error", err)
			} else {
				l.eng.HandleEvent(exchange.OrderEvent{Order: a})
			}
		}
		l.eng.HandleEvent(exchange.OrderEvent{Order: o})
	}
	if reason == "periodic" {
		short, err := l.ph.balances(ctx, l.client, l.cfg)
		if err != nil {
			l.log.Warn("reconcile: balances unavailable", "error", err)
		}
		found.ShortBalances = short
	}
	// Every pass, not only the minutely one: after a reconnect or a gap
	// the fills derived meanwhile merge the most real ones.
	l.replaceDerivedFills(ctx)
	complete = complete && ctx.Err() == nil
	// Its end is logged as its start is: what it found (a phantom, an
	// order's fill) is applied by then, and an operator (or a test)
	// reading the log knows the resync is over.
	l.log.Log(ctx, level, "reconciled orders with Coinbase", "reason", reason, "orders", len(tracked),
		"complete", complete, "took", time.Since(start).Round(time.Millisecond).String())
	found.Complete, found.TookMS = complete, time.Since(start).Milliseconds()
	l.recordPass(found)
	return complete
}

// tracks reports whether the engine tracks the venue order id.
func tracks(eng *engine.Engine, orderID string) bool {
	return slices.Contains(eng.Executor().Tracked(), orderID)
}

// replaceDerivedFills gives the journal Coinbase's own fills (trade ids,
// liquidity, prices, fees) in place of those derived from the user
// channel's cumulative order states, once Coinbase lists them all. The
// positions are not touched: the derived fills had the same sizes, and
// the executor's cumulative accounting applied each once.
func (l *live) replaceDerivedFills(ctx context.Context) {
	if l.jrnl == nil {
		return
	}
	orders, oldest, err := l.jrnl.SyntheticFillOrders()
	if err != nil || len(orders) == 0 {
		return
	}
	// A minute's margin: a derived fill's time is the update's, a little
	// after the real fill's.
	fills, err := l.client.FillsSince(ctx, oldest.Add(-time.Minute))
	if err != nil {
		l.log.Warn("reconcile: fills unavailable", "error", err)
		return
	}
	byOrder := map[string][]exchange.Fill{}
	for _, f := range fills {
		byOrder[f.OrderID] = append(byOrder[f.OrderID], f)
	}
	for _, id := range orders {
		if len(byOrder[id]) == 0 {
			continue
		}
		ok, err := l.jrnl.ReplaceSyntheticFills(id, byOrder[id])
		switch {
		case err != nil:
			l.log.Warn("reconcile: replacing derived fills failed", "order_id", id, "error", err)
		case ok:
			l.log.Debug("reconcile: derived fills replaced by Coinbase's", "order_id", id, "fills", len(byOrder[id]))
		}
	}
}

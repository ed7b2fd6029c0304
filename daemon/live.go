package daemon

import (
	"context"
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
	ready_ atomic.Bool
	// resync asks the reconciler goroutine to reconcile orders and fills
	// through REST; buffered 1 so that requests coalesce.
	resync chan string
	// maker and taker are the account's fee rates (fee tier).
	maker, taker decimal.Decimal
}

func newLive(ctx context.Context, cfg *config.Config, log *slog.Logger, m *metrics.Metrics) (*live, error) {
	creds, err := LoadCredentials(cfg.Coinbase, log)
	if err != nil {
		return nil, err
	}
	obs := coinbaseObserver{m}
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
	log.Info("coinbase key checked", "key", creds.KeyName(), "can_trade", report.Permissions.CanTrade,
		"can_transfer", report.Permissions.CanTransfer, "portfolio", report.Permissions.PortfolioUUID,
		"clock_skew", report.ClockSkew.Round(time.Millisecond).String())
	l := &live{cfg: cfg, client: client, creds: creds, log: log, obs: obs, resync: make(chan string, 1),
		maker: cfg.Paper.Fees.Maker, taker: cfg.Paper.Fees.Taker}
	if ts, err := client.TransactionSummary(ctx, "SPOT"); err != nil {
		log.Warn("fee tier unavailable; assuming Coinbase's entry tier", "error", err)
	} else if ts.FeeTier.MakerFeeRate.IsPositive() || ts.FeeTier.TakerFeeRate.IsPositive() {
		l.maker, l.taker = ts.FeeTier.MakerFeeRate.Decimal, ts.FeeTier.TakerFeeRate.Decimal
	}
	return l, nil
}

func (l *live) fees() (maker, taker decimal.Decimal) { return l.maker, l.taker }

func (l *live) venue() exchange.Venue { return l.client }

func (l *live) connect(eng *engine.Engine) { l.eng = eng }

func (l *live) ready() error {
	if !l.ready_.Load() {
		return fmt.Errorf("not reconciled with Coinbase yet")
	}
	return nil
}

func (l *live) requestResync(reason string) {
	select {
	case l.resync <- reason:
	default:
	}
}

// runFeed runs the Coinbase feed and the reconciler until ctx ends.
func (l *live) runFeed(ctx context.Context, eng *engine.Engine, stop func()) error {
	products := map[string]bool{}
	var ids []string
	for _, s := range l.cfg.Strategies {
		if !products[s.Product] {
			products[s.Product] = true
			ids = append(ids, s.Product)
		}
	}
	feed, err := coinbase.NewFeed(coinbase.FeedConfig{
		MarketURL: l.cfg.Coinbase.MarketDataURL, UserURL: l.cfg.Coinbase.UserURL, Credentials: l.creds,
		Products: ids, Channels: []string{coinbase.ChannelTicker, coinbase.ChannelMarketTrades},
		User: true, OnTick: eng.OnTick, OnOrder: eng.HandleEvent, OnResync: l.requestResync,
		Observer: l.obs, Logger: l.log,
	})
	if err != nil {
		return err
	}
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
// resync request from the feed, and every minute as a safety net.
func (l *live) reconcileLoop(ctx context.Context) {
	l.reconcile(ctx, "start")
	l.ready_.Store(true)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case reason := <-l.resync:
			l.reconcile(ctx, reason)
		case <-t.C:
			l.reconcile(ctx, "periodic")
		}
	}
}

// reconcile asks Coinbase for the state of every order the executor
// tracks and applies it; fills missed on the user channel arrive as
// increases of cumulative filled size.
func (l *live) reconcile(ctx context.Context, reason string) {
	l.eng.Executor().ResolveInFlight(ctx)
	tracked := l.eng.Executor().Tracked()
	// Logged, except the minutely safety net, so that a resync after a
	// gap or a reconnect shows in the log.
	level := slog.LevelInfo
	if reason == "periodic" {
		level = slog.LevelDebug
	}
	l.log.Log(ctx, level, "reconciling orders with Coinbase", "reason", reason, "orders", len(tracked))
	for _, id := range tracked {
		o, err := l.client.Order(ctx, id)
		if err != nil {
			l.log.Warn("reconcile: order state unavailable", "order_id", id, "reason", reason, "error", err)
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
}

// tracks reports whether the engine tracks the venue order id.
func tracks(eng *engine.Engine, orderID string) bool {
	return slices.Contains(eng.Executor().Tracked(), orderID)
}

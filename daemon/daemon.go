// Package daemon assembles the long-running tradebot process from its
// configuration: the venue (simulated or Coinbase), the market-data feed,
// the engine, the risk guard and its kill switch, the journal, and the
// HTTP server for metrics. cmd/tradebot parses flags and calls Run.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/notify"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// Options are what the command line gives the daemon.
type Options struct {
	Config *config.Config
	Log    *slog.Logger
	// ListenAddress and WebConfigFile override the config's web block when
	// set (the --web.listen-address and --web.config.file flags).
	ListenAddress string
	WebConfigFile string
	Version       string
	// Ready, when set, receives the bound HTTP address once the daemon
	// serves, for tests and for the start-up log.
	Ready func(addr net.Addr)
}

// ShutdownGrace bounds how long the daemon waits for in-flight work after
// it is asked to stop.
const ShutdownGrace = 4 * time.Second

// Run runs the daemon until ctx ends (SIGINT or SIGTERM), or until the
// recording ends when the config says to exit then. It returns nil on a
// clean stop.
func Run(ctx context.Context, o Options) error {
	cfg := o.Config
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Paper replay runs on the recording's time, so that staleness, time
	// stops and daily boundaries mean the same as in a backtest; the feed
	// moves the clock. Everything else runs on the wall clock.
	var clk clock.Clock = clock.Wall{}
	var replayClock *clock.Sim
	if cfg.Mode == config.ModePaper && cfg.Paper.Feed == "replay" {
		replayClock = &clock.Sim{}
		clk = replayClock
	}

	reg := metrics.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{
		Clock: clk, Version: o.Version, Instances: instanceIDs(cfg),
		Currencies: currencies(cfg), Feeds: []string{"replay", "market", "user"}, RiskRules: risk.Rules,
	})
	if err != nil {
		return err
	}
	obs := &metricsObserver{Metrics: m, replay: replayClock != nil}

	guard, err := risk.NewGuard(cfg.Risk, clk)
	if err != nil {
		return fmt.Errorf("risk: %w", err)
	}
	var jrnl *journalAdapter
	if cfg.StateDir != "" {
		open := openJournal
		if cfg.Mode == config.ModePaper {
			open = openPaperJournal // see asyncJournal for why paper may relax
		}
		jrnl, err = open(filepath.Join(cfg.StateDir, "journal.db"))
		if err != nil {
			return err
		}
		defer jrnl.Close()
		if err := jrnl.restoreRisk(guard); err != nil {
			return err
		}
	}
	guard.OnStateChange(func(from, to risk.State, rule, reason string) {
		log.Warn("trading state changed", "from", from.String(), "to", to.String(), "rule", rule, "reason", reason)
		m.TradingState(to.String())
		m.SetKillSwitch(to == risk.Halted && rule == risk.RuleKillSwitch)
		if jrnl != nil {
			// A halt must survive a restart: saved at once, not on the
			// periodic save.
			if err := jrnl.saveRisk(guard); err != nil {
				log.Error("journal: saving the trading state failed", "error", err)
			}
		}
	})
	m.TradingState(guard.State().String())
	if guard.State() != risk.Active {
		log.Warn("trading state restored from the journal", "state", guard.State().String())
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()

	var mode modeRunner
	switch cfg.Mode {
	case config.ModePaper:
		mode, err = newPaper(cfg, replayClock, log)
	case config.ModeLive:
		mode, err = newLive(runCtx, cfg, log, m)
	default:
		err = fmt.Errorf("mode %q is not available in this build", cfg.Mode)
	}
	if err != nil {
		return err
	}

	specs, err := cfg.InstanceSpecs()
	if err != nil {
		return err
	}
	maker, taker := mode.fees()
	var notifier *notify.Webhook
	if cfg.Notify.WebhookURL != "" {
		if notifier, err = newNotifier(cfg.Notify, log); err != nil {
			return err
		}
		obs.notify = notifier
	}
	opts := engine.Options{Venue: mode.venue(), Guard: guard, Observer: obs, Clock: clk, Log: log,
		Instances: specs, MakerFee: maker, TakerFee: taker, ForgetRoundTrips: true}
	if jrnl != nil {
		opts.Journal = jrnl
		if cfg.Mode == config.ModePaper {
			// The venue is in this process: journal off the order path
			// (asyncJournal says why that is safe). Deferred after
			// jrnl.Close, so it runs first and writes everything queued.
			aj := newAsyncJournal(jrnl, log)
			defer func() {
				if err := aj.Close(); err != nil {
					log.Error("journal: paper writes failed", "error", err)
				}
			}()
			opts.Journal = aj
			opts.OnRoundTrip = aj.roundTrip
		} else {
			opts.OnRoundTrip = jrnl.roundTrip(log)
		}
	}
	eng, err := engine.New(runCtx, opts)
	if err != nil {
		return err
	}
	mode.connect(eng)
	if jrnl != nil && cfg.Mode == config.ModeLive {
		rep, err := eng.Recover(runCtx, jrnl, mode.venue())
		if err != nil {
			return fmt.Errorf("start-up recovery from the journal and Coinbase: %w", err)
		}
		log.Info("recovered from the journal and the exchange", "instances_restored", rep.Restored,
			"orders_resolved", rep.Resolved, "orders_missing", rep.Missing, "fills_adopted", rep.Adopted,
			"unknown_open_orders", len(rep.Unknown), "open_positions", rep.OpenPositions)
	}

	ks := &killSwitch{guard: guard, engine: eng, log: log, metrics: m, ctx: runCtx}
	// The file and signal watchers are in place before the daemon serves
	// or trades, so that an early SIGUSR1 halts rather than kills it.
	ksWait := ks.arm(runCtx, cfg.KillSwitch)
	srvCfg := metrics.ServerConfig{
		ListenAddress: firstNonEmpty(o.ListenAddress, cfg.Web.ListenAddress),
		WebConfigFile: firstNonEmpty(o.WebConfigFile, cfg.Web.ConfigFile),
		Gatherer:      prometheus.Gatherers{reg},
		Ready:         mode.ready,
		Handlers:      map[string]http.Handler{"/killswitch": ks.handler()},
		Logger:        log,
	}
	srv, err := metrics.Listen(srvCfg)
	if err != nil {
		return err
	}
	log.Info("tradebot started", "mode", cfg.Mode, "strategies", len(cfg.Strategies),
		"metrics", "http://"+srv.Addr().String()+"/metrics", "version", o.Version)
	if o.Ready != nil {
		o.Ready(srv.Addr())
	}

	// The engine's goroutines outlive runCtx by the time it takes to park
	// protection on the exchange at shutdown.
	engCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	var engWG sync.WaitGroup
	engWG.Add(1)
	go func() {
		defer engWG.Done()
		_ = eng.Run(engCtx)
	}()

	var wg sync.WaitGroup
	var feedErr error
	if notifier != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			notifier.Run(runCtx)
		}()
	}
	wg.Add(4)
	go func() {
		defer wg.Done()
		if err := srv.Serve(runCtx); err != nil {
			log.Error("http server", "error", err)
		}
	}()
	go func() {
		defer wg.Done()
		reportAccount(runCtx, mode.venue(), guard, m, cfg, log)
	}()
	go func() {
		defer wg.Done()
		feedErr = mode.runFeed(runCtx, eng, stop)
		if feedErr != nil && !errors.Is(feedErr, context.Canceled) {
			log.Error("market data feed stopped", "error", feedErr)
			stop()
		}
	}()
	go func() {
		defer wg.Done()
		ksWait()
	}()

	<-runCtx.Done()
	eng.StopEntries()
	log.Info("stopping: no new entries; protective stops rest on the exchange and stay there")
	parkCtx, cancelPark := context.WithTimeout(context.Background(), ShutdownGrace-time.Second)
	eng.Park(parkCtx)
	cancelPark()
	stopEngine()
	engWG.Wait()
	wg.Wait()
	log.Info("stopped")
	if feedErr != nil && !errors.Is(feedErr, context.Canceled) {
		return feedErr
	}
	return nil
}

// modeRunner is what differs between paper and live: the venue, the feed
// and readiness.
type modeRunner interface {
	venue() exchange.Venue
	// connect routes the venue's order events to the engine.
	connect(eng *engine.Engine)
	// runFeed delivers market data to the engine until ctx ends or the
	// data ends; stop ends the daemon when the data ends and the config
	// says to exit then.
	runFeed(ctx context.Context, eng *engine.Engine, stop func()) error
	ready() error
	// fees returns the maker and taker rates the venue charges.
	fees() (maker, taker decimal.Decimal)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func instanceIDs(cfg *config.Config) []metrics.InstanceID {
	ids := make([]metrics.InstanceID, 0, len(cfg.Strategies))
	for _, s := range cfg.Strategies {
		ids = append(ids, metrics.InstanceID{Strategy: s.Name, Product: s.Product})
	}
	return ids
}

func currencies(cfg *config.Config) []string {
	seen := map[string]bool{}
	var out []string
	for c := range cfg.Paper.Balances {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

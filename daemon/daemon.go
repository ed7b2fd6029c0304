// Package daemon assembles the long-running tradebot process from its
// configuration: the venue (simulated or Coinbase), the market-data feed,
// the engine, the risk guard and its kill switch, the journal, and the
// HTTP server for metrics. Package cli parses flags and calls Run.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/notify"
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
	// Program is the program's name as the user ran it (cli's args[0],
	// mybot for a Go program of one's own built on package cli), which
	// the start-up line and the advice in messages use; empty means
	// tradebot.
	Program string
	// Ready, when set, receives the bound HTTP address once start-up is
	// done and the daemon trades (it serves from the start of start-up),
	// for tests and for the start-up log.
	Ready func(addr net.Addr)

	// reconcileEvery is the period of live trading's safety-net
	// reconciliation (zero: defaultReconcileEvery); the daemon's tests
	// shorten it to see two balance checks in a few seconds, or lengthen
	// it so that only a reconnect reconciles.
	reconcileEvery time.Duration
}

// Run runs the daemon until ctx ends (SIGINT or SIGTERM), or until the
// recording ends when the config says to exit then. It returns nil on a
// clean stop, a stop asked for during start-up included. The steps below
// are the start-up sequence in order; each one that holds a resource
// registers how to release it, and Run releases them in reverse order
// however it returns.
func Run(ctx context.Context, o Options) (err error) {
	d := newDaemon(o)
	defer d.release()
	serving := false
	defer func() {
		// A SIGTERM while start-up waits on Coinbase (its clock, the key,
		// the products, the recovery's listings) fails that request; the
		// operator asked to stop, so this is a clean stop, not a network
		// error and exit 1 (a failed unit, a restart loop). What recovery
		// did before the stop is in the journal, and the next start
		// resumes it. Only the stop's own error is: a failure of its own
		// (a bad key, a journal that cannot open, a socket in use) that
		// lands with the signal is still a failed start, which the
		// supervisor must see.
		if err != nil && !serving && ctx.Err() != nil && errors.Is(err, context.Canceled) {
			d.log.Info("stopped during start-up", "interrupted", err.Error())
			err = nil
		}
	}()
	if err := d.createMetrics(); err != nil {
		return err
	}
	if err := d.createNotifier(); err != nil {
		return err
	}
	d.cancelOnStop(ctx)
	if err := d.listen(); err != nil {
		return err
	}
	d.starting("creating the risk guard")
	if err := d.createRiskGuard(); err != nil {
		return err
	}
	d.starting("opening the journal")
	if err := d.openJournal(); err != nil {
		return err
	}
	d.followTradingState()
	d.starting("connecting to the venue")
	if err := d.connectVenue(); err != nil {
		return err
	}
	if err := d.createEngine(); err != nil {
		return err
	}
	d.starting("recovering from the journal and the exchange")
	if err := d.recoverFromJournal(); err != nil {
		return err
	}
	d.starting("warming up the strategies")
	d.warmUp()
	d.starting("arming the kill switch")
	if err := d.armKillSwitch(); err != nil {
		return err
	}
	serving = true
	d.startEngine()
	d.started()
	d.startServices()
	<-d.runCtx.Done()
	stuck := d.shutDown()
	if d.feedErr != nil && !errors.Is(d.feedErr, context.Canceled) {
		return d.feedErr
	}
	return stuck
}

// daemon holds what the start-up steps build, for the steps after them.
// Only Run's goroutine touches it, except feedErr (see startServices).
type daemon struct {
	o   Options
	cfg *config.Config
	log *slog.Logger
	// clk is the clock of trading decisions; replayClock is the same
	// clock when a paper replay moves it, nil otherwise.
	clk         clock.Clock
	replayClock *clock.Sim

	reg   *prometheus.Registry
	m     *metrics.Metrics
	obs   *metricsObserver
	guard *risk.Guard
	jrnl  *journalAdapter
	mode  modeRunner
	// notifier is nil without notify.webhook_url; it runs until
	// stopNotifier, after the engine, so that shutdown's events go out.
	notifier     *notify.Webhook
	stopNotifier context.CancelFunc
	// killSwitchOn is whether the kill switch holds the halt, as the
	// trading-state listener last saw it, guarded by stateMu.
	stateMu      sync.Mutex
	killSwitchOn bool
	eng          *engine.Engine
	ks           *killSwitch
	srv          *metrics.Server
	// step is the start-up step running (startup.go), ksHTTP the kill
	// switch's HTTP handler once armed: the HTTP server reads both.
	step   atomic.Pointer[startStep]
	ksHTTP atomic.Pointer[http.Handler]
	// sdWarnOnce logs the first failure to notify systemd.
	sdWarnOnce sync.Once
	// watchdogDone is closed when the watchdog's pings have ended
	// (feedWatchdog, on runCtx).
	watchdogDone chan struct{}

	// stallLogged is, per strategy instance, the last turn of the stall
	// last logged (live), guarded by stallMu: /healthz runs on the HTTP
	// server's goroutines.
	stallMu     sync.Mutex
	stallLogged map[string]time.Time

	// stateFile keeps the trading state beside the journal (nil without
	// a state_dir); stateFileMu orders its records.
	stateFile   *risk.StateFile
	stateFileMu sync.Mutex

	// runCtx ends when the daemon is asked to stop; stop asks it.
	runCtx context.Context
	stop   context.CancelFunc
	// stopEngine ends the engine's goroutine, which outlives runCtx by the
	// time it takes to park protection on the exchange at shutdown.
	stopEngine context.CancelFunc
	engDone    chan struct{} // closed when the engine's goroutine has returned
	wg         sync.WaitGroup
	// feedErr is written by the feed goroutine and read after wg.Wait.
	feedErr error

	releases []func()
	// journalCloses close the journal and what writes through it, in
	// reverse order; closeJournal runs them.
	journalCloses []func()
}

func newDaemon(o Options) *daemon {
	d := &daemon{o: o, cfg: o.Config, log: o.Log}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	// Paper replay runs on the recording's time, so that staleness, time
	// stops and daily boundaries mean the same as in a backtest; the feed
	// moves the clock. Everything else runs on the wall clock.
	d.clk = clock.Wall{}
	if d.cfg.Mode == config.ModePaper && d.cfg.Paper.Feed == "replay" {
		d.replayClock = &clock.Sim{}
		d.clk = d.replayClock
	}
	return d
}

// onRelease registers f to run when Run returns, before everything
// registered earlier.
func (d *daemon) onRelease(f func()) { d.releases = append(d.releases, f) }

func (d *daemon) release() {
	for i := len(d.releases) - 1; i >= 0; i-- {
		d.releases[i]()
	}
}

func (d *daemon) createMetrics() error {
	d.reg = metrics.NewRegistry()
	m, err := metrics.New(d.reg, metrics.Options{
		Clock: d.clk, Version: d.o.Version, Instances: instanceIDs(d.cfg), Exits: exitRules(d.cfg),
		RESTEndpoints: restEndpoints, RejectReasons: exchange.RejectReasons,
		Currencies: currencies(d.cfg), Feeds: []string{"replay", "market", "user"}, RiskRules: risk.Rules,
	})
	if err != nil {
		return err
	}
	d.m = m
	d.obs = &metricsObserver{Metrics: m, replay: d.replayClock != nil}
	return nil
}

func (d *daemon) createRiskGuard() error {
	guard, err := risk.NewGuard(d.cfg.Risk, d.clk)
	if err != nil {
		return fmt.Errorf("risk: %w", err)
	}
	d.guard = guard
	return nil
}

// openJournal opens the journal in state_dir, when one is set, and
// restores the trading state saved there and in the trading-state file.
func (d *daemon) openJournal() error {
	if d.cfg.StateDir == "" {
		return nil
	}
	// Paper trading commits intents like every other write (see
	// asyncJournal for why paper may relax); live trading never does.
	opt := journal.Options{Program: d.program(), RelaxedIntents: d.cfg.Mode == config.ModePaper}
	jrnl, err := openJournalWith(filepath.Join(d.cfg.StateDir, "journal.db"), opt)
	if err != nil {
		return err
	}
	d.jrnl = jrnl
	d.onRelease(d.closeJournal)
	d.journalCloses = append(d.journalCloses, func() { _ = jrnl.Close() })
	// Paper's writer numbers fills after the guard booked them (asyncJournal).
	jrnl.numbersLate = d.cfg.Mode == config.ModePaper
	if err := jrnl.restoreRisk(d.guard); err != nil {
		return err
	}
	if st := d.guard.State(); st != risk.Active {
		d.log.Warn("trading state restored from the journal", "state", st.String())
	}
	d.openStateFile()
	return nil
}

// followTradingState logs, exports and journals every change of the
// trading state, and exports the state restored at start.
func (d *daemon) followTradingState() {
	log, m, jrnl, guard := d.log, d.m, d.jrnl, d.guard
	info := guard.StateInfo()
	d.killSwitchOn = info.State == risk.Halted && info.Rule == risk.RuleKillSwitch
	guard.OnStateChange(func(from, to risk.State, rule, reason string) {
		log.Warn("trading state changed", "from", from.String(), "to", to.String(), "rule", rule, "reason", reason)
		m.TradingState(to.String())
		m.SetKillSwitch(to == risk.Halted && rule == risk.RuleKillSwitch)
		d.notifyStateChange(from, to, rule, reason)
		// The file first: it takes a halt the journal cannot (a full
		// disk).
		_ = d.recordState()
		if jrnl != nil {
			// A halt must survive a restart: saved at once, not on the
			// periodic save.
			if err := jrnl.saveRisk(guard); err != nil {
				log.Error("journal: saving the trading state failed", "error", err)
			}
		}
	})
	m.TradingState(guard.State().String())
}

// cancelOnStop derives the context that ends when ctx ends or the daemon
// stops itself (the recording ended, the feed failed).
func (d *daemon) cancelOnStop(ctx context.Context) {
	d.runCtx, d.stop = context.WithCancel(ctx)
	d.onRelease(d.stop)
}

// closeJournal closes the journal, and the trading-state file beside it,
// once the engine's goroutine has ended: at once after a stop or a
// failed start, or, when a strategy's loop did not end (waitForLoops),
// when that loop ends, if ever. The loop outlives Run then; should it
// wake, its orders are refused (Executor.Close) but what it writes (its
// progress, a round trip it closes, a change of the trading state) goes
// to an open journal and file, not lost nor written to closed ones. The
// journal's file and lock stay held until then: the command exits first
// and the system releases them.
func (d *daemon) closeJournal() {
	closeAll := func() {
		for i := len(d.journalCloses) - 1; i >= 0; i-- {
			d.journalCloses[i]()
		}
	}
	if d.engDone == nil {
		closeAll()
		return
	}
	select {
	case <-d.engDone:
		closeAll()
	default:
		d.log.Warn("journal: left open until the stuck loop ends, so that nothing it writes is lost")
		go func() {
			<-d.engDone
			closeAll()
		}()
	}
}

// connectVenue builds the mode's venue and feed: the simulated exchange
// in paper mode, Coinbase in live mode.
func (d *daemon) connectVenue() error {
	var err error
	switch d.cfg.Mode {
	case config.ModePaper:
		d.mode, err = newPaper(d.cfg, d.clk, d.replayClock, d.log, coinbaseObserver{d.m})
	case config.ModeLive:
		d.mode, err = newLive(d.runCtx, d.cfg, d.log, d.m, d.guard, d.o.reconcileEvery)
	default:
		err = fmt.Errorf("mode %q: must be paper or live", d.cfg.Mode)
	}
	return err
}

// createEngine builds the engine over the venue, with the notifier and
// the journal, and routes the venue's order events to it.
func (d *daemon) createEngine() error {
	specs, err := d.cfg.InstanceSpecs()
	if err != nil {
		return err
	}
	maker, taker := d.mode.fees()
	opts := engine.Options{Venue: d.mode.venue(), Guard: d.guard, Observer: d.obs, Clock: d.clk, Log: d.log,
		Instances: specs, MakerFee: maker, TakerFee: taker, ForgetRoundTrips: true, OnJournal: d.journalHealth}
	d.attachJournal(&opts)
	if d.jrnl != nil {
		rs := startRiskSaver(d.jrnl, d.guard, d.log)
		opts.OnFillCounted = rs.counted
		d.onRelease(rs.stop)
	}
	eng, err := engine.New(d.runCtx, opts)
	if err != nil {
		return err
	}
	d.eng = eng
	d.mode.connect(eng)
	return nil
}

// attachJournal gives the engine the journal, if there is one.
func (d *daemon) attachJournal(opts *engine.Options) {
	if d.jrnl == nil {
		return
	}
	opts.Journal = d.jrnl
	if d.cfg.Mode != config.ModePaper {
		opts.OnRoundTrip = d.jrnl.roundTrip(d.log)
		return
	}
	// The venue is in this process: journal off the order path
	// (asyncJournal says why that is safe). Closed before the journal
	// (closeJournal), so that it writes everything queued.
	aj := newAsyncJournal(d.jrnl, d.log)
	d.journalCloses = append(d.journalCloses, func() {
		if err := aj.Close(); err != nil {
			d.log.Error("journal: paper writes failed", "error", err)
		}
	})
	opts.Journal = aj
	opts.OnRoundTrip = aj.roundTrip
}

// recoverFromJournal reconciles, in live mode, what the journal says
// with what Coinbase says, before anything trades.
func (d *daemon) recoverFromJournal() error {
	if d.jrnl == nil || d.cfg.Mode != config.ModeLive {
		return nil
	}
	rep, err := d.eng.Recover(d.runCtx, d.jrnl, d.mode.venue())
	if err != nil {
		return fmt.Errorf("start-up recovery from the journal and Coinbase: %w", err)
	}
	d.log.Info("recovered from the journal and the exchange", "instances_restored", rep.Restored,
		"orders_resolved", rep.Resolved, "orders_missing", rep.Missing, "fills_adopted", rep.Adopted,
		"unknown_open_orders", len(rep.Unknown), "open_positions", rep.OpenPositions)
	if l, ok := d.mode.(*live); ok {
		l.jrnl = d.jrnl
		for _, ph := range rep.Phantoms {
			l.ph.order(ph, "start-up recovery")
		}
	}
	return nil
}

// warmUp feeds the strategies the history their bars need, from
// Coinbase's candles endpoint, before the engine runs; a mode without a
// history (a paper replay) lets them warm up on the data it replays.
func (d *daemon) warmUp() {
	if h := d.mode.history(); h != nil {
		d.eng.WarmUp(d.runCtx, h, d.clk.Now())
	} else {
		d.eng.EndWarmUp(d.clk.Now())
	}
}

// armKillSwitch puts the socket, file and signal watchers in place, and
// opens /killswitch on the HTTP server, before the daemon trades, so that
// an early SIGUSR1 halts rather than kills it. A socket it cannot serve
// stops the start.
func (d *daemon) armKillSwitch() error {
	d.ks = &killSwitch{guard: d.guard, engine: d.eng, log: d.log, metrics: d.m, ctx: d.runCtx, hostNames: d.cfg.KillSwitch.HostNames}
	if d.jrnl != nil {
		d.ks.persist = d.persistState
	}
	wait, err := d.ks.arm(d.runCtx, d.cfg.KillSwitch)
	if err != nil {
		return err
	}
	h := d.ks.handler()
	d.ksHTTP.Store(&h)
	// The one wait for the watchers, the socket's removal included, on
	// every way out: a stop during start-up and after it alike. runCtx
	// has ended by then, which ends them.
	d.onRelease(func() { d.stop(); wait() })
	return nil
}

// listen binds the HTTP server for metrics, health, readiness and the
// kill switch, and serves it until runCtx ends: from the start of
// start-up, which it reports (startup.go) until started.
func (d *daemon) listen() error {
	d.starting("binding the HTTP server")
	srv, err := metrics.Listen(metrics.ServerConfig{
		ListenAddress: firstNonEmpty(d.o.ListenAddress, d.cfg.Web.ListenAddress),
		WebConfigFile: firstNonEmpty(d.o.WebConfigFile, d.cfg.Web.ConfigFile),
		Gatherer:      prometheus.Gatherers{d.reg},
		Starting:      d.startUpProbe,
		Ready:         d.ready,
		Live:          d.live,
		Handlers:      map[string]http.Handler{"/killswitch": d.killSwitchHTTP()},
		Logger:        d.log,
	})
	if err != nil {
		return err
	}
	d.srv = srv
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(d.runCtx); err != nil {
			d.log.Error("http server", "error", err)
		}
	}()
	d.onRelease(func() { d.stop(); <-served })
	return nil
}

// started ends start-up: the probes ask the daemon's state from now on,
// and the start-up line and Options.Ready say where it serves.
func (d *daemon) started() {
	d.srv.Started()
	d.log.Info(d.program()+" started", "mode", d.cfg.Mode, "strategies", len(d.cfg.Strategies),
		"metrics", "http://"+d.srv.Addr().String()+"/metrics", "version", d.o.Version)
	if d.o.Ready != nil {
		d.o.Ready(d.srv.Addr())
	}
}

// startEngine runs the engine on a context of its own, which shutDown
// ends after parking protection.
func (d *daemon) startEngine() {
	var engCtx context.Context
	engCtx, d.stopEngine = context.WithCancel(context.Background())
	d.onRelease(d.stopEngine)
	d.engDone = make(chan struct{})
	go func() {
		defer close(d.engDone)
		_ = d.eng.Run(engCtx)
	}()
}

// startServices runs, until runCtx ends, the notifier, the journal's
// probe, the account reports, the market-data feed and the systemd
// watchdog's pings (the HTTP server runs since listen, the kill-switch
// watchers since armKillSwitch, each waited for by its release). The
// feed stops the daemon when it fails.
func (d *daemon) startServices() {
	ctx, log := d.runCtx, d.log
	d.startNotifier()
	d.wg.Add(3)
	go func() {
		defer d.wg.Done()
		d.watchJournal(ctx)
	}()
	go func() {
		defer d.wg.Done()
		reportAccount(ctx, d.mode.venue(), d.guard, d.m, d.cfg, log)
	}()
	go func() {
		defer d.wg.Done()
		d.feedErr = d.mode.runFeed(ctx, d.eng, d.stop)
		if d.feedErr != nil && !errors.Is(d.feedErr, context.Canceled) {
			log.Error("market data feed stopped", "error", d.feedErr)
			d.stop()
		}
	}()
	// Protection is re-armed from the journal, the engine runs and the
	// feed is started: a Type=notify unit is started (systemd.go), and
	// its watchdog's pings come after that. STATUS= replaces the last
	// start-up step's, which systemctl status would show all run long.
	d.notifySystemd(sd.SdNotifyReady + "\nSTATUS=" + runningStatus)
	d.watchdogDone = make(chan struct{})
	go func() {
		defer close(d.watchdogDone)
		d.feedWatchdog(ctx)
	}()
}

// shutDown stops new entries, resolves what the instances cannot see and
// parks protection on the exchange within shutdown_timeout, then waits
// for the engine (see waitForLoops) and every service to end. Its error
// names the loops that would not end.
func (d *daemon) shutDown() error {
	// No ping after STOPPING=1, which also gives the stop the time it may
	// take: the unit's TimeoutStopSec would otherwise kill a stop that a
	// longer shutdown_timeout allows before it parks every stop.
	<-d.watchdogDone
	d.notifySystemd(fmt.Sprintf("%s\nEXTEND_TIMEOUT_USEC=%d", sd.SdNotifyStopping, d.stopBudget().Microseconds()))
	d.eng.StopEntries()
	d.log.Info("stopping: no new entries; resolving working orders, then protective stops rest on the exchange",
		"shutdown_timeout", d.cfg.ShutdownTimeout.String())
	d.protectBeforeExit()
	d.stopEngine()
	stuck := d.waitForLoops()
	// A loop that did not end sends nothing should it wake (closed.go).
	d.eng.Executor().Close()
	d.stopNotifier()
	d.wg.Wait()
	d.log.Info("stopped")
	return stuck
}

// stopBudget is how long a stop may take: shutdown_timeout to resolve
// orders and park stops, the wait for the loops (twice loopEndWait), and
// the rest (the notifier's queue, the journal's last writes).
func (d *daemon) stopBudget() time.Duration {
	return d.cfg.ShutdownTimeout + 2*loopEndWait + 10*time.Second
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
	// history returns the source of the strategies' warm-up, nil when
	// the mode has none.
	history() engine.History
}

// program is the name the user runs the program under.
func (d *daemon) program() string { return firstNonEmpty(d.o.Program, "tradebot") }

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

// exitRules lists, per instance, the exit reasons it can count: the exit
// rules its config has and the reasons its strategy declares it closes
// under (an sma_cross's signal, a rules strategy's exit expression, a
// grid's own sale), as exitLabel counts them. Their exit counters exist
// from the start.
func exitRules(cfg *config.Config) map[metrics.InstanceID][]string {
	out := map[metrics.InstanceID][]string{}
	for _, s := range cfg.Strategies {
		rules := []string{metrics.ExitStopLoss}
		for _, r := range s.CloseReasons() {
			if l := exitLabel(r); !slices.Contains(rules, l) {
				rules = append(rules, l)
			}
		}
		e := s.Exits
		for _, r := range []struct {
			on   bool
			name string
		}{
			{len(e.TakeProfit) > 0, metrics.ExitTakeProfit}, {e.TrailingStop != nil, metrics.ExitTrailingStop},
			{e.BreakEven != nil, metrics.ExitBreakEven}, {e.TimeStop != nil, metrics.ExitTimeStop},
		} {
			if r.on && !slices.Contains(rules, r.name) {
				rules = append(rules, r.name)
			}
		}
		out[metrics.InstanceID{Strategy: s.Name, Product: s.Product}] = rules
	}
	return out
}

// restEndpoints are the Coinbase endpoints a running daemon calls for its
// orders and account (start-up checks aside): their request, error and
// retry series exist from the start, in every mode, so that the API
// health panels and RestErrorsRising see zeros rather than no data.
var restEndpoints = []string{"create_order", "cancel_orders", "edit_order", "get_order", "list_orders", "list_fills", "accounts"}

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

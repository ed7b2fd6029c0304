package daemon

import (
	"context"
	"fmt"
	"github.com/shopspring/decimal"
	"log/slog"
	"sync/atomic"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/marketdata"
)

// paper trades on the simulated exchange, fed by a recording
// (paper.feed: replay) or by Coinbase's public WebSocket feed
// (paper.feed: coinbase, see paper_coinbase.go).
type paper struct {
	cfg *config.Config
	// replayClock is moved to each tick's time before it is delivered;
	// nil on the Coinbase feed, which runs on the wall clock.
	replayClock *clock.Sim
	x           *sim.Exchange
	log         *slog.Logger
	// obs counts the Coinbase feed's reconnects and malformed messages.
	obs      coinbase.Observer
	started  atomic.Bool
	finished atomic.Bool
}

// newPaper builds the simulated exchange on clk: the replay clock for a
// recording, the wall clock for the Coinbase feed.
func newPaper(cfg *config.Config, clk clock.Clock, replayClock *clock.Sim, log *slog.Logger, obs coinbase.Observer) (*paper, error) {
	var products []exchange.Product
	for _, p := range cfg.PaperProducts() {
		products = append(products, p.Exchange())
	}
	x, err := sim.New(sim.Config{Products: products, Balances: cfg.Paper.Balances,
		Fees: sim.Fees{Maker: cfg.Paper.Fees.Maker, Taker: cfg.Paper.Fees.Taker}, SlippageBps: cfg.Paper.SlippageBps,
		PartialFills: cfg.Paper.PartialFills}, clk)
	if err != nil {
		return nil, fmt.Errorf("simulated exchange: %w", err)
	}
	return &paper{cfg: cfg, replayClock: replayClock, x: x, log: log, obs: obs}, nil
}

func (p *paper) venue() exchange.Venue { return p.x }

// history is Coinbase's public candles endpoint when paper trades on
// Coinbase's feed; a replay has none.
func (p *paper) history() engine.History {
	if p.cfg.Paper.Feed != "coinbase" {
		return nil
	}
	c, err := coinbase.NewClient(coinbase.Config{BaseURL: p.cfg.Coinbase.RESTURL, Observer: p.obs, Logger: p.log})
	if err != nil {
		p.log.Error("no client for the warm-up's history; strategies warm up on live bars", "error", err)
		return nil
	}
	return c.Candles
}

func (p *paper) connect(eng *engine.Engine) { p.x.SetHandler(eng.HandleEvent) }

func (p *paper) ready() error {
	if p.started.Load() {
		return nil
	}
	if p.cfg.Paper.Feed == "coinbase" {
		return fmt.Errorf("no market data from Coinbase yet")
	}
	return fmt.Errorf("replay not started")
}

func (p *paper) openRecording() (*marketdata.Source, error) {
	src, err := p.cfg.Paper.OpenRecording()
	if err != nil {
		// The file went missing or went bad after the config was checked:
		// the message names the setting, as a config error would.
		return nil, fmt.Errorf("paper.recording: %w", err)
	}
	return src, nil
}

// runFeed delivers the configured feed: each tick goes to the simulated
// exchange first, so resting orders match on it, then to the strategies.
func (p *paper) runFeed(ctx context.Context, eng *engine.Engine, stop func()) error {
	if p.cfg.Paper.Feed == "coinbase" {
		return p.runCoinbase(ctx, eng)
	}
	return p.runReplay(ctx, eng, stop)
}

// runReplay replays the recording on its own clock.
func (p *paper) runReplay(ctx context.Context, eng *engine.Engine, stop func()) error {
	src, err := p.openRecording()
	if err != nil {
		return err
	}
	defer src.Close()
	p.log.Info("replaying recording", "recording", src.Name, "format", src.Format, "speed", p.cfg.Paper.Speed)
	p.started.Store(true)
	r := &marketdata.Replayer{Speed: p.cfg.Paper.Speed}
	err = r.Run(ctx, src.TickStream(), func(t exchange.Tick) {
		if p.cfg.Paper.Lockstep && eng.WaitIdle(ctx) != nil {
			return
		}
		p.replayClock.Set(t.Time)
		p.x.OnTick(&t)
		eng.OnTick(t)
	})
	if err != nil {
		return err
	}
	p.finished.Store(true)
	if p.cfg.Paper.ExitAtEnd {
		p.log.Info("recording finished", "ticks", r.Delivered(), "exit_at_end", true)
		stop()
		return nil
	}
	// Otherwise the run goes on with nothing to replay: say what it does
	// meanwhile, or a newcomer watching a silent terminal cannot tell.
	p.log.Info("recording finished", "ticks", r.Delivered(), "exit_at_end", false,
		"until_stopped", "serving /metrics and watching open positions; stop with Ctrl-C (paper.exit_at_end: true stops at the end)")
	<-ctx.Done()
	return nil
}

func (p *paper) fees() (maker, taker decimal.Decimal) {
	f := p.x.Fees()
	return f.Maker, f.Taker
}

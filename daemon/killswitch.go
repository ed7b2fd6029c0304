package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"syscall"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// killSwitch wires the guard's three kill-switch means (HTTP, file,
// signal) to the daemon; flatten closes every position through the engine.
type killSwitch struct {
	guard   *risk.Guard
	engine  *engine.Engine
	log     *slog.Logger
	metrics *metrics.Metrics
	ctx     context.Context
	// persist saves the trading state to the journal; nil without one.
	persist func() error
}

func (k *killSwitch) flatten(reason string) error {
	k.log.Warn("kill switch: flattening every position at market", "reason", reason)
	k.engine.Flatten(k.ctx, "kill_switch")
	return nil
}

func (k *killSwitch) handler() http.Handler {
	return k.guard.KillSwitchHandler(risk.KillSwitchControl{Flatten: k.flatten, Persist: k.persist})
}

// arm starts the file and signal means and returns once they are in
// place, with a function that waits until ctx has ended and they have
// stopped. The daemon should call it before it reports ready: until the
// signal is registered, SIGUSR1's default action ends the process.
//
// It first reports the state the guard started in: a halt restored from
// the journal changes no state, so the state-change listener never sets
// kill_switch_engaged for it, and a restarted HALTED daemon would
// otherwise show 0 there.
func (k *killSwitch) arm(ctx context.Context, cfg config.KillSwitch) (wait func()) {
	k.report()
	var waits []<-chan struct{}
	if cfg.File != "" {
		waits = append(waits, k.guard.WatchFlagFile(ctx, cfg.File, 0))
	}
	if sig, err := parseSignal(cfg.Signal); err != nil {
		k.log.Error("kill switch signal", "error", err)
	} else if sig != nil {
		// Registered before HaltOnSignal returns.
		waits = append(waits, k.guard.HaltOnSignal(ctx, sig))
	}
	return func() {
		for _, w := range waits {
			<-w
		}
		<-ctx.Done()
	}
}

// report sets the trading-state and kill-switch metrics from the guard.
func (k *killSwitch) report() {
	info := k.guard.StateInfo()
	k.metrics.TradingState(info.State.String())
	k.metrics.SetKillSwitch(info.State == risk.Halted && info.Rule == risk.RuleKillSwitch)
}

func parseSignal(name string) (os.Signal, error) {
	switch name {
	case "", "none":
		return nil, nil
	case "SIGUSR1":
		return syscall.SIGUSR1, nil
	case "SIGUSR2":
		return syscall.SIGUSR2, nil
	}
	return nil, fmt.Errorf("kill_switch.signal %q: use SIGUSR1, SIGUSR2 or none", name)
}

package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/notify"
	"github.com/tradebot/tradebot/risk"
)

// createNotifier builds the webhook notifier when notify.webhook_url is
// set: fills and exits come from the engine's observer, trading-state and
// kill-switch changes from the guard's listener (notifyStateChange), and
// every ERROR-level log line from the log handler (errorNotifier), which
// this step installs before anything else takes the logger.
func (d *daemon) createNotifier() error {
	d.stopNotifier = func() {}
	n := d.cfg.Notify
	if n.WebhookURL == "" {
		return nil
	}
	drops := &dropWarner{m: d.m, log: d.log, now: time.Now}
	nc := notify.Config{URL: n.WebhookURL.Reveal(), Format: notify.Format(n.Format), ChatID: n.ChatID, Logger: d.log,
		Dropped: drops.dropped}
	for _, e := range n.Events {
		k, err := notify.ParseKind(e)
		if err != nil {
			return err
		}
		nc.Kinds = append(nc.Kinds, k)
	}
	w, err := notify.NewWebhook(nc)
	if err != nil {
		return err
	}
	d.notifier = w
	d.obs.notify = w
	d.log = slog.New(&errorNotifier{next: d.log.Handler(), notify: w.Notify})
	return nil
}

// startNotifier delivers notifications until stopNotifier, then sends
// what is still queued within the notifier's drain timeout.
func (d *daemon) startNotifier() {
	if d.notifier == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stopNotifier = cancel
	d.onRelease(cancel)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.notifier.Run(ctx)
	}()
}

// notifyStateChange sends a trading_state event for every change of the
// trading state, and a kill_switch event when the kill switch engages
// (a halt by rule kill_switch) or lets go (any change away from its
// halt, such as an operator's resume).
func (d *daemon) notifyStateChange(from, to risk.State, rule, reason string) {
	if d.notifier == nil {
		return
	}
	d.notifier.Notify(notify.TradingStateEvent(from.String(), to.String(), rule, reason))
	on := to == risk.Halted && rule == risk.RuleKillSwitch
	d.stateMu.Lock()
	was := d.killSwitchOn
	d.killSwitchOn = on
	d.stateMu.Unlock()
	if on != was {
		d.notifier.Notify(notify.KillSwitchEvent(on, reason))
	}
}

// dropWarnEvery is the least time between two log lines about dropped
// notifications: a webhook slower than a burst of fills would otherwise
// add a line per event to the burst.
const dropWarnEvery = time.Minute

// dropWarner hears of the notifications the webhook's full queue drops:
// it counts each (tradebot_notifications_dropped_total) and logs them at
// WARN, at most once per dropWarnEvery, with how many since its last line.
// It runs on the goroutine that notified, so it never blocks for long.
type dropWarner struct {
	m   *metrics.Metrics
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	warned   time.Time // the last line's time; zero before the first
	unlogged int       // drops since the last line
}

func (w *dropWarner) dropped(e notify.Event) {
	w.m.NotificationDropped()
	w.mu.Lock()
	w.unlogged++
	now := w.now()
	if !w.warned.IsZero() && now.Sub(w.warned) < dropWarnEvery {
		w.mu.Unlock()
		return
	}
	n := w.unlogged
	w.warned, w.unlogged = now, 0
	w.mu.Unlock()
	w.log.Warn("notifications dropped: the webhook's queue is full (the webhook answers slower than events come); "+
		"further drops within a minute are only counted in tradebot_notifications_dropped_total",
		"dropped", n, "kind", string(e.Kind))
}

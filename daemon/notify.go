package daemon

import (
	"context"
	"log/slog"

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
	nc := notify.Config{URL: n.WebhookURL.Reveal(), Format: notify.Format(n.Format), ChatID: n.ChatID, Logger: d.log}
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

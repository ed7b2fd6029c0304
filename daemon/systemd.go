package daemon

import (
	"context"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// Under systemd with Type=notify (deploy/tradebot.service) the daemon
// tells the service manager when start-up is done (READY=1) and when it
// stops (STOPPING=1), and, with WatchdogSec=, feeds the watchdog
// (WATCHDOG=1) only while every strategy's loop turns by the rule of
// /healthz (live): a loop stuck for loop_stall_after stops the pings, and
// systemd restarts the daemon WatchdogSec later, which re-arms the loop's
// protection from the journal. Without NOTIFY_SOCKET (not under systemd,
// or another Type=) every message is a no-op; without WATCHDOG_USEC no
// pings are sent.

// notifySystemd sends state to the service manager, if there is one. A
// failure is logged once at WARN: the daemon trades the same without it,
// but systemd would kill a Type=notify unit that never says READY=1.
func (d *daemon) notifySystemd(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		d.sdWarnOnce.Do(func() {
			d.log.Warn("systemd: the notification socket ($NOTIFY_SOCKET) does not take messages", "message", state, "error", err.Error())
		})
	}
}

// feedWatchdog sends WATCHDOG=1 every half of WATCHDOG_USEC, as
// sd_watchdog_enabled(3) advises, until ctx ends, skipping every ping
// while a strategy's loop is stuck (live fails). It returns at once when
// systemd set no watchdog for this process.
func (d *daemon) feedWatchdog(ctx context.Context) {
	every, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		d.log.Warn("systemd: the watchdog's settings ($WATCHDOG_USEC, $WATCHDOG_PID) do not parse; no watchdog pings", "error", err.Error())
		return
	}
	if every <= 0 {
		return
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		if d.live() == nil {
			d.notifySystemd(sd.SdNotifyWatchdog)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

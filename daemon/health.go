package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tradebot/tradebot/risk"
)

// ready is what /readyz answers: nil when the daemon can trade as
// configured, else every reason it cannot, each in one phrase, joined: the
// mode's own (live: reconciled, market and user feeds fresh, key
// accepted), a journal that cannot write, and a HALTED trading state. A
// load balancer or an operator's probe must never see "ready" from a
// daemon that cannot see its fills, record its orders or place an entry.
func (d *daemon) ready() error {
	var problems []error
	if err := d.mode.ready(); err != nil {
		problems = append(problems, err)
	}
	if d.eng != nil {
		if err := d.eng.Executor().JournalErr(); err != nil {
			problems = append(problems, fmt.Errorf("the journal cannot write: %w", err))
		}
	}
	if info := d.guard.StateInfo(); info.State == risk.Halted {
		problems = append(problems, fmt.Errorf("trading is HALTED by %s: %s", info.Rule, info.Reason))
	}
	return joinProblems(problems)
}

// joinProblems joins errors with "; " on one line, for /readyz.
func joinProblems(problems []error) error {
	if len(problems) == 0 {
		return nil
	}
	msg := problems[0].Error()
	for _, p := range problems[1:] {
		msg += "; " + p.Error()
	}
	return errors.New(msg)
}

// journalHealth follows the journal's writes into the metrics (the
// engine's OnJournal): err is the failure, nil once writes succeed again.
func (d *daemon) journalHealth(err error) {
	d.m.SetJournalWritable(err == nil)
}

// journalProbeEvery is how often a failing journal is tried again.
const journalProbeEvery = 5 * time.Second

// watchJournal tries a failing journal again every journalProbeEvery
// until ctx ends: the trading state (which the halt changed) is saved,
// then the exits sent while it failed are journaled.
func (d *daemon) watchJournal(ctx context.Context) {
	if d.jrnl == nil {
		return
	}
	t := time.NewTicker(journalProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.eng.Executor().ProbeJournal(func() error { return d.jrnl.saveRisk(d.guard) })
		}
	}
}

// protectBeforeExit, at shutdown, resolves the orders whose outcome is
// unknown and the entries still working (which may have filled while the
// user channel was down), lets their instances protect what filled, rests
// every stop on the exchange, all within shutdown_timeout, and then logs
// at ERROR, and counts, whatever is left unresolved or unprotected, with
// what to check. Issue 15, finding 2: a SIGTERM after entries filled
// unseen exited holding BTC with no stop anywhere.
func (d *daemon) protectBeforeExit() {
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.ShutdownTimeout)
	defer cancel()
	d.eng.Settle(ctx)
	d.eng.Park(ctx)
	// The check gets a moment of its own should settling use it all.
	checkCtx, cancelCheck := context.WithTimeout(context.Background(), time.Second)
	defer cancelCheck()
	left := d.eng.Unresolved(checkCtx)
	for _, err := range left {
		d.log.Error("shutdown: left unresolved", "what", err.Error())
	}
	if len(left) > 0 {
		d.m.UnresolvedAtShutdown(len(left))
	}
}

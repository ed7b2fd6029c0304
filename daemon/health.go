package daemon

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
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

// live is what /healthz answers: nil while every strategy instance's loop
// turns, else which loops have taken no event for loop_stall_after and
// since when. A stuck loop (a strategy that never returns, a venue call
// that never answers, a deadlock) watches no stop and sells nothing, and
// the liveness probe that asks /healthz restarts the daemon, which re-arms
// protection from the journal. HALTED is no reason: a halted daemon's
// loops still turn and run its exits. A stall that ends (the call
// returned) makes /healthz answer ok again: the probe's failure threshold
// decides how long a stall may last; the log and
// tradebot_loop_last_turn_age_seconds keep what happened.
func (d *daemon) live() error {
	now := time.Now()
	var problems []error
	for _, in := range d.eng.Instances() {
		at := in.LastTurn()
		if at.IsZero() || now.Sub(at) < d.cfg.LoopStallAfter {
			continue
		}
		p := fmt.Errorf("the loop of strategy %s has not turned since %s (%s ago; loop_stall_after %s)",
			in.Name(), at.UTC().Format(time.RFC3339), now.Sub(at).Round(time.Second), d.cfg.LoopStallAfter)
		problems = append(problems, p)
		d.logStall(in.Name(), at, p)
	}
	return joinProblems(problems)
}

// logStall logs a stalled loop at ERROR once per stall (a stall is known
// by when the loop last turned), not on every probe.
func (d *daemon) logStall(name string, since time.Time, p error) {
	d.stallMu.Lock()
	defer d.stallMu.Unlock()
	if d.stallLogged[name].Equal(since) {
		return
	}
	if d.stallLogged == nil {
		d.stallLogged = map[string]time.Time{}
	}
	d.stallLogged[name] = since
	d.log.Error("liveness: a strategy's loop is stuck; /healthz answers 503 and systemd's watchdog, if any, is no longer fed", "strategy", name, "problem", p.Error())
	// Where it is stuck: the restart that follows (the probe, or
	// systemd's watchdog, whose signal is SIGTERM so that the other loops
	// park their stops) leaves no goroutine dump. At WARN, so that the
	// error webhook carries the line above, not the stacks.
	d.log.Warn("liveness: where the strategies' loops are now", "strategy", name, "stacks", loopStacks())
}

// maxLoopStacks bounds the stacks a stall logs: a few kB a loop.
const maxLoopStacks = 64 << 10

// loopStacks returns the stacks of the goroutines that run strategy
// instances' loops (engine.Instance.run), from a dump of every goroutine.
func loopStacks() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var loops []string
	size := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if !strings.Contains(g, "/engine.(*Instance).run(") {
			continue
		}
		if size += len(g); size > maxLoopStacks {
			loops = append(loops, "(more loops left out)")
			break
		}
		loops = append(loops, g)
	}
	return strings.Join(loops, "\n\n")
}

// loopEndWait bounds how long shutdown waits for the strategy instances'
// loops to end once it has told them to.
const loopEndWait = 2 * time.Second

// waitForLoops waits, once the engine is told to stop, until its loops
// have ended, or for loopEndWait. A loop stuck in a strategy or a venue
// call (what fails /healthz) never ends, and could neither park its stop
// on the exchange (protectBeforeExit waited shutdown_timeout for it):
// the daemon then exits without it, naming it at ERROR and in the error
// it returns (exit 1), rather than hang until its supervisor's SIGKILL.
// The next start re-arms that loop's protection from the journal.
func (d *daemon) waitForLoops() error {
	t := time.NewTimer(loopEndWait)
	defer t.Stop()
	select {
	case <-d.engDone:
		return nil
	case <-t.C:
	}
	var stuck []error
	for _, in := range d.eng.Instances() {
		// A loop that has ended shows no last turn.
		if at := in.LastTurn(); !at.IsZero() {
			stuck = append(stuck, fmt.Errorf("the loop of strategy %s did not end (last turned %s)", in.Name(), at.UTC().Format(time.RFC3339)))
		}
	}
	if len(stuck) == 0 {
		// Every loop ended as the wait ran out: the engine ends with them.
		t.Reset(loopEndWait)
		select {
		case <-d.engDone:
			return nil
		case <-t.C:
			stuck = append(stuck, errors.New("the engine did not end after its strategies' loops"))
		}
	}
	err := fmt.Errorf("stopping without waiting for it: %w", joinProblems(stuck))
	d.log.Error("stopping: a strategy's loop is stuck; its position's protection is re-armed from the journal at the next start", "problem", err.Error())
	return err
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
	// An entry whose create was still on its way when the stop began was
	// no order Settle could ask about, and it may fill once the process
	// has gone; Park waited for its instance, whose send has returned by
	// then. So Settle again (ask, cancel what still works, book what
	// filled) and, if it asked about anything, park again: the instances
	// protect, and journal, what those entries bought.
	if d.eng.Settle(ctx) > 0 {
		d.eng.Park(ctx)
	}
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

package engine

import (
	"fmt"
	"sync"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
)

// journalHealth is what the executor knows of the journal's writes: whether
// the last one failed, and the exit intents sent without being journaled,
// to be written as soon as the journal takes writes again.
//
// A journal that cannot write (a full disk, a failing one) must never
// block a protective order (DESIGN.md invariant 3): an exit whose intent
// cannot be written is sent anyway and journaled later; an entry is
// refused, and the trading state goes HALTED (risk.RuleJournal) until an
// operator resumes it. Should the daemon stop before the disk frees, the
// exit is found again at the next start as an open order the journal does
// not know (recovery reports it) and the position's exit state is
// re-armed from the exchange: reconciliation covers the gap.
type journalHealth struct {
	mu sync.Mutex
	// failing is the last write error, nil while writes succeed; guarded
	// by mu.
	failing error
	// deferred are the tracked orders whose intents are not journaled yet,
	// oldest first; guarded by mu.
	deferred []*trackedOrder
	// lastFallback is the last fallback client order number handed out
	// while the journal could not reserve numbers; guarded by mu.
	lastFallback uint64
}

// fallbackSeqBase puts client order numbers handed out without the
// journal far above any the journal reserves (those start near the Unix
// time in milliseconds, about 1.8e12), so neither can repeat the other.
const fallbackSeqBase = uint64(1) << 62

// fallbackSeq returns a client order number that no earlier or later one
// repeats without the journal: the wall clock in nanoseconds above
// fallbackSeqBase, strictly increasing within the process. Used only
// while the journal cannot reserve numbers, so that an exit still gets an
// id.
func (e *Executor) fallbackSeq() uint64 {
	n := fallbackSeqBase + uint64(time.Now().UnixNano())
	e.jh.mu.Lock()
	defer e.jh.mu.Unlock()
	if n <= e.jh.lastFallback {
		n = e.jh.lastFallback + 1
	}
	e.jh.lastFallback = n
	return n
}

// journalFailed records a failed journal write: the first failure halts
// entries (risk.RuleJournal) and tells the daemon (OnJournal).
func (e *Executor) journalFailed(what string, err error) {
	e.jh.mu.Lock()
	first := e.jh.failing == nil
	e.jh.failing = err
	e.jh.mu.Unlock()
	if !first {
		return
	}
	e.log.Error("journal cannot write: entries halted, exits still go out and are journaled when it can; "+
		"check the disk holding state_dir (space, errors in the kernel log)", "what", what, "error", err)
	e.guard.HaltFor(risk.RuleJournal, fmt.Sprintf("the journal cannot write (%s: %v); free the disk holding "+
		"state_dir, then resume trading", what, err))
	if e.onJournal != nil {
		e.onJournal(err)
	}
}

// journalWrote records a journal write that succeeded: a journal that was
// failing takes writes again. The trading state stays HALTED until an
// operator resumes it.
func (e *Executor) journalWrote() {
	e.jh.mu.Lock()
	recovered := e.jh.failing != nil
	e.jh.failing = nil
	e.jh.mu.Unlock()
	if !recovered {
		return
	}
	e.log.Warn("journal writes again; trading stays HALTED until an operator resumes it")
	if e.onJournal != nil {
		e.onJournal(nil)
	}
}

// JournalErr returns the error of the journal's last write, or nil when
// it succeeded (or there is no journal).
func (e *Executor) JournalErr() error {
	e.jh.mu.Lock()
	defer e.jh.mu.Unlock()
	return e.jh.failing
}

// noteJournal records the outcome of one journal write and returns err.
func (e *Executor) noteJournal(what string, err error) error {
	if err != nil {
		e.journalFailed(what, err)
	} else if e.JournalErr() != nil {
		e.journalWrote()
	}
	return err
}

// deferIntent keeps t's intent to be written by RetryJournal.
func (e *Executor) deferIntent(t *trackedOrder) {
	e.jh.mu.Lock()
	e.jh.deferred = append(e.jh.deferred, t)
	e.jh.mu.Unlock()
}

// RetryJournal writes the intents of the exits that were sent while the
// journal could not write, with their venue ids, oldest first, and stops
// at the first write that still fails. It reports whether none is left.
// The daemon calls it every few seconds; the instances call it before
// they save progress, which names those orders.
func (e *Executor) RetryJournal() bool {
	e.jh.mu.Lock()
	pending := len(e.jh.deferred)
	e.jh.mu.Unlock()
	if pending == 0 || e.journal == nil {
		return true
	}
	for {
		e.jh.mu.Lock()
		if len(e.jh.deferred) == 0 {
			e.jh.mu.Unlock()
			return true
		}
		t := e.jh.deferred[0]
		e.jh.mu.Unlock()
		if err := e.noteJournal("intent of an exit sent unjournaled", e.journal.RecordIntent(t.intent)); err != nil {
			return false
		}
		e.mu.Lock()
		o := t.order
		e.mu.Unlock()
		var err error
		switch {
		case o.Status == exchange.StatusFailed && !o.FilledSize.IsPositive():
			err = e.journal.UpdateOrder(t.intent.ClientOrderID, o)
		case o.ID != "" && o.Status != "":
			err = e.journal.UpdateOrder(t.intent.ClientOrderID, withoutExecution(o))
		}
		if e.noteJournal("order update", err) != nil {
			return false
		}
		e.jh.mu.Lock()
		e.jh.deferred = e.jh.deferred[1:]
		e.jh.mu.Unlock()
		e.log.Info("exit sent while the journal could not write is journaled now", "client_order_id", t.intent.ClientOrderID)
	}
}

// intentDeferred reports whether t's intent still waits for the journal:
// its updates are then written with the intent (RetryJournal).
func (e *Executor) intentDeferred(t *trackedOrder) bool {
	e.jh.mu.Lock()
	defer e.jh.mu.Unlock()
	for _, d := range e.jh.deferred {
		if d == t {
			return true
		}
	}
	return false
}

// ProbeJournal, while the journal is failing, tries write (a small write
// of the caller's, such as saving the trading state) and, when it
// succeeds, the intents still waiting (RetryJournal). Without it a halted
// daemon that places nothing would never learn that the disk freed.
func (e *Executor) ProbeJournal(write func() error) {
	if e.JournalErr() == nil {
		return
	}
	if e.noteJournal("probe", write()) == nil {
		e.RetryJournal()
	}
}

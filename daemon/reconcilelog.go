package daemon

import (
	"encoding/json"
	"fmt"

	"github.com/tradebot/tradebot/journal"
)

// passReport is what one reconciliation pass found, as the journal's
// reconciliations table keeps it (journal.Reconciliation.Report, JSON).
type passReport struct {
	// Reason is why the pass ran: connect, reconnect, gap, retry,
	// unheard_order, periodic...
	Reason string `json:"reason"`
	// Orders is how many orders the executor tracked.
	Orders int `json:"orders"`
	// NotFound counts orders Coinbase answered 404 for (phantoms).
	NotFound int `json:"not_found"`
	// Unavailable counts orders whose state did not come back.
	Unavailable int `json:"unavailable"`
	// ShortBalances counts base balances below the positions (periodic
	// passes only, which compare balances).
	ShortBalances int `json:"short_balances"`
	// Complete is whether every order's state came back.
	Complete bool  `json:"complete"`
	TookMS   int64 `json:"took_ms"`
}

// problems counts the differences that needed action.
func (p passReport) problems() int { return p.NotFound + p.ShortBalances }

// recordPass appends the pass to the journal's reconciliations, except a
// minutely safety net that found everything in order: those would add
// 1,440 rows a day saying nothing. It runs on the reconciler's goroutine,
// off the path from tick to order; a write that fails is logged and
// costs nothing else (the pass itself is applied already).
func (l *live) recordPass(p passReport) {
	if l.jrnl == nil || (p.Reason == "periodic" && p.Complete && p.problems() == 0) {
		return
	}
	report, err := json.Marshal(p)
	if err != nil {
		return
	}
	summary := fmt.Sprintf("%s: %d orders, %d not found, %d unavailable, %d short balances", p.Reason, p.Orders,
		p.NotFound, p.Unavailable, p.ShortBalances)
	if !p.Complete {
		summary += ", incomplete"
	}
	if err := l.jrnl.RecordReconciliation(journal.Reconciliation{Summary: summary, Problems: p.problems(), Report: report}); err != nil {
		l.log.Warn("reconcile: the journal did not keep the pass's report", "reason", p.Reason, "error", err)
	}
}

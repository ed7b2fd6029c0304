package daemon

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/risk"
)

// phantoms is what reconciliation found the journal holds and Coinbase
// does not: orders Coinbase answers 404 for, and base balances below the
// positions the journal holds. Each is logged at ERROR with what to
// check, shown in tradebot_reconcile_phantoms and halts entries
// (risk.RuleReconciliation) until an operator resumes trading
// (docs/JOURNAL.md, Phantoms). Issue 15, finding 6: the daemon used to
// keep such a position with a WARN.
type phantoms struct {
	guard *risk.Guard
	m     *metrics.Metrics
	log   interface {
		Error(msg string, args ...any)
	}

	mu sync.Mutex
	// orders are the phantom orders found since trading was last
	// resumed; guarded by mu.
	orders map[string]bool
	// short are the base currencies short at the last balance check: a
	// shortfall counts only when two checks in a row see it, since a fill
	// between the balance and the order states makes one alone (called
	// from the reconciler only).
	short map[string]bool
}

// order reports an order Coinbase does not know.
func (p *phantoms) order(what, where string) {
	p.mu.Lock()
	if p.orders == nil {
		p.orders = map[string]bool{}
	}
	p.orders[what] = true
	n := len(p.orders)
	p.mu.Unlock()
	p.m.SetPhantoms("order", n)
	p.log.Error("reconcile: phantom order: the journal holds an order Coinbase does not know; entries halted",
		"order", what, "found", where,
		"check", "Coinbase's order history for the id; if the order is gone, the position it was for may be smaller "+
			"than the journal says: see docs/JOURNAL.md, Phantoms")
	p.guard.HaltFor(risk.RuleReconciliation, fmt.Sprintf("Coinbase does not know order %s (%s); "+
		"compare the journal with Coinbase (docs/JOURNAL.md, Phantoms), then resume", what, where))
}

// resumed forgets the phantom orders once an operator has resumed
// trading: they were resolved.
func (p *phantoms) resumed() {
	if p.guard.State() != risk.Active {
		return
	}
	p.mu.Lock()
	had := len(p.orders) > 0
	p.orders = nil
	p.mu.Unlock()
	if had {
		p.m.SetPhantoms("order", 0)
	}
}

// balances compares each base currency's balance on the venue (available
// plus held) with the sum of the positions the guard holds in products of
// that base, reports every shortfall seen by this check and the one
// before, and returns how many there were.
func (p *phantoms) balances(ctx context.Context, venue exchange.Account, cfg *config.Config) (int, error) {
	bals, err := venue.Balances(ctx)
	if err != nil {
		return 0, err
	}
	have := map[string]decimal.Decimal{}
	for _, b := range bals {
		have[b.Currency] = have[b.Currency].Add(b.Total())
	}
	// Instance names are unique and products BASE-QUOTE (config.Validate).
	held := map[string]decimal.Decimal{}
	for _, s := range cfg.Strategies {
		size, _ := p.guard.Position(s.Name, s.Product)
		if base, _, _ := strings.Cut(s.Product, "-"); size.IsPositive() {
			held[base] = held[base].Add(size)
		}
	}
	var short []string
	now := map[string]bool{}
	for base, want := range held {
		if got := have[base]; got.LessThan(want) {
			now[base] = true
			if p.short[base] {
				short = append(short, fmt.Sprintf("%s balance %s is below the journal's positions %s", base, got, want))
			}
		}
	}
	p.short = now
	sort.Strings(short)
	p.m.SetPhantoms("balance", len(short))
	if len(short) > 0 {
		p.log.Error("reconcile: phantom position: Coinbase holds less than the journal's positions; entries halted",
			"shortfalls", strings.Join(short, "; "),
			"check", "Coinbase's fills and transfers since the last start (a manual sale, a withdrawal, a fill the "+
				"journal missed): see docs/JOURNAL.md, Phantoms")
		p.guard.HaltFor(risk.RuleReconciliation, strings.Join(short, "; ")+
			"; compare the journal with Coinbase (docs/JOURNAL.md, Phantoms), then resume")
	}
	return len(short), nil
}

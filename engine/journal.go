package engine

import (
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/strategy"
)

// Journal is what the executor writes ahead of and after every order
// (package journal implements it on SQLite). A nil Journal runs without
// one, as backtests do.
//
// Consistency rule: an order's execution (filled size, value, fees) and
// its terminal status are written only together with the exit state of
// the instance that applied them (SaveProgress, one transaction). After a
// crash the journal therefore never claims a fill that the restored
// position lacks, nor the reverse; recovery books the difference between
// the venue's view and the journal's, once.
type Journal interface {
	SeqSource
	// RecordIntent stores an order before its request is sent.
	RecordIntent(rec OrderRecord) error
	// UpdateOrder stores the venue's id and a non-terminal status of an
	// order without execution, or the failure of an order with none.
	UpdateOrder(clientOrderID string, o exchange.Order) error
	// RecordFill logs a fill as received (idempotent by trade id) and
	// returns its number in the journal's order of fills, which the risk
	// guard's counters record as the last fill they include
	// (risk.Guard.OnJournaledFill): 0 for a fill the journal held
	// already, and from a journal that numbers fills only when it writes
	// them, after the call (paper mode's).
	RecordFill(instance string, f exchange.Fill) (seq uint64, err error)
	// SaveProgress stores, in one transaction, the orders an instance has
	// applied events of, and its exit and strategy state after them.
	//
	// The exit state comes by value and unencoded, so that a journal
	// writing off the order path encodes it there (as JSON, which
	// RecoveryJournal.InstanceState returns and Recover decodes); it is
	// the instance's own copy (exits.Manager.State) and the journal may
	// keep it. strategyState is what the strategy's MarshalState returned,
	// or nil. orders is the instance's buffer, reused once the call
	// returns: a journal that keeps the orders copies them.
	SaveProgress(instance string, orders []exchange.Order, exitState exits.State, strategyState []byte) error
}

// IntentKeeper is a Journal that takes a new order's intent by
// reference: the record belongs to the executor's tracked order, is not
// changed after the call, and stays valid for as long as the journal
// holds the pointer. A journal that queues intents (paper's) keeps the
// pointer instead of copying the request onto the order path. The
// executor calls KeepIntent instead of RecordIntent for the orders it
// places; orders it adopts still go through RecordIntent.
type IntentKeeper interface {
	KeepIntent(rec *OrderRecord) error
}

// OrderRecord is an order as the journal keeps it before it is sent.
type OrderRecord struct {
	ClientOrderID string
	Instance      string
	Purpose       exchange.Purpose
	Reason        string
	Request       exchange.OrderRequest
	Time          time.Time
}

// saveProgress journals the applied orders with the exit and strategy
// state after them, in one transaction (see Journal).
func (in *Instance) saveProgress() {
	j := in.exec.journal
	if j == nil {
		return
	}
	// The exit state goes to the journal unencoded: encoding it as JSON
	// is the journal's work, off the order path when the journal writes
	// there (paper); the live journal encodes it inline.
	exitState := in.exits.State()
	var stratState []byte
	if st, ok := in.strat.(strategy.Stateful); ok {
		var err error
		if stratState, err = st.MarshalState(); err != nil {
			in.log.Error("strategy state does not encode", "strategy", in.name, "error", err)
		}
	}
	// The orders it names must be journaled first: exits sent while the
	// journal could not write (RetryJournal).
	in.exec.RetryJournal()
	if err := in.exec.noteJournal("progress", j.SaveProgress(in.name, in.applied, exitState, stratState)); err != nil {
		in.log.Error("journal: saving progress failed", "strategy", in.name, "error", err)
		return
	}
	in.savedStop = in.exits.Protection().Stop
}

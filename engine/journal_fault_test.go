package engine

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/risk"
)

// fullDiskJournal is the SQLite journal on a disk that can fill up: while
// full is set, every write fails as writing a full filesystem does
// (ENOSPC), before it reaches SQLite.
type fullDiskJournal struct {
	benchJournal
	full atomic.Bool
}

func (j *fullDiskJournal) fault(op string) error {
	if !j.full.Load() {
		return nil
	}
	return &fs.PathError{Op: op, Path: j.Path(), Err: syscall.ENOSPC}
}

func (j *fullDiskJournal) NextClientOrderSeq(instance string) (uint64, error) {
	if err := j.fault("write"); err != nil {
		return 0, err
	}
	return j.benchJournal.NextClientOrderSeq(instance)
}

func (j *fullDiskJournal) RecordIntent(rec OrderRecord) error {
	if err := j.fault("write"); err != nil {
		return err
	}
	return j.benchJournal.RecordIntent(rec)
}

func (j *fullDiskJournal) UpdateOrder(id string, o exchange.Order) error {
	if err := j.fault("write"); err != nil {
		return err
	}
	return j.benchJournal.UpdateOrder(id, o)
}

func (j *fullDiskJournal) RecordFill(instance string, f exchange.Fill) (uint64, error) {
	if err := j.fault("write"); err != nil {
		return 0, err
	}
	return j.benchJournal.RecordFill(instance, f)
}

func (j *fullDiskJournal) SaveProgress(instance string, orders []exchange.Order, st exits.State, strat []byte) error {
	if err := j.fault("write"); err != nil {
		return err
	}
	return j.benchJournal.SaveProgress(instance, orders, st, strat)
}

// A stop-loss must go out when the disk holding the journal is full: the
// exit is sent without its intent and journaled once the disk frees;
// entries stop, the trading state goes HALTED (rule journal) and the
// daemon is told (issue 15, finding 1: the stop used to wait for the
// journal, and the position stayed open 0.1 % past it).
func TestAFullDiskNeverBlocksAStopButHaltsEntries(t *testing.T) {
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	fj := &fullDiskJournal{benchJournal: benchJournal{j}}
	var told []error
	r := newRig(t, risk.DefaultConfig())
	r.eng, err = New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock, Journal: fj,
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterBelow("1000"), QuoteSize: d("1000"),
			Exits: stopLoss("2")}},
		OnJournal: func(err error) { told = append(told, err) }})
	if err != nil {
		t.Fatal(err)
	}
	r.x.SetHandler(r.eng.HandleEvent)
	r.trade("100")
	if _, n := filledBuys(r.x); n != 1 {
		t.Fatalf("%d entries filled before the disk filled, want 1", n)
	}

	fj.full.Store(true)
	r.trade("99")
	r.trade("97.5") // through the 2 % stop at 98
	sold := false
	for _, f := range r.x.Fills() {
		sold = sold || f.Side == exchange.Sell
	}
	if !sold {
		t.Fatalf("no sell on the venue after the price went through the stop with the disk full (fills %+v)", r.x.Fills())
	}
	if size, _ := r.eng.instances[0].exits.Holding(); !size.IsZero() {
		t.Errorf("position %s after the stop, want flat", size)
	}
	info := r.guard.StateInfo()
	if info.State != risk.Halted || info.Rule != risk.RuleJournal {
		t.Errorf("trading state %s by %q, want HALTED by %q", info.State, info.Rule, risk.RuleJournal)
	}
	if len(told) != 1 || !errors.Is(told[0], syscall.ENOSPC) {
		t.Errorf("OnJournal got %v, want one ENOSPC", told)
	}
	if !errors.Is(r.eng.Executor().JournalErr(), syscall.ENOSPC) {
		t.Errorf("JournalErr = %v, want ENOSPC", r.eng.Executor().JournalErr())
	}
	r.trade("90") // the strategy asks to enter again: refused while HALTED
	if _, n := filledBuys(r.x); n != 1 {
		t.Errorf("%d entries filled, want still 1: entries stop while the journal cannot write", n)
	}

	// The disk frees: the exit sent unjournaled is written, and the
	// journal is healthy again; trading stays HALTED for the operator.
	fj.full.Store(false)
	if !r.eng.Executor().RetryJournal() {
		t.Fatalf("RetryJournal with a writable journal left intents behind: %v", r.eng.Executor().JournalErr())
	}
	orders, err := j.Orders(journal.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	exitsJournaled := 0
	for _, o := range orders {
		if o.Purpose == exchange.Exit {
			exitsJournaled++
		}
	}
	if exitsJournaled != 1 {
		t.Errorf("%d exits in the journal once the disk freed, want the stop's 1 (orders %+v)", exitsJournaled, orders)
	}
	if len(told) != 2 || told[1] != nil || r.eng.Executor().JournalErr() != nil {
		t.Errorf("OnJournal got %v, JournalErr %v; want ENOSPC then nil", told, r.eng.Executor().JournalErr())
	}
	if s := r.guard.State(); s != risk.Halted {
		t.Errorf("trading state %s once the disk freed, want HALTED until an operator resumes", s)
	}
}

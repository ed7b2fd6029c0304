package journal

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

func TestABatchThatFailsLeavesNothing(t *testing.T) {
	j := openTemp(t)
	if err := j.RecordIntent(intent("a", "a-1")); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("the engine changed its mind")
	err := j.Batch(func(b *Batch) error {
		if _, err := b.RecordFill("a", fill("t1", t0)); err != nil {
			return err
		}
		if err := b.UpdateOrder("a-1", exchange.Order{ID: "v", Status: exchange.StatusFilled}); err != nil {
			return err
		}
		if err := b.SaveInstanceState("a", []byte("x"), nil); err != nil {
			return err
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Batch returned %v, want fn's error", err)
	}
	fills, _ := j.Fills(t0)
	r, _ := j.Order("a-1")
	exit, _, _ := j.InstanceState("a")
	if len(fills) != 0 || r.Order.Status != StatusInFlight || exit != nil {
		t.Fatalf("after a failed batch: %d fills, status %s, exit state %q; want none of its writes", len(fills), r.Order.Status, exit)
	}
}

func TestAnErrorInsideABatchDoesNotSpoilTheRest(t *testing.T) {
	j := openTemp(t)
	if err := j.RecordIntent(intent("a", "a-1")); err != nil {
		t.Fatal(err)
	}
	err := j.Batch(func(b *Batch) error {
		if err := b.UpdateOrder("unknown", exchange.Order{Status: exchange.StatusOpen}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown order: err = %v, want ErrNotFound", err)
		}
		return b.UpdateOrder("a-1", exchange.Order{ID: "v", Status: exchange.StatusOpen})
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := j.Order("a-1"); err != nil || r.Order.Status != exchange.StatusOpen {
		t.Fatalf("a-1 after the batch: %s, %v", r.Order.Status, err)
	}
}

func TestRecordIntentsIsAllOrNothing(t *testing.T) {
	j := openTemp(t)
	if err := j.RecordIntent(intent("a", "a-2")); err != nil {
		t.Fatal(err)
	}
	err := j.RecordIntents(intent("a", "a-1"), intent("a", "a-2"))
	if !errors.Is(err, ErrDuplicateOrder) {
		t.Fatalf("err = %v, want ErrDuplicateOrder", err)
	}
	if _, err := j.Order("a-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a-1 was recorded although its batch failed: %v", err)
	}
	if err := j.RecordIntents(intent("a", "a-1"), intent("b", "b-1")); err != nil {
		t.Fatal(err)
	}
	if ids := inFlightIDs(t, j); len(ids) != 3 {
		t.Fatalf("in flight = %v", ids)
	}
}

func TestABatchRecordsIntentsOnlyInARelaxedJournal(t *testing.T) {
	durable := openTemp(t)
	err := durable.Batch(func(b *Batch) error { return b.RecordIntent(intent("a", "a-1")) })
	if err == nil || !strings.Contains(err.Error(), "RelaxedIntents") {
		t.Fatalf("intent in a batch of a durable journal: err = %v, want a refusal naming RelaxedIntents", err)
	}
	if _, err := durable.Order("a-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the refused intent was recorded: %v", err)
	}

	relaxed, err := OpenWith(filepath.Join(t.TempDir(), "journal.db"), Options{RelaxedIntents: true})
	if err != nil {
		t.Fatal(err)
	}
	defer relaxed.Close()
	if err := relaxed.RecordIntent(intent("a", "a-2")); err != nil {
		t.Fatal(err)
	}
	err = relaxed.Batch(func(b *Batch) error {
		if err := b.RecordIntent(intent("a", "a-2")); !errors.Is(err, ErrDuplicateOrder) {
			t.Errorf("duplicate intent in a batch: err = %v, want ErrDuplicateOrder", err)
		}
		if err := b.RecordIntent(OrderRecord{Instance: "a", Purpose: exchange.Entry}); err == nil {
			t.Error("an intent without a client order id was accepted")
		}
		return b.RecordIntent(intent("a", "a-1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids := inFlightIDs(t, relaxed); len(ids) != 2 {
		t.Fatalf("in flight = %v, want a-1 and a-2: a failed intent must not spoil the batch", ids)
	}
}

func TestAtomicUndoesOnlyItsOwnWrites(t *testing.T) {
	j := openTemp(t)
	for _, id := range []string{"a-1", "a-2"} {
		if err := j.RecordIntent(intent("a", id)); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("a write of the group failed")
	err := j.Batch(func(b *Batch) error {
		if err := b.UpdateOrder("a-1", exchange.Order{ID: "v1", Status: exchange.StatusOpen}); err != nil {
			return err
		}
		if err := b.Atomic(func(b *Batch) error {
			if err := b.UpdateOrder("a-2", exchange.Order{ID: "v2", Status: exchange.StatusOpen}); err != nil {
				return err
			}
			if err := b.SaveInstanceState("a", []byte("x"), nil); err != nil {
				return err
			}
			return stop
		}); !errors.Is(err, stop) {
			t.Errorf("Atomic returned %v, want fn's error", err)
		}
		// The batch goes on after the undone group, and a later group
		// commits.
		return b.Atomic(func(b *Batch) error { return b.SaveInstanceState("b", []byte("y"), nil) })
	})
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := j.Order("a-1")
	r2, _ := j.Order("a-2")
	exitA, _, _ := j.InstanceState("a")
	exitB, _, _ := j.InstanceState("b")
	if r1.Order.Status != exchange.StatusOpen || r2.Order.Status != StatusInFlight || exitA != nil || string(exitB) != "y" {
		t.Fatalf("after the batch: a-1 %s (want OPEN), a-2 %s (want %s, undone), state a %q (want none), state b %q (want y)",
			r1.Order.Status, r2.Order.Status, StatusInFlight, exitA, exitB)
	}
}

// TestEveryBatchWriteRunsPrepared checks that the SQL Batch.exec runs is
// prepared at Open (batchWrites): a write left out would be parsed again
// on every call, and the paper journal's writer makes these for every
// order.
func TestEveryBatchWriteRunsPrepared(t *testing.T) {
	j := openTemp(t)
	stop := errors.New("undo")
	err := j.Batch(func(b *Batch) error {
		if err := b.Atomic(func(b *Batch) error { return b.SaveInstanceState("a", []byte("x"), nil) }); err != nil {
			return err
		}
		if err := b.Atomic(func(*Batch) error { return stop }); !errors.Is(err, stop) {
			return fmt.Errorf("Atomic returned %v, want fn's error", err)
		}
		if err := b.SavePosition(PositionRow{Instance: "a", ProductID: "BTC-USD", Size: decimal.RequireFromString("0.1")}); err != nil {
			return err
		}
		if err := b.SavePosition(PositionRow{Instance: "a", ProductID: "BTC-USD"}); err != nil {
			return err
		}
		if _, err := b.RecordRoundTrip(RoundTrip{Key: "k", Instance: "a", ProductID: "BTC-USD", Side: exchange.Buy}); err != nil {
			return err
		}
		return b.SaveRisk("default", []byte("{}"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.RecordReconciliation(Reconciliation{Summary: "ok"}); err != nil {
		t.Fatal(err)
	}
	if n := j.unpreparedExecs.Load(); n != 0 {
		t.Fatalf("%d Batch.exec calls ran SQL that batchWrites does not prepare", n)
	}
}

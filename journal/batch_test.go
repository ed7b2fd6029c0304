package journal

import (
	"errors"
	"testing"

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

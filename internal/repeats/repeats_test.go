package repeats

import (
	"testing"
	"time"
)

func TestFirstOfACauseIsLoggedRepeatsAreCountedUntilThePeriodEnds(t *testing.T) {
	l := New[string](time.Minute, 10)
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if log, n := l.Note("a", t0); !log || n != 0 {
		t.Fatalf("first a: log %v, unlogged %d; want true, 0", log, n)
	}
	for i := 1; i <= 3; i++ {
		if log, n := l.Note("a", t0.Add(time.Duration(i)*time.Second)); log || n != i {
			t.Fatalf("repeat %d of a: log %v, unlogged %d; want false, %d", i, log, n, i)
		}
	}
	if log, n := l.Note("b", t0.Add(4*time.Second)); !log || n != 0 {
		t.Fatalf("first b: log %v, unlogged %d; want true, 0", log, n)
	}
	if log, n := l.Note("a", t0.Add(time.Minute)); !log || n != 3 {
		t.Fatalf("a after the period: log %v, unlogged %d; want true, 3", log, n)
	}
	l.Reset()
	if log, n := l.Note("a", t0.Add(time.Minute+time.Second)); !log || n != 0 {
		t.Fatalf("a after Reset: log %v, unlogged %d; want true, 0", log, n)
	}
}

func TestTooManyCausesAreForgotten(t *testing.T) {
	l := New[int](time.Minute, 3)
	t0 := time.Unix(0, 0)
	for c := range 3 {
		l.Note(c, t0)
	}
	if log, _ := l.Note(0, t0); log {
		t.Fatal("a repeat of a remembered cause was logged")
	}
	l.Note(3, t0) // a fourth cause: the three are forgotten
	if log, _ := l.Note(0, t0); !log {
		t.Fatal("cause 0 was still remembered beyond max causes")
	}
	if len(l.causes) > 3 {
		t.Fatalf("%d causes remembered, max 3", len(l.causes))
	}
}

package clock

import (
	"testing"
	"time"
)

// TestStepReadsAsSim: a backtest's clock must read what paper mode's Sim
// reads for the same ticks (the lockstep test compares their trades):
// forward only, UTC, whatever zone the data was in, without a monotonic
// reading; and both tell the same Unix nanoseconds.
func TestStepReadsAsSim(t *testing.T) {
	ny := time.FixedZone("EST", -5*3600)
	t0 := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	sets := []time.Time{
		t0.Add(time.Second),
		t0.Add(time.Second), // equal: no move
		t0,                  // earlier: no move
		t0.Add(2*time.Second - 1),
		t0.Add(time.Minute).In(ny),
		time.Now(), // a monotonic reading, which Now must not carry
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	c, s := NewStep(t0), NewSim(t0)
	for i, at := range sets {
		c.Set(at)
		s.Set(at)
		if got, want := c.Now(), s.Now(); got != want {
			t.Errorf("after Set #%d (%s): Now = %#v, Sim's %#v", i, at, got, want)
		}
		if got, want := c.UnixNano(), s.UnixNano(); got != want || got != c.Now().UnixNano() {
			t.Errorf("after Set #%d (%s): UnixNano = %d, Sim's %d, Now's %d", i, at, got, want, c.Now().UnixNano())
		}
	}
	var zero Step
	if got := zero.Now(); !got.IsZero() || zero.UnixNano() != 0 {
		t.Errorf("zero Step reads %v (%d), want the zero time and 0", got, zero.UnixNano())
	}
	zero.Set(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC))
	if got := zero.Now(); !got.IsZero() || zero.UnixNano() != 0 {
		t.Errorf("a Step set before 1970 reads %v (%d), want the zero time and 0 as Sim does", got, zero.UnixNano())
	}
}

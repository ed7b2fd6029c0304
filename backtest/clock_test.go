package backtest

import (
	"testing"
	"time"

	"github.com/tradebot/tradebot/clock"
)

// TestStepClockReadsAsClockSim: a run's clock must read what paper
// mode's clock.Sim reads for the same ticks (the lockstep test compares
// their trades): forward only, UTC, whatever zone the data was in.
func TestStepClockReadsAsClockSim(t *testing.T) {
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
	c, s := newStepClock(t0), clock.NewSim(t0)
	for i, at := range sets {
		c.Set(at)
		s.Set(at)
		got, want := c.Now(), s.Now()
		if got != want {
			t.Errorf("after Set #%d (%s): Now = %#v, clock.Sim's %#v", i, at, got, want)
		}
	}
}

// TestPeriodStartIsTruncate: the equity curve's periods must start where
// Truncate(SamplePeriod) puts them, to the nanosecond, zone and all, on
// either side of the range where periodStart takes its shortcut.
func TestPeriodStartIsTruncate(t *testing.T) {
	ny := time.FixedZone("EST", -5*3600)
	for _, at := range []time.Time{
		time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2022, 1, 1, 0, 0, 59, 999999999, time.UTC),
		time.Date(2022, 1, 1, 23, 59, 0, 1, time.UTC).In(ny),
		time.Date(1969, 12, 31, 23, 59, 30, 5, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 6, 1, 12, 34, 56, 7, time.UTC),
		time.Now(),
	} {
		if got, want := periodStart(at), at.Truncate(SamplePeriod); got != want {
			t.Errorf("periodStart(%s) = %#v, Truncate gives %#v", at, got, want)
		}
	}
}

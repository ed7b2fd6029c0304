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

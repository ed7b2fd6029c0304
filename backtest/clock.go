package backtest

import "time"

// stepClock is the clock of a run. It keeps clock.Sim's rules, so that a
// run reads the same times as paper mode in lockstep: it only moves
// forward, to the time of each tick, and reads as UTC, at nanosecond
// resolution. Unlike clock.Sim it is not safe for concurrent use: one
// goroutine (Run) sets and reads it, which spares an atomic
// compare-and-swap per tick, and it builds a time.Time only when read
// after it moved.
type stepClock struct {
	nanos int64 // Unix nanoseconds of now; zero before the first Set
	// now is Now's answer for nanos when fresh. Set only records nanos:
	// the clock is set on every tick but read only when an order or an
	// exit acts, and the guard reads UnixNano.
	now   time.Time
	fresh bool
}

func newStepClock(t time.Time) *stepClock {
	c := &stepClock{}
	c.Set(t)
	return c
}

// Now implements clock.Clock: the time last set, in UTC, or the zero time
// before a time after 1970 was set.
func (c *stepClock) Now() time.Time {
	if !c.fresh {
		c.fresh = true
		c.now = time.Time{}
		if c.nanos != 0 {
			c.now = time.Unix(0, c.nanos).UTC()
		}
	}
	return c.now
}

// Set moves the clock to t, unless t is not after the current time.
func (c *stepClock) Set(t time.Time) {
	if n := t.UnixNano(); n > c.nanos {
		c.nanos, c.fresh = n, false
	}
}

// UnixNano returns Now in Unix nanoseconds, zero before the first Set
// of a time after 1970. The risk guard reads it on every tick to see
// whether a trading day has ended, without building a time.Time.
func (c *stepClock) UnixNano() int64 { return c.nanos }

package clock

import "time"

// Step is a simulated clock for one goroutine, such as a backtest's loop,
// which sets it to each tick's time. It keeps Sim's rules, so that a
// backtest reads the same times as paper mode in lockstep: it only moves
// forward, and reads as UTC at nanosecond resolution. Unlike Sim it is not
// safe for concurrent use, which spares an atomic compare-and-swap per
// Set, and it builds a time.Time only when read after it moved: it is set
// on every tick but read only when an order or an exit acts (the risk
// guard reads UnixNano). The zero value reads the zero time.
type Step struct {
	nanos int64 // Unix nanoseconds of now; zero before the first Set
	// now is Now's answer for nanos when fresh.
	now   time.Time
	fresh bool
}

// NewStep returns a Step clock set to t.
func NewStep(t time.Time) *Step {
	c := &Step{}
	c.Set(t)
	return c
}

// Now returns the time last set, in UTC, or the zero time before a time
// after 1970 was set.
func (c *Step) Now() time.Time {
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
func (c *Step) Set(t time.Time) {
	if n := t.UnixNano(); n > c.nanos {
		c.nanos, c.fresh = n, false
	}
}

// UnixNano returns Now in Unix nanoseconds, zero before the first Set of
// a time after 1970 (Nanos).
func (c *Step) UnixNano() int64 { return c.nanos }

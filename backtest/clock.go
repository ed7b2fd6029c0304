package backtest

import "time"

// stepClock is the clock of a run. It keeps clock.Sim's rules, so that a
// run reads the same times as paper mode in lockstep: it only moves
// forward, to the time of each tick, and reads as UTC, at nanosecond
// resolution. Unlike clock.Sim it is not safe for concurrent use: one
// goroutine (Run) sets and reads it, which spares an atomic
// compare-and-swap per tick and a conversion per read (the guard, the
// exits and the exchange read the clock several times a tick).
type stepClock struct {
	nanos int64 // Unix nanoseconds of now; zero before the first Set
	now   time.Time
}

func newStepClock(t time.Time) *stepClock {
	c := &stepClock{}
	c.Set(t)
	return c
}

// Now implements clock.Clock.
func (c *stepClock) Now() time.Time { return c.now }

// maxUTCSec bounds the Unix seconds for which t.UTC() is the time of
// t.UnixNano() (year 2242; UnixNano overflows in 2262).
const maxUTCSec = 1 << 33

// Set moves the clock to t, unless t is not after the current time.
func (c *stepClock) Set(t time.Time) {
	n := t.UnixNano()
	if n <= c.nanos {
		return
	}
	c.nanos = n
	if sec := t.Unix(); sec >= 0 && sec < maxUTCSec {
		// The same value as time.Unix(0, n).UTC(), without dividing n
		// back into seconds: UTC drops the zone and the monotonic
		// reading and keeps the instant, which n holds exactly.
		c.now = t.UTC()
		return
	}
	c.now = time.Unix(0, n).UTC()
}

// UnixNano returns Now in Unix nanoseconds, zero before the first Set
// of a time after 1970. The risk guard reads it on every tick to see
// whether a trading day has ended, without building a time.Time.
func (c *stepClock) UnixNano() int64 { return c.nanos }

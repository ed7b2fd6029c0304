// Package clock provides the time source that strategy, exit and risk code
// read, so that a backtest runs on the data's time and is deterministic
// (docs/INVARIANTS.md invariant 8), while live and paper modes run on the wall.
package clock

import (
	"sync/atomic"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// Wall is the system clock.
type Wall struct{}

// Now returns time.Now().
func (Wall) Now() time.Time { return time.Now() }

// Sim is a clock that moves only when told, to the time of the market data
// being replayed. It is safe for concurrent use; its zero value reads the
// zero time.
type Sim struct {
	nanos atomic.Int64
}

// NewSim returns a simulated clock set to t.
func NewSim(t time.Time) *Sim {
	s := &Sim{}
	s.Set(t)
	return s
}

// Now returns the last time set.
func (s *Sim) Now() time.Time {
	n := s.nanos.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Set moves the clock to t. Moving backwards is ignored, so that late
// events cannot make time run back.
func (s *Sim) Set(t time.Time) {
	n := t.UnixNano()
	for {
		cur := s.nanos.Load()
		if n <= cur || s.nanos.CompareAndSwap(cur, n) {
			return
		}
	}
}

// UnixNano returns Now in Unix nanoseconds, or zero while Now reads the
// zero time (Nanos).
func (s *Sim) UnixNano() int64 { return s.nanos.Load() }

// Nanos is implemented by clocks that tell the current time as an int64
// without building a time.Time, for code that only compares it, on every
// tick. UnixNano must be Now().UnixNano() whenever Now is after 1970, and
// zero while Now is the zero time.
type Nanos interface {
	UnixNano() int64
}

// Package repeats keeps a cause that repeats (an order refused again and
// again until what refuses it changes) from flooding the log: the first
// occurrence of a cause is logged, the repeats within a period are only
// counted, and the count goes with the next line logged.
package repeats

import "time"

// Limiter decides, per cause, which occurrences are logged. The zero
// value is not ready: use New. It is not safe for concurrent use; its
// owner holds the lock or the goroutine.
type Limiter[K comparable] struct {
	every  time.Duration
	max    int
	causes map[K]cause
}

// cause is when a cause was last logged and how many occurrences were
// not logged since.
type cause struct {
	at      time.Time
	repeats int
}

// New returns a Limiter that logs each cause at most once per every, and
// remembers at most max causes: when there are more, it forgets them all
// (causes are a handful per order flow; max bounds a flood of distinct
// ones).
func New[K comparable](every time.Duration, max int) *Limiter[K] {
	return &Limiter[K]{every: every, max: max, causes: make(map[K]cause)}
}

// Note records an occurrence of c at now. log is true for one to log,
// with unlogged the occurrences left out since the last one logged; for
// one within the period, log is false and unlogged counts it.
func (l *Limiter[K]) Note(c K, now time.Time) (log bool, unlogged int) {
	last, seen := l.causes[c]
	if seen && now.Sub(last.at) < l.every {
		last.repeats++
		l.causes[c] = last
		return false, last.repeats
	}
	if !seen && len(l.causes) >= l.max {
		clear(l.causes)
	}
	l.causes[c] = cause{at: now}
	return true, last.repeats
}

// Reset forgets every cause, so that the next occurrence of any is
// logged (an order accepted after refusals, say).
func (l *Limiter[K]) Reset() {
	if len(l.causes) > 0 {
		clear(l.causes)
	}
}

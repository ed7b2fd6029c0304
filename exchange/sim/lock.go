package sim

import "sync"

// lock is the exchange's mutex, which an exchange used by one goroutine
// only (a backtest) switches off: an uncontended Lock and Unlock still
// cost two atomic instructions, paid on every tick of a backtest that
// runs hundreds of thousands of them per second.
type lock struct {
	mu  sync.Mutex
	off bool // set once, before the exchange is shared
}

func (l *lock) Lock() {
	if !l.off {
		l.mu.Lock()
	}
}

func (l *lock) Unlock() {
	if !l.off {
		l.mu.Unlock()
	}
}

// SingleGoroutine declares that from now on only the calling goroutine
// uses x, its handler included, as a backtest does: the exchange then
// stops locking. Call it right after New, before x is handed to anything
// that may run elsewhere; using x from another goroutine afterwards is a
// data race.
func (x *Exchange) SingleGoroutine() { x.mu.off = true }

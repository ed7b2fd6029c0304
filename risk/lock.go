package risk

import "sync"

// lock is the guard's mutex, which a guard used by one goroutine only
// (a backtest) switches off: an uncontended Lock and Unlock still cost
// two atomic instructions, paid on every tick of a backtest that runs
// hundreds of thousands of them per second.
type lock struct {
	mu  sync.Mutex
	off bool // set once, before the guard is shared
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
// uses g, as a backtest does: the guard then stops locking. Call it right
// after NewGuard, before g is handed to anything that may run elsewhere;
// using g from another goroutine afterwards is a data race.
func (g *Guard) SingleGoroutine() { g.mu.off = true }

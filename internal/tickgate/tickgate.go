// Package tickgate holds a replayed market still: a Gate closed in front
// of a tick source stops its ticks until it opens again. Tests close it
// before they compare a daemon with the emulator's exchange, so that no
// order triggers or fills and no strategy enters while they look, and
// what both hold stops changing.
package tickgate

import (
	"sync"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

// Gate lets ticks through while open (its zero value is open). Any
// goroutine may call its methods.
type Gate struct {
	mu     sync.Mutex
	closed bool
	opened chan struct{}
}

// Close holds the ticks of every source behind the gate: the tick being
// waited for when Close is called may still pass.
func (g *Gate) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed, g.opened = true, make(chan struct{})
	}
}

// Open lets the ticks run again.
func (g *Gate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.closed = false
		close(g.opened)
	}
}

func (g *Gate) wait() {
	g.mu.Lock()
	closed, opened := g.closed, g.opened
	g.mu.Unlock()
	if closed {
		<-opened
	}
}

// Source returns src behind the gate: its Next waits while the gate is
// closed.
func (g *Gate) Source(src marketdata.TickSource) marketdata.TickSource {
	return gated{src: src, gate: g}
}

type gated struct {
	src  marketdata.TickSource
	gate *Gate
}

func (s gated) Next() (exchange.Tick, error) {
	s.gate.wait()
	return s.src.Next()
}

// Close closes the source when it can be closed.
func (s gated) Close() error {
	if c, ok := s.src.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

package engine

import (
	"context"

	"github.com/tradebot/tradebot/exchange"
)

// Step delivers one tick to the guard and to the instances on its
// product, and then everything the tick caused (order events of the
// orders it led to), on the calling goroutine. It is OnTick followed by
// Drain, with the same order of work and so the same trades, without the
// mailbox on the way of a tick: an instance whose mailbox is empty gets
// the tick straight into handleTick; one with messages waiting takes the
// mailbox's path, messages first. Backtests call it for every tick; the
// instances' goroutines (Run) must not be running. Step only reads *t,
// which it takes by pointer because a Tick is some 180 bytes, copied at
// each call otherwise.
func (e *Engine) Step(ctx context.Context, t *exchange.Tick) {
	if !e.nopObs {
		e.obs.TickReceived(*t)
	}
	e.guard.OnTick(t)
	// One round of Drain, in instance order, with this tick in the
	// mailboxes of the instances on its product.
	for _, in := range e.instances {
		switch {
		case in.product.ID != t.ProductID && !in.reads(t.ProductID):
			if in.mailbox.pending() {
				in.process(ctx)
			}
		case in.mailbox.pending():
			in.mailbox.PutTick(*t)
			in.process(ctx)
		default:
			in.applied = in.applied[:0]
			in.handleTick(ctx, t)
		}
	}
	e.drainPending(ctx)
}

// drainPending is Drain for Step: it passes over an instance whose mailbox
// is empty instead of calling process, which would take nothing and only
// re-read the conflation counter, for every instance on every tick. On one
// goroutine nothing reaches a mailbox without setting it pending, so the
// rounds and their order are Drain's.
func (e *Engine) drainPending(ctx context.Context) {
	for more := true; more; {
		more = false
		for _, in := range e.instances {
			if in.mailbox.pending() && in.process(ctx) {
				more = true
			}
		}
	}
}

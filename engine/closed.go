package engine

import (
	"fmt"

	"github.com/tradebot/tradebot/exits"
)

// ErrClosed refuses an order, a cancel or an edit after Executor.Close.
// It wraps exits.ErrNotSent: nothing left, so no order is in flight.
var ErrClosed = fmt.Errorf("the daemon has stopped: nothing is sent to the venue (%w)", exits.ErrNotSent)

// Close makes the executor refuse, from now on, every order, cancel and
// edit with ErrClosed, before the risk guard, the journal or the venue
// sees it. The daemon calls it once its shutdown has parked protection
// and the loops have ended, or been given up on: a loop stuck inside a
// strategy or a venue call outlives the daemon's Run, and should it wake
// it would otherwise act on the venue with nobody watching the outcome
// (no feed, no user channel), after the operator's stop. What it holds
// is re-armed from the journal at the next start.
func (e *Executor) Close() { e.closed.Store(true) }

// refusedClosed is ErrClosed naming what was refused (place, cancel,
// edit) and the order's id.
func refusedClosed(what, id string) error { return fmt.Errorf("%s %s: %w", what, id, ErrClosed) }

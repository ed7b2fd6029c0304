package emulator

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
)

// cancelQueue makes cancels take effect after a delay, as on Coinbase,
// where a cancel only starts the cancellation: meanwhile the order shows
// CANCEL_QUEUED with pending_cancel, and it may still fill. mu guards
// everything; the timers' goroutines take it.
type cancelQueue struct {
	mu      sync.Mutex
	delay   time.Duration
	queued  map[string]*time.Timer // order id -> pending cancel
	stopped bool
	// running counts the timers that are scheduled or running, so that
	// Wait also waits for them.
	running sync.WaitGroup
}

// CancelDelay makes every later cancel wait d before it takes effect (0,
// the default, cancels at once).
func (e *Emulator) CancelDelay(d time.Duration) {
	e.cancels.mu.Lock()
	e.cancels.delay = max(d, 0)
	e.cancels.mu.Unlock()
}

// FlushQueuedCancels makes every queued cancel take effect now, as if its
// delay were up.
func (e *Emulator) FlushQueuedCancels() {
	q := e.cancels
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, t := range q.queued {
		t.Reset(0)
	}
}

// cancelQueued reports whether a cancel of orderID is pending.
func (q *cancelQueue) cancelQueued(orderID string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.queued[orderID]
	return ok
}

// cancel cancels orderID now, or queues the cancel when a delay is set.
// It returns the cancel failure reason, or "" on success.
func (e *Emulator) cancel(ctx context.Context, orderID string) string {
	q := e.cancels
	q.mu.Lock()
	delay, stopped := q.delay, q.stopped
	_, dup := q.queued[orderID]
	q.mu.Unlock()
	if dup {
		return sim.CancelDuplicateRequest
	}
	if delay <= 0 || stopped {
		return cancelReason(e.sim.CancelOrder(ctx, orderID))
	}
	o, err := e.sim.Order(orderID)
	if err != nil {
		return cancelReason(err)
	}
	if o.Status != exchange.StatusOpen && o.Status != exchange.StatusEditQueued {
		// The sim's reason for a finished order; a QUEUED one, off the
		// book, is cancelled at once.
		return cancelReason(e.sim.CancelOrder(ctx, orderID))
	}
	q.mu.Lock()
	if q.queued == nil {
		q.queued = make(map[string]*time.Timer)
	}
	q.running.Add(1)
	q.queued[orderID] = time.AfterFunc(delay, func() {
		defer q.running.Done()
		// The order may have filled meanwhile; then the cancel fails,
		// as a late cancel does on Coinbase, and the fill was reported.
		e.sim.CancelOrder(context.Background(), orderID)
		q.mu.Lock()
		delete(q.queued, orderID)
		q.mu.Unlock()
	})
	q.mu.Unlock()
	e.ws.orderUpdate(o) // now CANCEL_QUEUED
	return ""
}

// stop fires no more queued cancels; the emulator is stopping.
func (q *cancelQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	for id, t := range q.queued {
		if t.Stop() {
			q.running.Done()
		}
		delete(q.queued, id)
	}
}

// wait returns when no cancel timer is running.
func (q *cancelQueue) wait() { q.running.Wait() }

// cancelReason maps the sim's answer to a cancel failure reason.
func cancelReason(err error) string {
	var ce *sim.CancelError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ce):
		return ce.Reason
	case errors.Is(err, exchange.ErrOrderNotFound):
		return "UNKNOWN_CANCEL_ORDER"
	}
	return "COMMANDER_REJECTED_CANCEL_ORDER"
}

// status is the order's status as Coinbase shows it: an open (or
// EDIT_QUEUED) order with a queued cancel is CANCEL_QUEUED, a new one
// PENDING for
// Options.PendingFor while nothing has filled. A status the caller set
// already (PENDING in a first user-channel update) is kept.
func (e *Emulator) status(o exchange.Order) (exchange.OrderStatus, bool) {
	if o.Status != exchange.StatusOpen && o.Status != exchange.StatusEditQueued {
		return o.Status, false
	}
	if e.cancels.cancelQueued(o.ID) {
		return exchange.StatusCancelQueued, true
	}
	if o.Status == exchange.StatusEditQueued {
		return o.Status, false
	}
	if d := e.opts.PendingFor; d > 0 && o.FilledSize.IsZero() && e.clk.Now().Sub(o.CreatedAt) < d {
		return exchange.StatusPending, false
	}
	return o.Status, false
}

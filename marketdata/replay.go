package marketdata

import (
	"context"
	"errors"
	"io"
	"math"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// Waiter is the time source a Replayer schedules against. The wall
// clock is the default; tests pass a fake one to check the schedule
// without sleeping.
type Waiter interface {
	// Now returns the current time.
	Now() time.Time
	// WaitUntil returns at t, or with ctx's error as soon as ctx ends.
	WaitUntil(ctx context.Context, t time.Time) error
}

// Replayer delivers the ticks of a TickSource at Speed times the pace
// they were recorded at. Its zero value replays as fast as possible.
//
// Tick i is due at start + (Time_i - Time_0)/Speed, where start is the
// moment the first tick was delivered. Each due time is computed from the
// start, never from the previous tick, so sleeping late or a slow
// callback never accumulates drift: later ticks catch up. Ticks that are
// out of order are delivered at once.
type Replayer struct {
	// Speed is the multiple of real time: 1 is the recorded pace, 10 is
	// ten times faster, 0 (or negative) is as fast as the CPU allows.
	Speed float64
	// Waiter is the clock to schedule against; nil means the wall clock.
	Waiter Waiter

	delivered atomic.Int64
	lag       atomic.Int64 // ns the last paced tick was late
}

// Delivered returns how many ticks were handed to the callback so far.
// It is safe to call from any goroutine while Run is running.
func (r *Replayer) Delivered() int64 { return r.delivered.Load() }

// Lag returns how late the last tick was delivered against its due
// time (zero when replaying as fast as possible): a callback slower than
// the recording shows here as a growing lag. Safe from any goroutine.
func (r *Replayer) Lag() time.Duration { return time.Duration(r.lag.Load()) }

// Run reads src to its end and calls deliver with each tick, on the
// calling goroutine. When Speed > 0 each tick's Received is set to the
// Waiter's time of delivery (the feed lag a live tick would show); when
// replaying as fast as possible Received is left as the source set it,
// equal to Time, so that a backtest is the same on every run.
//
// Run returns nil at the end of src, ctx's error as soon as ctx ends
// (also while waiting for a far tick), or src's error.
func (r *Replayer) Run(ctx context.Context, src TickSource, deliver func(exchange.Tick)) error {
	w := r.Waiter
	if w == nil {
		wall := newWallWaiter()
		defer wall.stop()
		w = wall
	}
	paced := r.Speed > 0
	var (
		start, first time.Time
		begun        bool
	)
	done := ctx.Done()
	for {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		t, err := src.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if paced {
			if !begun {
				start, first, begun = w.Now(), t.Time, true
			}
			due := start.Add(scaled(t.Time.Sub(first), r.Speed))
			if err := w.WaitUntil(ctx, due); err != nil {
				return err
			}
			t.Received = w.Now()
			r.lag.Store(int64(t.Received.Sub(due)))
		}
		deliver(t)
		r.delivered.Add(1)
	}
}

// scaled returns d/speed, saturating instead of wrapping around when a
// tiny speed makes the quotient larger than a Duration can hold.
func scaled(d time.Duration, speed float64) time.Duration {
	f := float64(d) / speed
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(f)
}

// wallWaiter waits on the system clock with one reusable timer, stopped
// when the replay ends so that no timer outlives it.
type wallWaiter struct {
	timer *time.Timer
}

func newWallWaiter() *wallWaiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &wallWaiter{timer: t}
}

func (w *wallWaiter) Now() time.Time { return time.Now() }

func (w *wallWaiter) WaitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	// Since Go 1.23 Reset discards a stale expiry, so no drain is needed.
	w.timer.Reset(d)
	select {
	case <-ctx.Done():
		w.timer.Stop()
		return ctx.Err()
	case <-w.timer.C:
		return nil
	}
}

func (w *wallWaiter) stop() { w.timer.Stop() }

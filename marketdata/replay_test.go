package marketdata

import (
	"context"
	"errors"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// fakeWaiter is a clock that jumps to each requested time instead of
// sleeping, and records what it was asked to wait for. lag makes every
// wait end late, as an overloaded machine would.
type fakeWaiter struct {
	now   time.Time
	lag   time.Duration
	waits []time.Time
}

func (f *fakeWaiter) Now() time.Time { return f.now }

func (f *fakeWaiter) WaitUntil(ctx context.Context, t time.Time) error {
	f.waits = append(f.waits, t)
	if t.After(f.now) {
		f.now = t.Add(f.lag)
	}
	return ctx.Err()
}

// sliceSource is a TickSource over a slice.
type sliceSource struct {
	ticks []exchange.Tick
	err   error // returned after the ticks instead of io.EOF, if set
}

func (s *sliceSource) Next() (exchange.Tick, error) {
	if len(s.ticks) == 0 {
		if s.err != nil {
			return exchange.Tick{}, s.err
		}
		return exchange.Tick{}, io.EOF
	}
	t := s.ticks[0]
	s.ticks = s.ticks[1:]
	return t, nil
}

func ticksAt(offsets ...time.Duration) []exchange.Tick {
	base := utc("2024-08-08 23:54:14")
	out := make([]exchange.Tick, len(offsets))
	for i, o := range offsets {
		out[i] = exchange.Tick{ProductID: "BTC-USDT", Kind: exchange.TradeTick, Time: base.Add(o), Received: base.Add(o)}
	}
	return out
}

func TestReplayerSchedulesFromTheStartAtSpeed(t *testing.T) {
	wallStart := utc("2030-01-01 00:00:00")
	tests := []struct {
		name  string
		speed float64
		lag   time.Duration
		ticks []time.Duration
		due   []time.Duration // after wallStart
		// lastLag is how late the last tick came: the waiter's lag, or
		// for a tick back in time, how far back it went.
		lastLag time.Duration
	}{
		{"real time", 1, 0, []time.Duration{0, time.Second, 1500 * time.Millisecond, 10 * time.Second}, []time.Duration{0, time.Second, 1500 * time.Millisecond, 10 * time.Second}, 0},
		{"ten times faster", 10, 0, []time.Duration{0, time.Second, 1500 * time.Millisecond, 10 * time.Second}, []time.Duration{0, 100 * time.Millisecond, 150 * time.Millisecond, time.Second}, 0},
		{"half speed", 0.5, 0, []time.Duration{0, time.Second}, []time.Duration{0, 2 * time.Second}, 0},
		// Every wait ends 30ms late, yet each due time is still computed
		// from the start: lateness does not add up.
		{"late wakeups do not drift", 1, 30 * time.Millisecond, []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}, []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}, 30 * time.Millisecond},
		{"a tick back in time is due at once", 1, 0, []time.Duration{0, 2 * time.Second, time.Second}, []time.Duration{0, 2 * time.Second, time.Second}, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fakeWaiter{now: wallStart, lag: tt.lag}
			r := &Replayer{Speed: tt.speed, Waiter: w}
			var got []exchange.Tick
			if err := r.Run(context.Background(), &sliceSource{ticks: ticksAt(tt.ticks...)}, func(tk exchange.Tick) { got = append(got, tk) }); err != nil {
				t.Fatal(err)
			}
			if len(w.waits) != len(tt.due) {
				t.Fatalf("%d waits, want %d", len(w.waits), len(tt.due))
			}
			for i, d := range tt.due {
				if want := wallStart.Add(d); !w.waits[i].Equal(want) {
					t.Errorf("tick %d due %s, want %s", i, w.waits[i].Sub(wallStart), d)
				}
			}
			if r.Lag() != tt.lastLag {
				t.Errorf("lag %v, want %v", r.Lag(), tt.lastLag)
			}
			if r.Delivered() != int64(len(tt.ticks)) || len(got) != len(tt.ticks) {
				t.Errorf("delivered %d (%d seen), want %d", r.Delivered(), len(got), len(tt.ticks))
			}
			for i, tk := range got {
				if tk.Received.Before(w.waits[i]) {
					t.Errorf("tick %d received at %s, before it was due at %s", i, tk.Received, w.waits[i])
				}
				if !tk.Time.Equal(utc("2024-08-08 23:54:14").Add(tt.ticks[i])) {
					t.Errorf("tick %d time changed to %s", i, tk.Time)
				}
			}
		})
	}
}

func TestScaledSaturates(t *testing.T) {
	if got := scaled(time.Hour, 1e-12); got != math.MaxInt64 {
		t.Errorf("an hour at speed 1e-12 is %v, want the longest Duration", got)
	}
	if got := scaled(-time.Hour, 1e-12); got != math.MinInt64 {
		t.Errorf("minus an hour at speed 1e-12 is %v", got)
	}
	if got := scaled(time.Second, 4); got != 250*time.Millisecond {
		t.Errorf("a second at speed 4 is %v", got)
	}
}

func TestReplayerAsFastAsPossibleNeverWaits(t *testing.T) {
	w := &fakeWaiter{now: utc("2030-01-01 00:00:00")}
	r := &Replayer{Waiter: w}
	var got []exchange.Tick
	if err := r.Run(context.Background(), &sliceSource{ticks: ticksAt(0, time.Hour, 2*time.Hour)}, func(tk exchange.Tick) { got = append(got, tk) }); err != nil {
		t.Fatal(err)
	}
	if len(w.waits) != 0 {
		t.Errorf("waited %d times", len(w.waits))
	}
	// Backtests must be deterministic: Received stays the data's time.
	for _, tk := range got {
		if !tk.Received.Equal(tk.Time) {
			t.Errorf("received %s, want the tick time %s", tk.Received, tk.Time)
		}
	}
	if r.Delivered() != 3 {
		t.Errorf("delivered %d", r.Delivered())
	}
}

func TestReplayerReturnsTheSourceError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := &Replayer{}
	err := r.Run(context.Background(), &sliceSource{ticks: ticksAt(0), err: boom}, func(exchange.Tick) {})
	if !errors.Is(err, boom) || r.Delivered() != 1 {
		t.Fatalf("error %v after %d ticks", err, r.Delivered())
	}
}

// On the wall clock, cancelling while the next tick is an hour away ends
// Run at once. The bound is generous; the point is that Run does not
// sleep out the hour.
func TestReplayerStopsPromptlyWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Replayer{Speed: 1}
	first := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, &sliceSource{ticks: ticksAt(0, time.Hour)}, func(exchange.Tick) { once.Do(func() { close(first) }) })
	}()
	<-first
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still waiting 10s after cancel")
	}
	if r.Delivered() != 1 {
		t.Errorf("delivered %d, want 1", r.Delivered())
	}
}

// A cancelled context also stops a replay that never waits.
func TestReplayerAsFastAsPossibleHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Replayer{}
	err := r.Run(ctx, &sliceSource{ticks: ticksAt(0, 1, 2, 3, 4)}, func(exchange.Tick) { cancel() })
	if !errors.Is(err, context.Canceled) || r.Delivered() != 1 {
		t.Fatalf("error %v after %d ticks, want context.Canceled after 1", err, r.Delivered())
	}
}

// At a high speed on the wall clock the whole bundled recording (eleven
// minutes) replays; this exercises the real timer path end to end.
func TestReplayerReplaysTheBundledRecordingOnTheWallClock(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 11 minutes of data at 2000x (about 0.3s)")
	}
	src, err := Open(bundledPath())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := &Replayer{Speed: 2000}
	var last exchange.Tick
	err = r.Run(context.Background(), src.Ticks, func(tk exchange.Tick) {
		if tk.Received.IsZero() || tk.Received.Equal(tk.Time) {
			t.Fatalf("received not stamped: %+v", tk)
		}
		last = tk
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Delivered() != 19904+73174 || last.ProductID != "BTC-USDT" {
		t.Errorf("delivered %d", r.Delivered())
	}
}

package marketdata

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// LoopPause is the time a Loop puts between the last tick of one pass and
// the first tick of the next.
const LoopPause = time.Second

// Loop is a TickSource that replays a recording again and again, for a
// paper-trading daemon whose only feed is a short recording (such as the
// bundled one). Each pass is shifted in time to start LoopPause after the
// previous pass ended, so times keep increasing and the Replayer keeps
// its pace; prices jump at the seam from the last price to the first.
// It is not safe for concurrent use.
type Loop struct {
	open   func() (*Source, error)
	cur    *Source
	ticks  TickSource
	shift  time.Duration // added to every tick of the current pass
	first  time.Time     // first tick time of the current pass, unshifted
	last   time.Time     // last tick time delivered, shifted
	passes int
	inPass int // ticks delivered in the current pass
}

// NewLoop returns a Loop over the sources open returns; it calls open at
// the start of every pass. A pass without ticks is an error, since
// looping it would spin.
func NewLoop(open func() (*Source, error)) *Loop {
	return &Loop{open: open}
}

// Passes returns how many passes have started.
func (l *Loop) Passes() int { return l.passes }

// Next returns the next tick, starting a new pass when one ends. It
// returns io.EOF never, and an error only if open or a source fails.
func (l *Loop) Next() (exchange.Tick, error) {
	for {
		if l.ticks == nil {
			if err := l.startPass(); err != nil {
				return exchange.Tick{}, err
			}
		}
		t, err := l.ticks.Next()
		if errors.Is(err, io.EOF) {
			empty := l.inPass == 0
			l.endPass()
			if empty {
				return exchange.Tick{}, fmt.Errorf("loop: pass %d of %s has no ticks", l.passes, l.cur.Name)
			}
			continue
		}
		if err != nil {
			return exchange.Tick{}, err
		}
		if l.inPass == 0 {
			l.first = t.Time
			if l.passes > 1 {
				l.shift = l.last.Add(LoopPause).Sub(t.Time)
			}
		}
		l.inPass++
		t.Time = t.Time.Add(l.shift)
		t.Received = t.Received.Add(l.shift)
		l.last = t.Time
		return t, nil
	}
}

func (l *Loop) startPass() error {
	src, err := l.open()
	if err != nil {
		return fmt.Errorf("loop: open pass %d: %w", l.passes+1, err)
	}
	l.cur, l.ticks = src, src.TickStream()
	l.passes++
	l.inPass = 0
	return nil
}

func (l *Loop) endPass() {
	l.cur.Close()
	l.ticks = nil
}

// Close releases the current pass's source.
func (l *Loop) Close() error {
	if l.ticks == nil {
		return nil
	}
	l.ticks = nil
	return l.cur.Close()
}

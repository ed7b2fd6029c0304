package backtest

import (
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/marketdata"
)

// RecordOptions say what to record where.
type RecordOptions struct {
	// MarketURL is the market-data WebSocket (coinbase.DefaultMarketURL
	// when empty).
	MarketURL string
	Products  []string
	// Out is the recording; a name ending in .gz is gzip-compressed.
	Out string
	// Duration ends the recording after this long; zero records until
	// the context ends.
	Duration time.Duration
	Logger   *slog.Logger
}

// recordBuffer is how many ticks may wait for the writer; the feed's
// callback never blocks, so a writer that falls this far behind drops
// ticks and counts them rather than stall the connection.
const recordBuffer = 1 << 16

// Recorder writes the live market_trades and ticker channels into the
// project's recording format (marketdata.Writer), which paper mode and
// backtest both replay.
type Recorder struct {
	o       RecordOptions
	ticks   atomic.Int64
	dropped atomic.Int64
}

// NewRecorder checks o and returns a recorder; Run records.
func NewRecorder(o RecordOptions) (*Recorder, error) {
	if len(o.Products) == 0 {
		return nil, fmt.Errorf("record: no product to record")
	}
	if o.Out == "" {
		return nil, fmt.Errorf("record: no output file")
	}
	return &Recorder{o: o}, nil
}

// Ticks returns the ticks written so far.
func (r *Recorder) Ticks() int64 { return r.ticks.Load() }

// Dropped returns the ticks lost because the writer fell behind, or because
// they arrived later than the reorder window allows.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Run records until ctx ends or Duration passes, then flushes and closes
// the file. The feed reconnects by itself; a reconnection shows as a gap
// in time in the recording.
func (r *Recorder) Run(ctx context.Context) error {
	if r.o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.o.Duration)
		defer cancel()
	}
	f, err := os.Create(r.o.Out)
	if err != nil {
		return err
	}
	defer f.Close()
	var w *marketdata.Writer
	if strings.HasSuffix(r.o.Out, ".gz") {
		if w, err = marketdata.NewGzipWriter(f, gzip.DefaultCompression); err != nil {
			return err
		}
	} else {
		w = marketdata.NewWriter(f)
	}
	ch := make(chan exchange.Tick, recordBuffer)
	feed, err := coinbase.NewFeed(coinbase.FeedConfig{MarketURL: r.o.MarketURL, Products: r.o.Products,
		Channels: []string{coinbase.ChannelMarketTrades, coinbase.ChannelTicker}, Logger: r.o.Logger,
		OnTick: func(t exchange.Tick) {
			select {
			case ch <- t:
			default:
				r.dropped.Add(1)
			}
		}})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var feedErr error
	go func() {
		defer wg.Done()
		defer close(ch)
		feedErr = feed.Run(ctx)
	}()
	var writeErr error
	var order reorderBuffer
	write := func(t exchange.Tick) {
		if writeErr == nil {
			if writeErr = w.WriteTick(t); writeErr == nil {
				r.ticks.Add(1)
			}
		}
	}
	for t := range ch {
		if writeErr != nil {
			continue // drain so the feed can finish
		}
		if !order.add(t) {
			r.dropped.Add(1)
			continue
		}
		order.flushBefore(t.Time.Add(-recordReorderWindow), write)
	}
	order.flushBefore(time.Time{}, write)
	wg.Wait()
	if err := w.Close(); err != nil && writeErr == nil {
		writeErr = err
	}
	if writeErr != nil {
		return fmt.Errorf("%s: %w", r.o.Out, writeErr)
	}
	if feedErr != nil {
		return feedErr
	}
	return f.Close()
}

// recordReorderWindow is how long a tick waits before it is written. The
// ticker and market_trades channels stamp their messages with Coinbase's
// times and arrive interleaved, a few milliseconds out of order; a
// recording must be in time order (backtest and replay refuse one that is
// not), so the recorder sorts what arrives within this window.
const recordReorderWindow = 2 * time.Second

// reorderBuffer holds ticks sorted by time until they are older than the
// window. Owned by the recorder's writing goroutine.
type reorderBuffer struct {
	ticks   []exchange.Tick
	written time.Time // time of the last tick written
}

// add inserts t in time order, or reports false for a tick older than one
// already written (later than the window allows), which cannot be placed.
func (b *reorderBuffer) add(t exchange.Tick) bool {
	if t.Time.Before(b.written) {
		return false
	}
	i := len(b.ticks)
	for i > 0 && b.ticks[i-1].Time.After(t.Time) {
		i-- // nearly always in order: the loop ends at once
	}
	b.ticks = append(b.ticks, exchange.Tick{})
	copy(b.ticks[i+1:], b.ticks[i:])
	b.ticks[i] = t
	return true
}

// flushBefore writes, in order, every tick before cut; a zero cut writes all.
func (b *reorderBuffer) flushBefore(cut time.Time, write func(exchange.Tick)) {
	n := 0
	for n < len(b.ticks) && (cut.IsZero() || b.ticks[n].Time.Before(cut)) {
		write(b.ticks[n])
		b.written = b.ticks[n].Time
		n++
	}
	if n > 0 {
		b.ticks = append(b.ticks[:0], b.ticks[n:]...)
	}
}

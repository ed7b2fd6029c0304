package backtest

import (
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

// Batches of ticks between the reading goroutine and the run: enough
// ticks that the hand-over costs little per tick (the month's loop ran
// as fast with 512 as with 2048), and few enough that the memory in
// flight is small (streamBatches of 94 kB). Every page of that memory is
// touched fresh in a short run, and a fresh page is what a backtest of
// a month pays most for on a virtual machine: 2048 ticks a batch
// (1.5 MB in flight) took about 280 more page faults of the month's 2,500
// (docs/BENCHMARKS.md, What a fresh process pays).
const (
	streamBatchTicks = 512
	streamBatches    = 4
)

// A candle file's batches travel as candles, streamBatchCandles at a
// time, and the run's goroutine makes their ticks into a buffer of its
// own (candleTicks): a candle is 128 bytes against its four ticks' 736,
// and ticks written on the reader's core and read on the run's cross
// between the cores' caches a line at a time. Which costs more depends on
// the host: with its other tenants busy, the crossing cost the month a
// fifth of its time in the process; on an idle host, making the ticks
// on the run's core costs it a tenth more; the whole process is as fast
// or faster either way (docs/BENCHMARKS.md, Candles, not ticks, between
// the cores).
const streamBatchCandles = streamBatchTicks / 4

// streamFeed reads the files of a run on its own goroutine, merged by
// time, into batches the run takes in turn: parsing runs ahead on
// another core while the run trades.
type streamFeed struct {
	full chan streamBatch
	free chan []exchange.Tick
	stop chan struct{}
	wg   sync.WaitGroup

	read, size atomic.Int64 // bytes read of the files, and their total
	held       []exchange.Tick
	err        error

	// A stream of one candle file: the file, its free candle buffers, the
	// batch the run holds, the run's tick buffer and the ticks it made.
	candleFile  *fileTicks
	freeCandles chan []exchange.Candle
	heldCandles []exchange.Candle
	ticks       []exchange.Tick
	ticksMade   int

	// Written by the goroutine, read once it ended.
	files    []*fileTicks
	products []string
	// ids are the config's product ids, which the ticks of those
	// products carry (Data.feed).
	ids []string

	// intervals came with the first batch.
	intervals []time.Duration
}

type streamBatch struct {
	ticks []exchange.Tick
	// candles are a candle file's batch, whose ticks the run makes.
	candles []exchange.Candle
	err     error
	// intervals are the files' candle intervals, sent with the first
	// batch: the goroutine reads its sources, the run reads the batch.
	intervals []time.Duration
}

// startStream opens every file and starts reading them.
func startStream(paths []string, o LoadOptions, ids []string) (*streamFeed, error) {
	s := &streamFeed{full: make(chan streamBatch, streamBatches), free: make(chan []exchange.Tick, streamBatches),
		stop: make(chan struct{}), ids: ids}
	var size int64
	for _, p := range paths {
		src, err := openData(p, o, &s.read)
		if err != nil {
			for _, f := range s.files {
				f.src.Close()
			}
			return nil, err
		}
		if p != Bundled {
			if st, err := os.Stat(p); err == nil {
				size += st.Size()
			}
		}
		s.files = append(s.files, newFileTicks(p, src, o))
	}
	s.size.Store(size)
	if f := s.files[0]; len(s.files) == 1 && f.src.Candles != nil && !o.Reorder {
		s.candleFile = f
		s.freeCandles = make(chan []exchange.Candle, streamBatches)
		for range streamBatches {
			s.freeCandles <- make([]exchange.Candle, 0, streamBatchCandles)
		}
		s.ticks = make([]exchange.Tick, 0, streamBatchTicks)
	} else {
		for range streamBatches {
			s.free <- make([]exchange.Tick, 0, streamBatchTicks)
		}
	}
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// run is the reading goroutine.
func (s *streamFeed) run() {
	defer s.wg.Done()
	err := s.fill()
	if err == nil {
		err = io.EOF
	}
	select {
	case s.full <- streamBatch{err: err}:
	case <-s.stop:
	}
}

// fill reads every tick into batches until the end, an error or stop.
func (s *streamFeed) fill() error {
	if s.candleFile != nil {
		return s.fillCandles()
	}
	sources := make([]marketdata.TickSource, len(s.files))
	for i, f := range s.files {
		sources[i] = f
		if f.opts.Reorder {
			sorted, err := readSorted(f)
			if err != nil {
				return err
			}
			sources[i] = sorted
		}
	}
	src := sources[0]
	if len(sources) > 1 {
		src = marketdata.Merge(sources...)
	}
	// One file of ticks read in order is appended straight to the batch.
	direct, _ := src.(*fileTicks)
	var ids productIDs
	first := true
	for {
		var buf []exchange.Tick
		select {
		case buf = <-s.free:
		case <-s.stop:
			return nil
		}
		var err error
		if direct != nil {
			buf, err = direct.appendTo(buf[:0])
		} else {
			buf = buf[:streamBatchTicks]
			n := 0
			for n < len(buf) {
				if buf[n], err = src.Next(); err != nil {
					break
				}
				n++
			}
			buf = buf[:n]
		}
		for i := range buf {
			buf[i].ProductID = s.ours(&ids, buf[i].ProductID)
		}
		if n := len(buf); n > 0 {
			if !s.send(streamBatch{ticks: buf[:n]}, &first) {
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// fillCandles reads the candle file into batches of candles until the
// end, an error or stop.
func (s *streamFeed) fillCandles() error {
	var ids productIDs
	first := true
	for {
		var buf []exchange.Candle
		select {
		case buf = <-s.freeCandles:
		case <-s.stop:
			return nil
		}
		buf, err := s.candleFile.appendCandles(buf[:0])
		for i := range buf {
			buf[i].ProductID = s.ours(&ids, buf[i].ProductID)
		}
		if len(buf) > 0 && !s.send(streamBatch{candles: buf}, &first) {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// productIDs is the last product id read and the string it became
// (ours): the same for a run of one product's ticks.
type productIDs struct{ last, ours string }

// ours returns the string the run knows product id as (configID), and
// notes the product among those the data holds.
func (s *streamFeed) ours(p *productIDs, id string) string {
	if id != p.last {
		p.last, p.ours = id, configID(s.ids, id)
		if !slices.Contains(s.products, id) {
			s.products = append(s.products, id)
		}
	}
	return p.ours
}

// send hands b to the run, with the files' intervals if it is the first
// batch, and reports false on stop.
func (s *streamFeed) send(b streamBatch, first *bool) bool {
	if *first {
		*first = false
		b.intervals = make([]time.Duration, len(s.files))
		for i, f := range s.files {
			b.intervals[i] = f.src.Interval()
		}
	}
	select {
	case s.full <- b:
		return true
	case <-s.stop:
		return false
	}
}

func (s *streamFeed) next() ([]exchange.Tick, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.held != nil {
		s.free <- s.held[:0]
		s.held = nil
	}
	if s.heldCandles != nil {
		s.freeCandles <- s.heldCandles[:0]
		s.heldCandles = nil
	}
	for {
		b := <-s.full
		if b.err != nil {
			s.err = b.err
			return nil, b.err
		}
		if b.intervals != nil {
			s.intervals = b.intervals
		}
		if b.candles == nil {
			s.held = b.ticks
			return b.ticks, nil
		}
		s.ticks = s.ticks[:0]
		for _, c := range b.candles {
			s.ticks = s.candleFile.candleTicks(c, s.ticks)
		}
		s.ticksMade += len(s.ticks)
		if len(s.ticks) > 0 {
			s.heldCandles = b.candles
			return s.ticks, nil
		}
		// Every candle of the batch was outside the period.
		s.freeCandles <- b.candles[:0]
	}
}

func (s *streamFeed) candleIntervals() []time.Duration { return s.intervals }

func (s *streamFeed) progress() (int64, int64) { return s.read.Load(), s.size.Load() }

func (s *streamFeed) close() ([]FileInfo, []string) {
	close(s.stop)
	s.wg.Wait()
	infos := make([]FileInfo, len(s.files))
	for i, f := range s.files {
		f.src.Close()
		infos[i] = f.info
	}
	if s.candleFile != nil {
		infos[0].Ticks += s.ticksMade
	}
	products := slices.Clone(s.products)
	slices.Sort(products)
	return infos, products
}

package backtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

// Bundled is the data file name that means the recording embedded in
// the binary (marketdata/bundled), as paper.recording does.
const Bundled = "bundled"

// LoadOptions say how data files become ticks.
type LoadOptions struct {
	// Product names the product of files that do not name one (candle
	// CSVs); ignored for files that do.
	Product string
	// From and To keep only ticks with From <= Time < To; zero means no
	// bound.
	From, To time.Time
	// WarmUp, with a From, also reads the ticks of [From-WarmUp, From)
	// as the strategies' warm-up: they build the strategies' bars and
	// indicators, nothing trades, and the results start at From
	// (WarmUpPeriod gives what a config needs). They count in the files'
	// ticks.
	WarmUp time.Duration
	// Path is the order of prices inside a candle. The zero value is
	// marketdata.PathNearerFirst; backtests pass PathLowFirst, the
	// pessimistic path for a long-only bot (see docs/BACKTEST.md).
	Path marketdata.CandlePath
	// Reorder sorts each file's ticks by time instead of refusing a file
	// that goes back in time. Such a file is held in memory whole, and
	// its candle gaps are not reported.
	Reorder bool
}

// FileInfo describes one loaded data file for the reports.
type FileInfo struct {
	Name   string `json:"name"`
	Format string `json:"format"`
	// Interval is the candle interval, empty for tick files.
	Interval string `json:"interval,omitempty"`
	Ticks    int    `json:"ticks"`
	Candles  int    `json:"candles,omitempty"`
	// Gaps are the runs of missing candles: reported, never filled in.
	Gaps []Gap `json:"gaps"`
	// Widened counts candles whose high or low did not cover their open
	// and close and were widened; their extremes are guesses.
	Widened int `json:"widened_candles,omitempty"`
	// Reordered is set when the file's ticks were sorted by time
	// (LoadOptions.Reorder).
	Reordered bool `json:"reordered,omitempty"`
}

// Gap is a run of missing candles in a file.
type Gap struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Missing int       `json:"missing_candles"`
}

// Data is the market data of a run: files to read as the run goes
// (Stream), or ticks held in memory (Load) for a sweep, whose runs share
// one Data and only read it. Ticks come in time order either way.
type Data struct {
	// Files describe the data files. Those of a streamed Data are known
	// only once a run has read them: see Result.Data.
	Files []FileInfo
	Path  marketdata.CandlePath
	// Products are the product ids of the ticks, sorted; nil for a
	// streamed Data before a run.
	Products []string

	paths []string
	opts  LoadOptions
	// warmUntil is From when the data starts with a warm-up.
	warmUntil time.Time
	// chunks hold the ticks of a loaded Data, in time order, in pieces
	// of chunkTicks: growing one slice would copy it at every doubling
	// and hold both copies at once.
	chunks [][]exchange.Tick
	ticks  int
	// packed holds a loaded candle file instead of chunks, in a sixth of
	// their memory; the Data's ticks are packed's [lo, hi).
	packed *packedCandles
	lo, hi int
}

// chunkTicks is the size of a loaded Data's pieces (3 MB).
const chunkTicks = 1 << 14

// Stream checks that every file opens and is a format marketdata reads,
// and returns a Data that each Run reads from the files as it goes, in
// memory bounded by a few batches of ticks whatever the files' length.
func Stream(paths []string, o LoadOptions) (*Data, error) {
	if len(paths) == 0 {
		return nil, errors.New("no data file given")
	}
	for _, p := range paths {
		src, err := openData(p, o, nil)
		if err != nil {
			return nil, err
		}
		src.Close()
	}
	return &Data{Path: o.Path, paths: paths, opts: o, warmUntil: o.warmUntil()}, nil
}

// Load reads every file with marketdata.Open (which detects the format),
// turns candles into ticks along o.Path, keeps the ticks inside
// [o.From, o.To) and merges the files by time, into memory. Ticks of
// equal time keep the order of the files on the command line. One candle
// file is held as its candles (packedCandles), whose ticks each run makes
// again as it goes.
func Load(paths []string, o LoadOptions) (*Data, error) {
	s, err := Stream(paths, o)
	if err != nil {
		return nil, err
	}
	if len(paths) == 1 && !o.Reorder {
		if d, err := loadPacked(paths[0], o); d != nil || err != nil {
			return d, err
		}
	}
	// Loaded ticks are shared by every run of the Data, whatever its
	// config: they keep the data's strings.
	f, err := s.feed(nil)
	if err != nil {
		return nil, err
	}
	d := &Data{Path: o.Path, warmUntil: o.warmUntil()}
	var chunk []exchange.Tick
	for {
		batch, err := f.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.close()
			return nil, err
		}
		for len(batch) > 0 {
			if len(chunk) == cap(chunk) {
				chunk = make([]exchange.Tick, 0, chunkTicks)
				d.chunks = append(d.chunks, chunk)
			}
			n := min(len(batch), cap(chunk)-len(chunk))
			chunk = append(chunk, batch[:n]...)
			d.chunks[len(d.chunks)-1] = chunk
			batch = batch[n:]
			d.ticks += n
		}
	}
	d.Files, d.Products = f.close()
	if d.ticks == 0 {
		return nil, noTicks(paths, o)
	}
	return d, nil
}

func noTicks(files []string, o LoadOptions) error {
	paths := strings.Join(files, ", ")
	switch {
	case o.From.IsZero() && o.To.IsZero():
		return fmt.Errorf("no ticks in %s", paths)
	case o.To.IsZero():
		return fmt.Errorf("no ticks in %s from %s", paths, o.From.Format(time.RFC3339))
	case o.From.IsZero():
		return fmt.Errorf("no ticks in %s before %s", paths, o.To.Format(time.RFC3339))
	}
	return fmt.Errorf("no ticks in %s from %s to %s", paths, o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
}

// Len returns the number of ticks of a loaded Data, 0 for a streamed one.
func (d *Data) Len() int { return d.ticks }

// feeder yields a run's ticks in batches, in time order.
type feeder interface {
	// next returns the next batch, valid until the following call, or
	// io.EOF after the last.
	next() ([]exchange.Tick, error)
	// progress returns how far the run is, as done out of total in some
	// unit; total is 0 when unknown.
	progress() (done, total int64)
	// close stops reading and returns the files read and the products
	// seen, sorted.
	close() ([]FileInfo, []string)
	// candleIntervals are the candle interval of each file, 0 for tick
	// data; known once the first batch is read (a candle file settles its
	// interval before its first candle).
	candleIntervals() []time.Duration
}

// fileIntervals are the candle intervals of loaded files.
func fileIntervals(files []FileInfo) []time.Duration {
	out := make([]time.Duration, len(files))
	for i, f := range files {
		out[i], _ = time.ParseDuration(f.Interval) // "" (ticks) is 0
	}
	return out
}

// feed starts a run's reading: the chunks of a loaded Data, or a reader
// of the files running ahead of the run on its own goroutine. ids are the
// config's product ids (configIDs): the ticks the feed makes of a product
// among them carry the config's string of its id.
func (d *Data) feed(ids []string) (feeder, error) {
	if d.packed != nil {
		p := &packedFeed{d: d, at: d.lo, buf: make([]exchange.Tick, 0, packedBatch)}
		for _, sh := range d.packed.shapes {
			p.ids = append(p.ids, configID(ids, sh.product))
		}
		return p, nil
	}
	if d.paths == nil {
		return &memoryFeed{d: d}, nil
	}
	return startStream(d.paths, d.opts, ids)
}

// configID returns the string of ids equal to id, or id when none is.
func configID(ids []string, id string) string {
	if i := slices.Index(ids, id); i >= 0 {
		return ids[i]
	}
	return id
}

// memoryFeed is the feed of a loaded Data.
type memoryFeed struct {
	d    *Data
	at   int
	done int
}

func (m *memoryFeed) next() ([]exchange.Tick, error) {
	if m.at == len(m.d.chunks) {
		return nil, io.EOF
	}
	c := m.d.chunks[m.at]
	m.at++
	m.done += len(c)
	return c, nil
}

func (m *memoryFeed) progress() (int64, int64) { return int64(m.done), int64(m.d.ticks) }

func (m *memoryFeed) close() ([]FileInfo, []string) { return m.d.Files, m.d.Products }

func (m *memoryFeed) candleIntervals() []time.Duration { return fileIntervals(m.d.Files) }

// packedBatch is how many ticks a packedFeed makes at a time: 92 KB,
// which stay in the run's core's cache while the run reads them.
const packedBatch = 512

// packedFeed is the feed of a loaded Data held as packedCandles: it makes
// the ticks into a buffer of its own, so that runs on several cores share
// only the packed candles, and only read them.
type packedFeed struct {
	d   *Data
	at  int
	buf []exchange.Tick
	// ids are the product id strings of the packed shapes' ticks.
	ids []string
}

func (p *packedFeed) candleIntervals() []time.Duration { return fileIntervals(p.d.Files) }

func (p *packedFeed) next() ([]exchange.Tick, error) {
	if p.at >= p.d.hi {
		return nil, io.EOF
	}
	to := min(p.at+packedBatch, p.d.hi)
	p.buf = p.d.packed.appendTicks(p.buf[:0], p.at, to, p.ids)
	p.at = to
	return p.buf, nil
}

func (p *packedFeed) progress() (int64, int64) { return int64(p.at - p.d.lo), int64(p.d.ticks) }

func (p *packedFeed) close() ([]FileInfo, []string) { return p.d.Files, p.d.Products }

// countingReader counts the bytes read from a file, for the progress
// of a streamed run.
type countingReader struct {
	r io.Reader
	n *atomic.Int64 // read by the run's goroutine
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// openedFile is a data file opened for reading.
type openedFile struct {
	*marketdata.Source
	file *os.File // nil for the bundled recording
}

// Close closes the source, then the file under it.
func (o openedFile) Close() error {
	err := o.Source.Close()
	if o.file != nil {
		if ferr := o.file.Close(); err == nil {
			err = ferr
		}
	}
	return err
}

// openData opens one data file, or the bundled recording. read, when
// not nil, counts the bytes read from the file.
func openData(path string, o LoadOptions, read *atomic.Int64) (openedFile, error) {
	var opts []marketdata.Option
	if o.Product != "" {
		opts = append(opts, marketdata.DefaultProduct(o.Product))
	}
	if o.Reorder {
		opts = append(opts, marketdata.Unordered())
	}
	if path == Bundled {
		name, open := bundled.Recording()
		rc, err := open()
		if err != nil {
			return openedFile{}, err
		}
		src, err := marketdata.OpenReader(name, rc, opts...)
		return openedFile{Source: src}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return openedFile{}, err
	}
	var r io.Reader = f
	if read != nil {
		r = countingReader{r: f, n: read}
	}
	src, err := marketdata.OpenReader(path, r, opts...)
	if err != nil {
		f.Close()
		return openedFile{}, err
	}
	return openedFile{Source: src, file: f}, nil
}

// fileTicks is the tick stream of one data file: its ticks, or its
// candles' ticks along the candle path, inside [From, To), with the
// file's description kept up to date.
type fileTicks struct {
	src  openedFile
	opts LoadOptions
	info FileInfo
	buf  []exchange.Tick
	at   int
}

// newFileTicks reads the ticks of src, opened from path, inside o's period.
func newFileTicks(path string, src openedFile, o LoadOptions) *fileTicks {
	return &fileTicks{src: src, opts: o, info: FileInfo{Name: path, Format: string(src.Format), Gaps: []Gap{}}}
}

// warmUntil is From when the options ask for a warm-up before it.
func (o LoadOptions) warmUntil() time.Time {
	if o.WarmUp <= 0 {
		return time.Time{}
	}
	return o.From
}

// first is the first instant read: From, less the warm-up.
func (o LoadOptions) first() time.Time {
	if o.From.IsZero() {
		return o.From
	}
	return o.From.Add(-max(o.WarmUp, 0))
}

func (f *fileTicks) keep(t *exchange.Tick) bool {
	return (f.opts.From.IsZero() || !t.Time.Before(f.opts.first())) && (f.opts.To.IsZero() || t.Time.Before(f.opts.To))
}

// Next returns the file's next tick inside the period, or io.EOF.
func (f *fileTicks) Next() (exchange.Tick, error) {
	for {
		if f.at < len(f.buf) {
			t := &f.buf[f.at]
			f.at++
			if f.keep(t) {
				f.info.Ticks++
				return *t, nil
			}
			continue
		}
		if f.src.Candles == nil {
			t, err := f.src.Ticks.Next()
			if err != nil {
				return t, f.wrap(err)
			}
			if f.keep(&t) {
				f.info.Ticks++
				return t, nil
			}
			continue
		}
		c, err := f.src.Candles.Next()
		if err != nil {
			return exchange.Tick{}, f.wrap(err)
		}
		f.info.Candles++
		f.buf, f.at = marketdata.CandleTicksPath(c, f.opts.Path, f.buf[:0]), 0
	}
}

// appendTo appends the file's next ticks inside the period to buf while
// it has room: the single-file path of a stream of ticks, one copy of
// each tick fewer than Next. (A candle file streams as candles:
// appendCandles.)
func (f *fileTicks) appendTo(buf []exchange.Tick) ([]exchange.Tick, error) {
	for len(buf) < cap(buf) {
		t, err := f.src.Ticks.Next()
		if err != nil {
			return buf, f.wrap(err)
		}
		if f.keep(&t) {
			f.info.Ticks++
			buf = append(buf, t)
		}
	}
	return buf, nil
}

// appendCandles appends the candle file's next candles to buf while it
// has room; candleTicks makes their ticks.
func (f *fileTicks) appendCandles(buf []exchange.Candle) ([]exchange.Candle, error) {
	for len(buf) < cap(buf) {
		c, err := f.src.Candles.Next()
		if err != nil {
			return buf, f.wrap(err)
		}
		f.info.Candles++
		buf = append(buf, c)
	}
	return buf, nil
}

// candleTicks appends to dst the ticks of candle c inside the period,
// along the candle path, and returns the extended slice. It reads only
// the options, so that another goroutine than the reader's can call it;
// the ticks are counted by the caller.
func (f *fileTicks) candleTicks(c exchange.Candle, dst []exchange.Tick) []exchange.Tick {
	n := len(dst)
	dst = marketdata.CandleTicksPath(c, f.opts.Path, dst)
	if !f.opts.From.IsZero() || !f.opts.To.IsZero() {
		k := n
		for i := n; i < len(dst); i++ {
			if f.keep(&dst[i]) {
				dst[k] = dst[i]
				k++
			}
		}
		dst = dst[:k]
	}
	return dst
}

// wrap completes the file's description at its end, and names the file
// in an error that does not already.
func (f *fileTicks) wrap(err error) error {
	if errors.Is(err, io.EOF) {
		f.finish()
		return err
	}
	var pe *marketdata.ParseError
	if errors.As(err, &pe) {
		if errors.Is(err, marketdata.ErrOutOfOrder) {
			return fmt.Errorf("%w (--reorder sorts a file's ticks by time)", err)
		}
		return err
	}
	return fmt.Errorf("%s: %w", f.info.Name, err)
}

// finish records the candle file's interval, widened candles and the
// gaps inside the period.
func (f *fileTicks) finish() {
	if f.src.Candles == nil {
		return
	}
	f.info.Interval = f.src.Interval().String()
	f.info.Widened = f.src.Widened()
	f.info.Gaps = f.info.Gaps[:0]
	for _, g := range f.src.Gaps() {
		if (f.opts.To.IsZero() || g.From.Before(f.opts.To)) && (f.opts.From.IsZero() || g.To.After(f.opts.From)) {
			f.info.Gaps = append(f.info.Gaps, Gap{From: g.From.UTC(), To: g.To.UTC(), Missing: g.Missing})
		}
	}
}

// sortedTicks serves a file read whole and sorted by time (Reorder).
type sortedTicks struct {
	ticks []exchange.Tick
	at    int
}

func (s *sortedTicks) Next() (exchange.Tick, error) {
	if s.at == len(s.ticks) {
		return exchange.Tick{}, io.EOF
	}
	s.at++
	return s.ticks[s.at-1], nil
}

// readSorted reads all of f and sorts its ticks by time, equal times in
// file order.
func readSorted(f *fileTicks) (*sortedTicks, error) {
	var all []exchange.Tick
	for {
		t, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		all = append(all, t)
	}
	slices.SortStableFunc(all, func(a, b exchange.Tick) int { return a.Time.Compare(b.Time) })
	f.info.Reordered = true
	return &sortedTicks{ticks: all}, nil
}

// Window returns the ticks of a loaded Data with from <= Time < to, as a
// Data that shares d's memory: walk-forward windows cost no copy.
func (d *Data) Window(from, to time.Time) *Data {
	w := &Data{Files: d.Files, Path: d.Path, Products: d.Products}
	if d.packed != nil {
		w.packed = d.packed
		w.lo, w.hi = d.packedSearch(from), d.packedSearch(to)
		w.hi = max(w.hi, w.lo)
		w.ticks = w.hi - w.lo
		return w
	}
	c0, k0 := d.search(from)
	c1, k1 := d.search(to)
	for c := c0; c <= c1 && c < len(d.chunks); c++ {
		lo, hi := 0, len(d.chunks[c])
		if c == c0 {
			lo = k0
		}
		if c == c1 {
			hi = k1
		}
		if hi > lo {
			w.chunks = append(w.chunks, d.chunks[c][lo:hi])
			w.ticks += hi - lo
		}
	}
	return w
}

// search returns the position (chunk, index in it) of the first tick at
// or after t.
func (d *Data) search(t time.Time) (chunk, at int) {
	c := sort.Search(len(d.chunks), func(i int) bool { ch := d.chunks[i]; return !ch[len(ch)-1].Time.Before(t) })
	if c == len(d.chunks) {
		return c, 0
	}
	ch := d.chunks[c]
	return c, sort.Search(len(ch), func(i int) bool { return !ch[i].Time.Before(t) })
}

// packedSearch returns the first tick of a packed Data at or after t.
func (d *Data) packedSearch(t time.Time) int {
	return d.lo + sort.Search(d.hi-d.lo, func(i int) bool { return !d.packed.tickTime(d.lo + i).Before(t) })
}

// Span returns the time of the first and the last tick of a loaded Data.
func (d *Data) Span() (first, last time.Time) {
	if d.ticks == 0 {
		return
	}
	if d.packed != nil {
		return d.packed.tickTime(d.lo), d.packed.tickTime(d.hi - 1)
	}
	lc := d.chunks[len(d.chunks)-1]
	return d.chunks[0][0].Time, lc[len(lc)-1].Time
}

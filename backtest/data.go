package backtest

import (
	"errors"
	"fmt"
	"io"
	"sort"
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
	// Path is the order of prices inside a candle. The zero value is
	// marketdata.PathNearerFirst; backtests pass PathLowFirst, the
	// pessimistic path for a long-only bot (see docs/BACKTEST.md).
	Path marketdata.CandlePath
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
}

// Gap is a run of missing candles in a file.
type Gap struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Missing int       `json:"missing_candles"`
}

// Data is market data loaded into memory, in time order, ready to be run
// any number of times (a sweep shares one Data between its runs; runs
// only read it).
type Data struct {
	Ticks []exchange.Tick
	Files []FileInfo
	Path  marketdata.CandlePath
	// Products are the product ids of the ticks, sorted.
	Products []string
}

// Load reads every file with marketdata.Open (which detects the format),
// turns candles into ticks along o.Path, keeps the ticks inside
// [o.From, o.To) and merges the files by time. Ticks of equal time keep
// the order of the files on the command line.
func Load(paths []string, o LoadOptions) (*Data, error) {
	if len(paths) == 0 {
		return nil, errors.New("no data file given")
	}
	d := &Data{Path: o.Path}
	for _, p := range paths {
		ticks, info, err := loadFile(p, o)
		if err != nil {
			return nil, err
		}
		d.Ticks = append(d.Ticks, ticks...)
		d.Files = append(d.Files, info)
	}
	seen := map[string]bool{}
	last := ""
	for i := range d.Ticks {
		if id := d.Ticks[i].ProductID; id != last {
			last = id
			if !seen[id] {
				seen[id] = true
				d.Products = append(d.Products, id)
			}
		}
	}
	sort.Strings(d.Products)
	if len(paths) > 1 {
		sort.SliceStable(d.Ticks, func(i, j int) bool { return d.Ticks[i].Time.Before(d.Ticks[j].Time) })
	}
	if len(d.Ticks) == 0 {
		return nil, fmt.Errorf("no ticks in %v between %v and %v", paths, o.From, o.To)
	}
	return d, nil
}

func loadFile(path string, o LoadOptions) ([]exchange.Tick, FileInfo, error) {
	var opts []marketdata.Option
	if o.Product != "" {
		opts = append(opts, marketdata.DefaultProduct(o.Product))
	}
	var src *marketdata.Source
	var err error
	if path == Bundled {
		src, err = bundled.Open()
	} else {
		src, err = marketdata.Open(path, opts...)
	}
	if err != nil {
		return nil, FileInfo{}, err
	}
	defer src.Close()
	info := FileInfo{Name: path, Format: string(src.Format), Gaps: []Gap{}}
	var ticks []exchange.Tick
	keep := func(t exchange.Tick) bool {
		return (o.From.IsZero() || !t.Time.Before(o.From)) && (o.To.IsZero() || t.Time.Before(o.To))
	}
	if src.Candles != nil {
		var buf []exchange.Tick
		for {
			c, err := src.Candles.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, info, fmt.Errorf("%s: %w", path, err)
			}
			info.Candles++
			buf = marketdata.CandleTicksPath(c, o.Path, buf[:0])
			for _, t := range buf {
				if keep(t) {
					ticks = append(ticks, t)
				}
			}
		}
		info.Interval = src.Interval().String()
		info.Widened = src.Widened()
		for _, g := range src.Gaps() {
			if (o.To.IsZero() || g.From.Before(o.To)) && (o.From.IsZero() || g.To.After(o.From)) {
				info.Gaps = append(info.Gaps, Gap{From: g.From.UTC(), To: g.To.UTC(), Missing: g.Missing})
			}
		}
	} else {
		for {
			t, err := src.Ticks.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, info, fmt.Errorf("%s: %w", path, err)
			}
			if keep(t) {
				ticks = append(ticks, t)
			}
		}
	}
	info.Ticks = len(ticks)
	return ticks, info, nil
}

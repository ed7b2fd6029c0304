package backtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/marketdata"
)

// CandleClient is what Download needs of coinbase.Client: its public
// candles, paged and rate limited by the client.
type CandleClient interface {
	Candles(ctx context.Context, productID string, start, end time.Time, interval time.Duration) ([]exchange.Candle, error)
}

var _ CandleClient = (*coinbase.Client)(nil)

// DownloadOptions say which candles to fetch into which file.
type DownloadOptions struct {
	Product  string
	Interval time.Duration
	// From and To bound the candle starts: From <= Start < To.
	From, To time.Time
	// Out is the JSON-lines file (marketdata.CandleWriter); candles are
	// appended after the last complete one already there.
	Out string
	// OnPage, when set, hears after each page is written.
	OnPage func(written int, through time.Time)
}

// DownloadReport says what a download did.
type DownloadReport struct {
	// Resumed is the start of the first candle asked for when the file
	// already held candles (zero for a fresh file).
	Resumed time.Time
	Written int
	// Pages is the number of requests of up to 350 candles.
	Pages int
}

// Download fetches o.Product's candles into o.Out, a page of
// coinbase.MaxCandlesPerRequest candles at a time, writing and syncing
// each page before asking for the next, so that an interrupted download
// keeps what it got. Run again, it reads the file's last candle and asks
// only for what comes after it; a line cut short by a crash is dropped
// first. Missing candles (Coinbase omits intervals without trades) are
// not invented: backtest reports them as gaps.
func Download(ctx context.Context, c CandleClient, o DownloadOptions) (DownloadReport, error) {
	var rep DownloadReport
	if o.Interval <= 0 || marketdata.GranularityName(o.Interval) == "" {
		return rep, fmt.Errorf("download: interval %s is not a Coinbase granularity", o.Interval)
	}
	if !o.From.Before(o.To) {
		return rep, fmt.Errorf("download: --from %s is not before --to %s", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	from := o.From.Truncate(o.Interval)
	last, err := lastCandle(o.Out, o.Product)
	if err != nil {
		return rep, err
	}
	if !last.IsZero() {
		if next := last.Add(o.Interval); next.After(from) {
			from = next
			rep.Resumed = next
		}
	}
	f, err := os.OpenFile(o.Out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	w := marketdata.NewCandleWriter(f)
	page := o.Interval * coinbase.MaxCandlesPerRequest
	for start := from; start.Before(o.To); start = start.Add(page) {
		end := start.Add(page)
		if end.After(o.To) {
			end = o.To
		}
		cs, err := c.Candles(ctx, o.Product, start, end, o.Interval)
		if err != nil {
			return rep, fmt.Errorf("download %s %s..%s: %w", o.Product, start.Format(time.RFC3339), end.Format(time.RFC3339), err)
		}
		rep.Pages++
		for _, cd := range cs {
			if cd.Start.Before(from) || !cd.Start.Before(o.To) {
				continue
			}
			cd.ProductID = o.Product
			cd.Interval = o.Interval
			if err := w.Write(cd); err != nil {
				return rep, fmt.Errorf("%s: %w", o.Out, err)
			}
			rep.Written++
		}
		if err := w.Flush(); err != nil {
			return rep, fmt.Errorf("%s: %w", o.Out, err)
		}
		if err := f.Sync(); err != nil {
			return rep, fmt.Errorf("%s: %w", o.Out, err)
		}
		if o.OnPage != nil {
			o.OnPage(rep.Written, end)
		}
	}
	return rep, f.Close()
}

// lastCandle returns the start of the last candle in path (zero when the
// file is absent or empty), after cutting off an unfinished last line.
func lastCandle(path, product string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(b) == 0) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if b[len(b)-1] != '\n' {
		cut := bytes.LastIndexByte(b, '\n') + 1
		if err := os.Truncate(path, int64(cut)); err != nil {
			return time.Time{}, fmt.Errorf("%s: dropping an unfinished last line: %w", path, err)
		}
		if cut == 0 {
			return time.Time{}, nil
		}
	}
	src, err := marketdata.Open(path, marketdata.DefaultProduct(product))
	if err != nil {
		return time.Time{}, fmt.Errorf("resuming %s: %w", path, err)
	}
	defer src.Close()
	if src.Candles == nil {
		return time.Time{}, fmt.Errorf("resuming %s: it holds %s, not candles", path, src.Format)
	}
	var last time.Time
	for {
		c, err := src.Candles.Next()
		if errors.Is(err, io.EOF) {
			return last, nil
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("resuming %s: %w", path, err)
		}
		last = c.Start
	}
}

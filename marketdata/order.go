package marketdata

import (
	"errors"
	"fmt"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// ErrOutOfOrder is the cause (wrapped in a ParseError naming the file
// and line) when a tick or candle is earlier than the one before it. A
// backtest fed such a file would trade on a market that never was, so
// readers refuse it unless opened with Unordered.
var ErrOutOfOrder = errors.New("out of time order")

// Unordered lets a file's ticks or candles go back in time: the caller
// takes the records as they come and sorts them itself. Candle gaps are
// then not tracked, since a step between unsorted candles means nothing.
func Unordered() Option { return func(o *options) { o.unordered = true } }

// orderedTicks refuses a tick earlier than the previous one of the same
// file, naming the line it was read from.
type orderedTicks struct {
	src   TickSource
	lines *lineReader
	prev  time.Time
}

func (o *orderedTicks) Next() (exchange.Tick, error) {
	t, err := o.src.Next()
	if err != nil {
		return t, err
	}
	if t.Time.Before(o.prev) {
		return exchange.Tick{}, &ParseError{File: o.lines.name, Line: o.lines.line, Field: "time",
			Err: fmt.Errorf("%w: tick at %s is before the previous tick at %s", ErrOutOfOrder,
				t.Time.UTC().Format(time.RFC3339Nano), o.prev.UTC().Format(time.RFC3339Nano))}
	}
	o.prev = t.Time
	return t, nil
}

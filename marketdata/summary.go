package marketdata

import (
	"errors"
	"io"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// Summary describes what a data file holds, for a command that checks a
// file before a backtest is run on it.
type Summary struct {
	Name    string
	Format  Format
	Trades  int
	Quotes  int
	Candles int
	// Products counts records per product id.
	Products    map[string]int
	First, Last time.Time
	// Interval, Gaps and Widened are those of a candle file.
	Interval time.Duration
	Gaps     []Gap
	Widened  int
	// OutOfOrder counts ticks earlier than the tick before them.
	OutOfOrder int
}

// Summarize reads s to its end and describes it. It stops at the first
// error, which it returns with the summary of what came before.
func Summarize(s *Source) (Summary, error) {
	sum := Summary{Name: s.Name, Format: s.Format, Products: make(map[string]int)}
	var err error
	if s.Ticks != nil {
		err = sum.ticks(s.Ticks)
	} else {
		err = sum.candles(s.Candles)
		sum.Interval, sum.Gaps, sum.Widened = s.Interval(), s.Gaps(), s.Widened()
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return sum, err
}

func (sum *Summary) ticks(src TickSource) error {
	for {
		t, err := src.Next()
		if err != nil {
			return err
		}
		switch t.Kind {
		case exchange.TradeTick:
			sum.Trades++
		case exchange.QuoteTick:
			sum.Quotes++
		}
		sum.Products[t.ProductID]++
		if !sum.Last.IsZero() && t.Time.Before(sum.Last) {
			sum.OutOfOrder++
		}
		sum.see(t.Time)
	}
}

func (sum *Summary) candles(src CandleSource) error {
	for {
		c, err := src.Next()
		if err != nil {
			return err
		}
		sum.Candles++
		sum.Products[c.ProductID]++
		sum.see(c.Start)
	}
}

// see widens First and Last to cover t.
func (sum *Summary) see(t time.Time) {
	if sum.First.IsZero() || t.Before(sum.First) {
		sum.First = t
	}
	if t.After(sum.Last) {
		sum.Last = t
	}
}

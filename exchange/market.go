package exchange

import (
	"time"

	"github.com/shopspring/decimal"
)

// TickKind says what a Tick reports.
type TickKind uint8

// Tick kinds: a trade on the venue, or a change of the best bid and ask.
const (
	TradeTick TickKind = iota + 1
	QuoteTick
)

// Tick is one market event for one product: a trade (Price, Size, and the
// taker's side) or a best bid/ask update (Bid, Ask and their sizes).
// Strategies, exits and the simulated exchange all consume ticks; a
// backtest over candles turns each candle into ticks along a fixed path.
type Tick struct {
	ProductID string
	Kind      TickKind
	// Time is the venue's time of the event; Received is when tradebot got
	// it, on the wall clock (a paced replay stamps the delivery time; an
	// as-fast-as-possible replay leaves it equal to Time, so that backtests
	// are deterministic).
	Time     time.Time
	Received time.Time
	Price    decimal.Decimal
	Size     decimal.Decimal
	// TakerSide is the aggressor of a trade: BUY lifted the ask.
	TakerSide Side
	Bid       decimal.Decimal
	BidSize   decimal.Decimal
	Ask       decimal.Decimal
	AskSize   decimal.Decimal
}

// Candle is an OHLCV bar that starts at Start and lasts Interval.
type Candle struct {
	ProductID string
	Start     time.Time
	Interval  time.Duration
	Open      decimal.Decimal
	High      decimal.Decimal
	Low       decimal.Decimal
	Close     decimal.Decimal
	Volume    decimal.Decimal
}

// End returns the instant the candle closes.
func (c Candle) End() time.Time { return c.Start.Add(c.Interval) }

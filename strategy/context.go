package strategy

import (
	"errors"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Context is what a strategy may know and do during a callback. It is
// only valid during the call.
type Context interface {
	// Now is the engine's clock: market time in a backtest.
	Now() time.Time
	// Log is the instance's logger.
	Log() *slog.Logger
	// Product is the instance's product: the one its orders trade.
	Product() exchange.Product
	// Position is the instance's position and whether an order is working.
	Position() PositionView
	// Balance is the free (available) balance of a currency on the venue.
	Balance(currency string) (decimal.Decimal, error)
	// OpenOrders are the strategy's own working orders, buys and sells
	// (not the exits'), in the order they were placed.
	OpenOrders() []exchange.Order
	// Warm reports whether every bar subscription has its lookback: until
	// then orders are refused with ErrNotWarm.
	Warm() bool
	// Buy sends a buy (an entry) through the risk guard and the executor
	// and returns its client order id. Its fills are protected by the
	// instance's exits.
	Buy(o Order) (string, error)
	// Sell sends a sell of part of the position (a grid's lot) through
	// the risk guard and the executor and returns its client order id:
	// a limit that rests until filled or cancelled, or a market order.
	// It is reduce-only: refused when it asks for more than the
	// instance holds net of its other sells on sale (the zero Size sells
	// all of that). The exits' resting stop shrinks to make room, and the
	// bot watches the stop for the whole position while such a sell
	// rests (docs/EXITS.md, Strategy sells). Its events come to
	// OnOrder; its fill's reason is the round trip's exit reason if it
	// leaves the instance flat.
	Sell(o Order) (string, error)
	// Close sells the whole position at market through the exits,
	// cancelling the strategy's own sells first (on spot they hold the
	// base); reason is the round trip's exit reason. A refused sale is
	// tried again on the next tick.
	Close(reason string) error
	// Cancel cancels one of the strategy's working orders by client order
	// id.
	Cancel(clientOrderID string) error
}

// OrderType is how an order meets the book.
type OrderType uint8

// Order types.
const (
	// Market takes liquidity now (immediate or cancel).
	Market OrderType = iota
	// Limit rests at Price until filled or cancelled (good till
	// cancelled).
	Limit
)

// Order is what a strategy asks to buy or sell.
type Order struct {
	Type OrderType
	// Price is a limit order's price, rounded to the product's increment
	// away from the market (down for a buy, up for a sell).
	Price decimal.Decimal
	// PostOnly refuses a limit order that would take liquidity.
	PostOnly bool
	// Size is how much; the zero Size is the instance's configured size.
	Size Size
	// Reason is what the log and the trade record say.
	Reason string
}

// Size is an order's size: exactly one field, or none for the instance's
// configured size.
type Size struct {
	// Base is in the product's base currency (BTC of BTC-USD).
	Base decimal.Decimal
	// Quote is in the quote currency (USD of BTC-USD).
	Quote decimal.Decimal
	// Equity is a fraction (0.1 = 10 %) of the equity in the quote
	// currency: its balance, available and held, plus the base balance at
	// the last price.
	Equity decimal.Decimal
}

// IsZero reports whether no size is given.
func (s Size) IsZero() bool { return s.Base.IsZero() && s.Quote.IsZero() && s.Equity.IsZero() }

// ErrNotWarm refuses an order while the strategy's bars are short of
// their lookback.
var ErrNotWarm = errors.New("strategy not warm yet: its bars are short of their lookback")

// PositionView is what a strategy may know of its own position.
type PositionView struct {
	Size     decimal.Decimal
	AvgEntry decimal.Decimal
	// Pending is true while an entry or exit order is working, so that a
	// strategy does not ask twice for the same thing.
	Pending bool
	// Dust is true while Size is dust (exchange.Product.Dust at the price
	// the exits would sell at: the best bid, else the last trade; see
	// docs/EXITS.md, Partial fills and dust):
	// more than nothing, less than any order can sell.
	Dust bool
}

// Open reports whether the instance holds a position an order can sell.
// A position of dust is not open: a strategy that enters only when flat
// enters again, and the dust is sold with the position that entry opens
// (docs/EXITS.md, Partial fills and dust).
func (p PositionView) Open() bool { return p.Size.IsPositive() && !p.Dust }

// OrderEventKind says what happened to an order.
type OrderEventKind uint8

// Order event kinds.
const (
	// Filled: the order filled completely (Fill is the last part).
	Filled OrderEventKind = iota + 1
	// PartiallyFilled: a part filled; the order still works.
	PartiallyFilled
	// Refused: the risk guard or the venue refused the order; Reason says
	// why.
	Refused
	// Cancelled: the order ended unfilled or part filled (cancelled,
	// expired, or an immediate-or-cancel order's rest).
	Cancelled
)

// String returns the kind's name.
func (k OrderEventKind) String() string {
	switch k {
	case Filled:
		return "filled"
	case PartiallyFilled:
		return "partially_filled"
	case Refused:
		return "refused"
	case Cancelled:
		return "cancelled"
	}
	return "unknown"
}

// OrderEvent is one event of a strategy's own order.
type OrderEvent struct {
	Kind          OrderEventKind
	ClientOrderID string
	// Order is the venue's view of the order (zero for a refusal before
	// the venue saw it).
	Order exchange.Order
	// Fill is set for Filled and PartiallyFilled.
	Fill *exchange.Fill
	// Reason is a refusal's reason, in words.
	Reason string
}

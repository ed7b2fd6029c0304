package exchange

import (
	"time"

	"github.com/shopspring/decimal"
)

// Side is the side of an order, with Coinbase's spelling.
type Side string

// Order sides.
const (
	Buy  Side = "BUY"
	Sell Side = "SELL"
)

// Opposite returns the other side.
func (s Side) Opposite() Side {
	if s == Buy {
		return Sell
	}
	return Buy
}

// Valid reports whether s is BUY or SELL.
func (s Side) Valid() bool { return s == Buy || s == Sell }

// OrderType is the kind of order; the names follow Coinbase's order_type
// enum so that a venue's value can be kept as it is.
type OrderType string

// Order types tradebot places. A bracket is one sell order that holds a
// take-profit limit and a stop trigger; the first leg to fill cancels the
// other (Coinbase trigger_bracket_gtc).
const (
	Market    OrderType = "MARKET"
	Limit     OrderType = "LIMIT"
	StopLimit OrderType = "STOP_LIMIT"
	Bracket   OrderType = "BRACKET"
	// Unsupported is an order the venue reports in a configuration
	// tradebot cannot express (Coinbase's market_market_fok,
	// twap_limit_gtd, scaled_limit_gtc, ...). Its sizes and prices are
	// unknown, not zero; Order.VenueConfig names it. tradebot never places,
	// adopts, resizes or books such an order: it reports it.
	Unsupported OrderType = "UNSUPPORTED"
)

// TimeInForce says how long an order works, with Coinbase's enum values.
type TimeInForce string

// Times in force.
const (
	GoodTilCancelled  TimeInForce = "GOOD_UNTIL_CANCELLED"
	GoodTilDate       TimeInForce = "GOOD_UNTIL_DATE_TIME"
	ImmediateOrCancel TimeInForce = "IMMEDIATE_OR_CANCEL"
	FillOrKill        TimeInForce = "FILL_OR_KILL"
)

// StopDirection says on which side of the stop price the last trade must
// arrive for a stop order to trigger (Coinbase stop_direction).
type StopDirection string

// Stop directions: a sell stop-loss below the market is STOP_DOWN.
const (
	StopUp   StopDirection = "STOP_DIRECTION_STOP_UP"
	StopDown StopDirection = "STOP_DIRECTION_STOP_DOWN"
)

// OrderStatus is an order's state with Coinbase's values. There is no
// partially-filled status: a partial fill is OPEN with FilledSize > 0.
type OrderStatus string

// Order statuses.
const (
	StatusPending      OrderStatus = "PENDING"
	StatusQueued       OrderStatus = "QUEUED"
	StatusOpen         OrderStatus = "OPEN"
	StatusFilled       OrderStatus = "FILLED"
	StatusCancelQueued OrderStatus = "CANCEL_QUEUED"
	StatusEditQueued   OrderStatus = "EDIT_QUEUED"
	StatusCancelled    OrderStatus = "CANCELLED"
	StatusExpired      OrderStatus = "EXPIRED"
	StatusFailed       OrderStatus = "FAILED"
	StatusUnknown      OrderStatus = "UNKNOWN_ORDER_STATUS"
)

// Terminal reports whether the order can no longer change: filled,
// cancelled, expired or failed.
func (s OrderStatus) Terminal() bool {
	switch s {
	case StatusFilled, StatusCancelled, StatusExpired, StatusFailed:
		return true
	}
	return false
}

// OrderRequest is what tradebot asks a venue to place. Which fields apply
// depends on Type:
//
//   - Market: BaseSize, or QuoteSize for a buy sized in quote currency.
//   - Limit: BaseSize, LimitPrice, PostOnly, TimeInForce.
//   - StopLimit: BaseSize, StopPrice (trigger on last trade), LimitPrice,
//     StopDirection.
//   - Bracket: BaseSize, LimitPrice (take profit), StopPrice (stop trigger).
//
// Attached, when set on a market or limit entry, asks the venue to place a
// bracket for the filled size as soon as the entry fills.
type OrderRequest struct {
	ClientOrderID string
	ProductID     string
	Side          Side
	Type          OrderType
	TimeInForce   TimeInForce
	BaseSize      decimal.Decimal
	QuoteSize     decimal.Decimal
	LimitPrice    decimal.Decimal
	StopPrice     decimal.Decimal
	StopDirection StopDirection
	PostOnly      bool
	EndTime       time.Time
	Attached      *AttachedBracket
}

// AttachedBracket is a take-profit and stop-loss attached to an entry
// (Coinbase attached_order_configuration.trigger_bracket_gtc); it has no
// size of its own and inherits the entry's filled size.
type AttachedBracket struct {
	LimitPrice       decimal.Decimal
	StopTriggerPrice decimal.Decimal
}

// Order is the venue's view of an order at one moment.
type Order struct {
	OrderRequest
	ID                 string
	Status             OrderStatus
	FilledSize         decimal.Decimal
	FilledValue        decimal.Decimal
	AverageFilledPrice decimal.Decimal
	TotalFees          decimal.Decimal
	// NumberOfFills counts the executions so far (Coinbase
	// number_of_fills): more than one for an order filled in parts.
	NumberOfFills int
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Triggered is true once a stop-limit's or bracket's stop has fired.
	Triggered bool
	// RejectReason holds the venue's failure reason for a FAILED order.
	RejectReason string
	// AttachedOrderID names the bracket an attached TP/SL became.
	AttachedOrderID string
	// OriginatingOrderID names the entry an attached bracket came from.
	OriginatingOrderID string
	// VenueConfig is the venue's own name for the order's configuration
	// when Type is Unsupported ("twap_limit_gtd"), for reports and logs.
	VenueConfig string
}

// Remaining returns the base size not yet filled (zero for quote-sized
// orders, whose size is not known in base until they fill).
func (o Order) Remaining() decimal.Decimal {
	if o.BaseSize.IsZero() {
		return decimal.Zero
	}
	return o.BaseSize.Sub(o.FilledSize)
}

// Liquidity says whether a fill added liquidity (maker) or took it (taker).
type Liquidity string

// Liquidity indicators with Coinbase's values.
const (
	Maker Liquidity = "MAKER"
	Taker Liquidity = "TAKER"
)

// Fill is one execution of an order.
type Fill struct {
	TradeID       string
	OrderID       string
	ClientOrderID string
	ProductID     string
	Side          Side
	Price         decimal.Decimal
	Size          decimal.Decimal
	Fee           decimal.Decimal
	Liquidity     Liquidity
	Time          time.Time
}

// Value returns price times size in quote currency, before fees.
func (f Fill) Value() decimal.Decimal { return f.Price.Mul(f.Size) }

// OrderEvent is a change of one order seen from a venue: its new state,
// and the fill that caused the change, if any.
type OrderEvent struct {
	Order Order
	Fill  *Fill
}

// Balance is one currency's funds in the account. Hold is what open orders
// have reserved (an open sell holds base, an open buy holds quote).
type Balance struct {
	Currency  string
	Available decimal.Decimal
	Hold      decimal.Decimal
}

// Total returns available plus held funds.
func (b Balance) Total() decimal.Decimal { return b.Available.Add(b.Hold) }

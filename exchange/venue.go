package exchange

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"
)

// Trader places and manages orders on a venue. Implementations must treat
// ClientOrderID as the idempotency key: placing a request whose
// ClientOrderID is already known returns the existing order and creates
// nothing (Coinbase does the same).
//
// An error that is not a *RejectError leaves the outcome unknown: the
// order may or may not exist. Callers resolve it with OrderByClientID,
// never by placing a new order with a new id (docs/INVARIANTS.md invariant 2).
type Trader interface {
	PlaceOrder(ctx context.Context, req OrderRequest) (Order, error)
	CancelOrder(ctx context.Context, orderID string) error
	OrderByClientID(ctx context.Context, clientOrderID string) (Order, error)
	OpenOrders(ctx context.Context, productID string) ([]Order, error)
}

// Editor is the optional capability of changing a resting order's prices
// in place (Coinbase POST /orders/edit). Venues without it are handled by
// cancel and replace.
type Editor interface {
	EditOrder(ctx context.Context, orderID string, edit OrderEdit) (Order, error)
}

// OrderEdit is the new price and size of a resting order. A zero field
// keeps its current value.
type OrderEdit struct {
	LimitPrice decimal.Decimal
	StopPrice  decimal.Decimal
	BaseSize   decimal.Decimal
}

// Account reports funds and executions.
type Account interface {
	Balances(ctx context.Context) ([]Balance, error)
	// FillsSince returns the fills with Time at or after since, oldest first.
	FillsSince(ctx context.Context, since time.Time) ([]Fill, error)
}

// Catalog tells a product's increments and bounds.
type Catalog interface {
	Product(ctx context.Context, productID string) (Product, error)
}

// Venue is everything the engine needs from an exchange.
type Venue interface {
	Trader
	Account
	Catalog
}

// ErrOrderNotFound is returned when a venue knows no order by that id.
var ErrOrderNotFound = errors.New("order not found")

// ErrOrderDone matches a refused cancel of an order that has already
// ended on the venue (filled, or cancelled before): a race with its last
// events, which are still to come, rather than a failure.
var ErrOrderDone = errors.New("order already ended")

// ErrUnknownProduct is returned for a product the venue does not list.
var ErrUnknownProduct = errors.New("unknown product")

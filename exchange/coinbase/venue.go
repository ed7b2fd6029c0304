package coinbase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// Client implements exchange.Venue and exchange.Editor.
var (
	_ exchange.Venue  = (*Client)(nil)
	_ exchange.Editor = (*Client)(nil)
)

// PlaceOrder places req with POST /orders (see CreateOrder for the retry
// and outcome rules) and returns the order as placed: its id and status
// PENDING; fills arrive through the user channel or FillsSince.
func (c *Client) PlaceOrder(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error) {
	body, err := BuildCreateOrder(req)
	if err != nil {
		return exchange.Order{}, &exchange.RejectError{Reason: exchange.ReasonUnsupportedConfig, Message: err.Error()}
	}
	resp, err := c.CreateOrder(ctx, body)
	if err != nil {
		return exchange.Order{}, err
	}
	return exchange.Order{OrderRequest: req, ID: resp.SuccessResponse.OrderID, Status: exchange.StatusPending, CreatedAt: c.clock.Now()}, nil
}

// CancelOrder asks Coinbase to cancel one order. Cancelling only starts
// the cancellation (the order may show CANCEL_QUEUED); the final state
// arrives on the user channel. A repeated cancel counts as success; an
// unknown order wraps exchange.ErrOrderNotFound; other refusals are a
// *CancelError with the reason (e.g. ORDER_IS_FULLY_FILLED).
func (c *Client) CancelOrder(ctx context.Context, orderID string) error {
	res, err := c.CancelOrders(ctx, orderID)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.OrderID != orderID && len(res) > 1 {
			continue
		}
		switch {
		case r.Success, r.FailureReason == "DUPLICATE_CANCEL_REQUEST":
			return nil
		case r.FailureReason == "UNKNOWN_CANCEL_ORDER":
			return fmt.Errorf("coinbase cancel order %s: %w", orderID, exchange.ErrOrderNotFound)
		default:
			return &CancelError{OrderID: orderID, Reason: r.FailureReason}
		}
	}
	return fmt.Errorf("coinbase cancel order %s: the answer holds no result for it", orderID)
}

// OrderByClientID finds an order by its client order id. Coinbase has no
// lookup by client id. Re-posting the same client_order_id would return
// an existing order, but it would also create the order if the first
// attempt never arrived, which is not a lookup. So this lists the orders
// created within the lookback (Config.ClientIDLookback, default 72h; open
// orders regardless of age), newest first, and matches client_order_id.
// It returns an error wrapping exchange.ErrOrderNotFound when none
// matches. An order accepted a moment ago may not be listed yet; callers
// that just saw an unknown outcome should ask again after a short pause
// before concluding that the order does not exist.
func (c *Client) OrderByClientID(ctx context.Context, clientOrderID string) (exchange.Order, error) {
	if clientOrderID == "" {
		return exchange.Order{}, errors.New("coinbase order by client id: empty client order id")
	}
	var found *Order
	match := func(page []Order) bool {
		for i := range page {
			if page[i].ClientOrderID == clientOrderID {
				found = &page[i]
				return false
			}
		}
		return true
	}
	if err := c.eachOrderPage(ctx, OrderFilter{Statuses: []string{"OPEN"}}, match); err != nil {
		return exchange.Order{}, err
	}
	if found == nil {
		if err := c.eachOrderPage(ctx, OrderFilter{StartDate: c.clock.Now().Add(-c.lookback)}, match); err != nil {
			return exchange.Order{}, err
		}
	}
	if found == nil {
		return exchange.Order{}, fmt.Errorf("coinbase client order id %s: %w", clientOrderID, exchange.ErrOrderNotFound)
	}
	return ToOrder(*found), nil
}

// OpenOrders returns the orders of a product (or of all products when
// productID is "") that can still trade: OPEN ones (with an edit or
// cancel pending among them) and QUEUED ones.
func (c *Client) OpenOrders(ctx context.Context, productID string) ([]exchange.Order, error) {
	// OPEN cannot be combined with another status in one listing, and an
	// order accepted but not yet on the book is QUEUED, not OPEN: it
	// holds funds and will trade, so it is asked for too. QUEUED is asked
	// first: an order can only go from QUEUED to OPEN, so one that moves
	// between the two listings is in the second; asked the other way
	// round, it would be in neither.
	list := func(status string) ([]Order, error) {
		f := OrderFilter{Statuses: []string{status}}
		if productID != "" {
			f.ProductIDs = []string{productID}
		}
		return c.ListOrders(ctx, f)
	}
	queued, err := list("QUEUED")
	if err != nil {
		return nil, err
	}
	open, err := list("OPEN")
	if err != nil {
		return nil, err
	}
	out := make([]exchange.Order, 0, len(open)+len(queued))
	seen := make(map[string]bool, len(open))
	for _, o := range open {
		seen[o.OrderID] = true
		out = append(out, ToOrder(o))
	}
	for _, o := range queued {
		if !seen[o.OrderID] { // listed OPEN since: that view is the newer
			out = append(out, ToOrder(o))
		}
	}
	return out, nil
}

// Order returns one order by its Coinbase id.
func (c *Client) Order(ctx context.Context, orderID string) (exchange.Order, error) {
	o, err := c.GetOrder(ctx, orderID)
	if err != nil {
		return exchange.Order{}, err
	}
	return ToOrder(o), nil
}

// EditOrder changes a resting limit order's price or size in place and
// returns its state after the edit. A zero field keeps its value; Coinbase
// requires both price and size, so the current ones are read first.
func (c *Client) EditOrder(ctx context.Context, orderID string, edit exchange.OrderEdit) (exchange.Order, error) {
	cur, err := c.GetOrder(ctx, orderID)
	if err != nil {
		return exchange.Order{}, err
	}
	o := ToOrder(cur)
	req := EditOrderRequest{OrderID: orderID, Price: D(o.LimitPrice), Size: D(o.BaseSize)}
	if edit.LimitPrice.IsPositive() {
		req.Price = D(edit.LimitPrice)
	}
	if edit.BaseSize.IsPositive() {
		req.Size = D(edit.BaseSize)
	}
	if edit.StopPrice.IsPositive() {
		req.StopPrice = D(edit.StopPrice)
	}
	if _, err := c.EditOrderRaw(ctx, req); err != nil {
		return exchange.Order{}, err
	}
	return c.Order(ctx, orderID)
}

// Balances returns every account's balance.
func (c *Client) Balances(ctx context.Context) ([]exchange.Balance, error) {
	accts, err := c.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]exchange.Balance, 0, len(accts))
	for _, a := range accts {
		out = append(out, ToBalance(a))
	}
	return out, nil
}

// FillsSince returns the fills at or after since, oldest first.
func (c *Client) FillsSince(ctx context.Context, since time.Time) ([]exchange.Fill, error) {
	raw, err := c.ListFills(ctx, FillFilter{Start: since})
	if err != nil {
		return nil, err
	}
	out := make([]exchange.Fill, 0, len(raw))
	for _, f := range raw {
		ef := ToFill(f)
		if !ef.Time.Before(since) {
			out = append(out, ef)
		}
	}
	slices.SortStableFunc(out, func(a, b exchange.Fill) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// Product returns a product's increments and bounds; an id Coinbase does
// not list wraps exchange.ErrUnknownProduct.
func (c *Client) Product(ctx context.Context, productID string) (exchange.Product, error) {
	p, err := c.GetProduct(ctx, productID)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == 404 || ae.Status == 400) {
			return exchange.Product{}, fmt.Errorf("coinbase product %s: %w: %w", productID, exchange.ErrUnknownProduct, err)
		}
		return exchange.Product{}, err
	}
	return ToProduct(p), nil
}

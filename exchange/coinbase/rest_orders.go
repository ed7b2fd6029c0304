package coinbase

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// CreateOrder sends POST /orders. The request is retried on 429, 5xx and
// transport errors with the identical body, so with the same
// client_order_id, which Coinbase treats as the idempotency key: a repeat
// returns the existing order and creates nothing. Outcomes:
//
//   - success: the response, nil.
//   - a business reject (HTTP 200, success false) or HTTP 400: a
//     *exchange.RejectError with Coinbase's failure reason; no order exists.
//   - a timeout, transport error, 5xx or undecodable 200 after the last
//     attempt: an error wrapping ErrOutcomeUnknown; the order may exist.
//   - anything else (401, 403, 429 after the last attempt): an *APIError.
func (c *Client) CreateOrder(ctx context.Context, req CreateOrderRequest) (CreateOrderResponse, error) {
	if req.ClientOrderID == "" {
		// Without the key a retry could place the order twice.
		return CreateOrderResponse{}, errors.New("coinbase create order: client_order_id is required")
	}
	var out CreateOrderResponse
	err := c.call(ctx, epCreateOrder, "POST", "/orders", nil, req, &out)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == 400 {
			return out, &exchange.RejectError{Reason: orDefault(ae.Code, exchange.ReasonInvalidRequest), Message: ae.Message}
		}
		return out, err
	}
	if !out.Success {
		return out, rejectFromCreate(out)
	}
	if out.SuccessResponse == nil || out.SuccessResponse.OrderID == "" {
		if out.OrderID == "" {
			return out, fmt.Errorf("%w: coinbase create order %s: success without an order id", ErrOutcomeUnknown, req.ClientOrderID)
		}
		out.SuccessResponse = &CreateOrderSuccess{OrderID: out.OrderID, ProductID: req.ProductID, Side: req.Side, ClientOrderID: req.ClientOrderID}
	}
	return out, nil
}

// rejectFromCreate picks the most specific failure reason Coinbase gave:
// error_response.error, then new_order_failure_reason, then the preview
// reason, then the legacy top-level failure_reason.
func rejectFromCreate(r CreateOrderResponse) *exchange.RejectError {
	var reason, msg string
	if e := r.ErrorResponse; e != nil {
		for _, s := range []string{e.Error, e.NewOrderFailureReason, e.PreviewFailureReason} {
			if s != "" && !strings.HasPrefix(s, "UNKNOWN_") {
				reason = s
				break
			}
		}
		msg = orDefault(e.Message, e.ErrorDetails)
	}
	if reason == "" && r.FailureReason != "" && !strings.HasPrefix(r.FailureReason, "UNKNOWN_") {
		reason = r.FailureReason
	}
	if reason == "" {
		reason = "UNKNOWN_FAILURE_REASON"
	}
	return &exchange.RejectError{Reason: reason, Message: msg}
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// PreviewOrder sends POST /orders/preview. A preview has no side effect.
func (c *Client) PreviewOrder(ctx context.Context, req CreateOrderRequest) (PreviewOrderResponse, error) {
	req.ClientOrderID = ""
	var out PreviewOrderResponse
	return out, c.call(ctx, epPreviewOrder, "POST", "/orders/preview", nil, req, &out)
}

// CancelOrders sends POST /orders/batch_cancel. It is retried like a read:
// cancelling is idempotent in effect (a second cancel of the same order
// answers with a failure reason such as DUPLICATE_CANCEL_REQUEST or
// UNKNOWN_CANCEL_ORDER and changes nothing), and a cancel that is not
// repeated after a lost answer would leave an order working that the bot
// meant to stop.
func (c *Client) CancelOrders(ctx context.Context, orderIDs ...string) ([]CancelResult, error) {
	if len(orderIDs) == 0 {
		return nil, nil
	}
	var out CancelOrdersResponse
	if err := c.call(ctx, epCancelOrders, "POST", "/orders/batch_cancel", nil, CancelOrdersRequest{OrderIDs: orderIDs}, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// EditOrderRaw sends POST /orders/edit. It is retried only on 429: an edit
// races with fills, and repeating one after an unknown outcome could
// re-apply a size the order has since filled past. A refused edit is a
// *exchange.RejectError with the edit failure reason.
func (c *Client) EditOrderRaw(ctx context.Context, req EditOrderRequest) (EditOrderResponse, error) {
	var out EditOrderResponse
	if err := c.call(ctx, epEditOrder, "POST", "/orders/edit", nil, req, &out); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == 400 {
			return out, &exchange.RejectError{Reason: orDefault(ae.Code, exchange.ReasonInvalidRequest), Message: ae.Message}
		}
		return out, err
	}
	if !out.Success {
		reason := "UNKNOWN_EDIT_ORDER_FAILURE_REASON"
		for _, e := range out.Errors {
			if e.EditFailureReason != "" && !strings.HasPrefix(e.EditFailureReason, "UNKNOWN_") {
				reason = e.EditFailureReason
				break
			}
			if e.PreviewFailureReason != "" && !strings.HasPrefix(e.PreviewFailureReason, "UNKNOWN_") {
				reason = e.PreviewFailureReason
				break
			}
		}
		return out, &exchange.RejectError{Reason: reason, Message: "edit of order " + req.OrderID + " refused"}
	}
	return out, nil
}

// GetOrder returns GET /orders/historical/{id}; an unknown id returns an
// error wrapping exchange.ErrOrderNotFound.
func (c *Client) GetOrder(ctx context.Context, orderID string) (Order, error) {
	if orderID == "" {
		return Order{}, errors.New("coinbase get order: empty order id")
	}
	var out GetOrderResponse
	if err := c.call(ctx, epGetOrder, "GET", "/orders/historical/"+url.PathEscape(orderID), nil, nil, &out); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == 404 || (ae.Status == 400 && strings.Contains(strings.ToLower(ae.Message), "orderid"))) {
			return Order{}, fmt.Errorf("coinbase order %s: %w: %w", orderID, exchange.ErrOrderNotFound, err)
		}
		return Order{}, err
	}
	return out.Order, nil
}

// OrderFilter selects orders for ListOrders; zero fields do not filter.
type OrderFilter struct {
	ProductIDs []string
	// Statuses such as "OPEN"; Coinbase refuses OPEN combined with others.
	Statuses  []string
	StartDate time.Time
	EndDate   time.Time
	// PageSize is the limit per request (default 250).
	PageSize int
}

func (f OrderFilter) query() url.Values {
	q := url.Values{}
	for _, p := range f.ProductIDs {
		q.Add("product_ids", p)
	}
	for _, s := range f.Statuses {
		q.Add("order_status", s)
	}
	if !f.StartDate.IsZero() {
		q.Set("start_date", f.StartDate.UTC().Format(time.RFC3339))
	}
	if !f.EndDate.IsZero() {
		q.Set("end_date", f.EndDate.UTC().Format(time.RFC3339))
	}
	q.Set("limit", strconv.Itoa(cmpOr(f.PageSize, 250)))
	return q
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// ListOrders returns every order the filter selects, paging by cursor.
func (c *Client) ListOrders(ctx context.Context, f OrderFilter) ([]Order, error) {
	var all []Order
	err := c.eachOrderPage(ctx, f, func(page []Order) bool {
		all = append(all, page...)
		return true
	})
	return all, err
}

// eachOrderPage calls fn with each page until fn returns false or the
// pages end.
func (c *Client) eachOrderPage(ctx context.Context, f OrderFilter, fn func([]Order) bool) error {
	cursor := ""
	for page := 0; page < maxPages; page++ {
		q := f.query()
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var out ListOrdersResponse
		if err := c.call(ctx, epListOrders, "GET", "/orders/historical/batch", q, nil, &out); err != nil {
			return err
		}
		if !fn(out.Orders) || !out.HasNext {
			return nil
		}
		if out.Cursor == "" || out.Cursor == cursor {
			return fmt.Errorf("coinbase GET /orders/historical/batch: has_next with cursor %q after page %d", out.Cursor, page+1)
		}
		cursor = out.Cursor
	}
	return fmt.Errorf("coinbase GET /orders/historical/batch: more than %d pages", maxPages)
}

// FillFilter selects fills for ListFills; zero fields do not filter.
type FillFilter struct {
	OrderIDs   []string
	ProductIDs []string
	Start, End time.Time
	PageSize   int
}

// ListFills returns every fill the filter selects, paging by cursor until
// the cursor is empty.
func (c *Client) ListFills(ctx context.Context, f FillFilter) ([]Fill, error) {
	var all []Fill
	cursor := ""
	for page := 0; page < maxPages; page++ {
		q := url.Values{}
		for _, id := range f.OrderIDs {
			q.Add("order_ids", id)
		}
		for _, p := range f.ProductIDs {
			q.Add("product_ids", p)
		}
		if !f.Start.IsZero() {
			q.Set("start_sequence_timestamp", f.Start.UTC().Format(time.RFC3339Nano))
		}
		if !f.End.IsZero() {
			q.Set("end_sequence_timestamp", f.End.UTC().Format(time.RFC3339Nano))
		}
		q.Set("limit", strconv.Itoa(cmpOr(f.PageSize, 250)))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var out ListFillsResponse
		if err := c.call(ctx, epListFills, "GET", "/orders/historical/fills", q, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Fills...)
		if out.Cursor == "" || len(out.Fills) == 0 {
			return all, nil
		}
		if out.Cursor == cursor {
			return nil, fmt.Errorf("coinbase GET /orders/historical/fills: cursor %q repeated after page %d", cursor, page+1)
		}
		cursor = out.Cursor
	}
	return nil, fmt.Errorf("coinbase GET /orders/historical/fills: more than %d pages", maxPages)
}

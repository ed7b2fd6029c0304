package sim

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Edit failure reasons with Coinbase's values (EditOrderFailureReason, and
// PreviewFailureReason where the edit fails a placement rule).
const (
	EditOrderNotFound        = "ORDER_NOT_FOUND"
	EditOnlyLimitOrders      = "ONLY_LIMIT_ORDER_EDITS_SUPPORTED"
	EditOnlyOpenOrders       = "ONLY_OPEN_ORDERS_CAN_BE_EDITED"
	EditBelowFilledSize      = "CANNOT_EDIT_TO_BELOW_FILLED_SIZE"
	EditInvalidSize          = "INVALID_EDITED_SIZE"
	EditInvalidPrice         = "INVALID_EDITED_PRICE"
	EditEqualToOriginal      = "EDIT_REQUEST_EQUAL_TO_ORIGINAL_REQUEST"
	EditInsufficientFund     = "PREVIEW_INSUFFICIENT_FUND"
	EditPostOnlyWouldCross   = "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY"
	EditStopAboveLastTrade   = "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE"
	EditStopBelowLastTrade   = "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE"
	EditBaseSizeTooSmall     = "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL"
	EditBaseSizeTooLarge     = "PREVIEW_INVALID_BASE_SIZE_TOO_LARGE"
	EditQuoteSizeTooSmall    = "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"
	EditQuoteSizeTooLarge    = "PREVIEW_INVALID_QUOTE_SIZE_TOO_LARGE"
	CancelOrderIsFullyFilled = "ORDER_IS_FULLY_FILLED"
	CancelDuplicateRequest   = "DUPLICATE_CANCEL_REQUEST"
	CancelNotAllowedToCancel = "NOT_ALLOWED_TO_CANCEL"
)

// EditError is a refused edit with Coinbase's failure reason. The order is
// unchanged. For ORDER_NOT_FOUND it matches exchange.ErrOrderNotFound with
// errors.Is.
type EditError struct {
	OrderID string
	Reason  string
	Message string
}

// Error tells the order, the reason and what was wrong.
func (e *EditError) Error() string {
	return fmt.Sprintf("edit order %q: %s: %s", e.OrderID, e.Reason, e.Message)
}

// Unwrap lets errors.Is(err, exchange.ErrOrderNotFound) see a missing
// order.
func (e *EditError) Unwrap() error {
	if e.Reason == EditOrderNotFound {
		return exchange.ErrOrderNotFound
	}
	return nil
}

// CancelError is a refused cancel of an order that is no longer open, with
// Coinbase's cancel failure reason. An unknown order id gives an error
// wrapping exchange.ErrOrderNotFound instead (Coinbase's
// UNKNOWN_CANCEL_ORDER).
type CancelError struct {
	OrderID string
	Status  exchange.OrderStatus
	Reason  string
}

// Error tells the order, the reason and the order's status.
func (e *CancelError) Error() string {
	return fmt.Sprintf("cancel order %q: %s (status %s)", e.OrderID, e.Reason, e.Status)
}

// Is makes a cancel refused because the order already ended match
// exchange.ErrOrderDone.
func (e *CancelError) Is(target error) bool {
	return target == exchange.ErrOrderDone && (e.Reason == CancelOrderIsFullyFilled || e.Reason == CancelDuplicateRequest)
}

// CancelOrder cancels an open order and releases what it holds. An unknown
// id gives an error wrapping exchange.ErrOrderNotFound; an order that is
// already filled, cancelled or expired gives a *CancelError.
func (x *Exchange) CancelOrder(ctx context.Context, orderID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cancel order %q: %w", orderID, err)
	}
	x.mu.Lock()
	err := x.cancel(orderID)
	x.unlock()
	return err
}

func (x *Exchange) cancel(orderID string) error {
	o := x.byID[orderID]
	if o == nil {
		return fmt.Errorf("cancel order %q: %w", orderID, exchange.ErrOrderNotFound)
	}
	switch o.Status {
	case exchange.StatusOpen:
		x.end(x.books[o.ProductID], o, exchange.StatusCancelled)
		return nil
	case exchange.StatusQueued:
		b := x.books[o.ProductID]
		b.dequeue(o)
		x.end(b, o, exchange.StatusCancelled)
		return nil
	case exchange.StatusFilled:
		return &CancelError{OrderID: orderID, Status: o.Status, Reason: CancelOrderIsFullyFilled}
	case exchange.StatusCancelled:
		return &CancelError{OrderID: orderID, Status: o.Status, Reason: CancelDuplicateRequest}
	default:
		return &CancelError{OrderID: orderID, Status: o.Status, Reason: CancelNotAllowedToCancel}
	}
}

// EditOrder changes a resting order in place, as Coinbase's /orders/edit
// does: the limit price and size of an open good-til-cancelled limit, or
// the stop and limit prices and size of a stop-limit or bracket whose
// stop has not triggered. A zero field of edit keeps the current value.
// The hold follows the new price and size; an edited limit that has become
// marketable takes liquidity at once. The order loses its queue priority.
// A refusal is a *EditError with Coinbase's reason. With
// Config.EditQueueFor the edit is checked and accepted but applied only
// later: the returned order is EDIT_QUEUED, still on its old terms, and a
// second edit meanwhile is refused (ORDER_IS_ALREADY_BEING_REPLACED).
func (x *Exchange) EditOrder(ctx context.Context, orderID string, edit exchange.OrderEdit) (exchange.Order, error) {
	if err := ctx.Err(); err != nil {
		return exchange.Order{}, fmt.Errorf("edit order %q: %w", orderID, err)
	}
	x.mu.Lock()
	out, err := x.edit(orderID, edit)
	x.unlock()
	return out, err
}

func (x *Exchange) edit(orderID string, edit exchange.OrderEdit) (exchange.Order, error) {
	for _, v := range []decimal.Decimal{edit.BaseSize, edit.LimitPrice, edit.StopPrice} {
		if !sane(v) {
			return exchange.Order{}, &EditError{OrderID: orderID, Reason: EditInvalidPrice,
				Message: fmt.Sprintf("a value has exponent %d, beyond ±%d", v.Exponent(), maxScale)}
		}
	}
	o := x.byID[orderID]
	if o == nil {
		return exchange.Order{}, &EditError{OrderID: orderID, Reason: EditOrderNotFound, Message: "no such order"}
	}
	if o.editing != nil && o.Status == exchange.StatusOpen {
		return exchange.Order{}, &EditError{OrderID: orderID, Reason: EditAlreadyQueued, Message: "an earlier edit is still queued"}
	}
	b := x.books[o.ProductID]
	if x.editQueueFor > 0 {
		if _, _, _, err := x.checkEdit(b, o, edit); err != nil {
			return exchange.Order{}, err
		}
		x.queueEdit(b, o, edit)
		return o.snapshot(), nil
	}
	if err := x.applyEdit(b, o, edit); err != nil {
		return exchange.Order{}, err
	}
	return o.snapshot(), nil
}

// applyEdit checks edit against o as it is now and, if it passes,
// applies it: o leaves the book, its hold follows the new terms, and it
// is placed again with them.
func (x *Exchange) applyEdit(b *book, o *order, edit exchange.OrderEdit) error {
	req, cur, amount, err := x.checkEdit(b, o, edit)
	if err != nil {
		return err
	}
	b.unlink(o)
	x.releaseHold(o)
	x.putHold(o, cur, amount)
	o.OrderRequest = req
	o.want, o.taking = req.BaseSize, false
	o.UpdatedAt = x.clk.Now()
	x.emit(o, nil)
	if o.Type == exchange.Limit {
		x.activate(b, o, b.norm(req.LimitPrice))
	} else {
		x.arm(b, o)
	}
	return nil
}

// editRefusal is Coinbase's edit failure reason for an edited order that
// exchange.Product.Validate refuses with err. A size or price the edit
// cannot take as written (off its increment) is the edit's own
// INVALID_EDITED_SIZE or INVALID_EDITED_PRICE. An order out of the
// product's bounds, by its base size or by its worth at its limit price,
// fails the placement rules the edit is previewed by: the preview's
// reason (PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL, ...), as an edit beyond
// the funds or across the market with post-only is answered. Coinbase's
// edit reasons name no bound, and its edit answer carries the preview's.
func editRefusal(err error) string {
	var rej *exchange.RejectError
	if !errors.As(err, &rej) {
		return EditInvalidPrice
	}
	switch rej.Reason {
	case exchange.ReasonInvalidSizePrecision:
		return EditInvalidSize
	case exchange.ReasonBaseSizeTooSmall:
		return EditBaseSizeTooSmall
	case exchange.ReasonBaseSizeTooLarge:
		return EditBaseSizeTooLarge
	case exchange.ReasonQuoteSizeTooSmall:
		return EditQuoteSizeTooSmall
	case exchange.ReasonQuoteSizeTooLarge:
		return EditQuoteSizeTooLarge
	}
	return EditInvalidPrice
}

// checkEdit applies Coinbase's edit rules to edit of o: it returns the
// order's new request and the hold it needs, or a *EditError.
func (x *Exchange) checkEdit(b *book, o *order, edit exchange.OrderEdit) (req exchange.OrderRequest, cur string, amount decimal.Decimal, err error) {
	fail := func(reason, format string, args ...any) (exchange.OrderRequest, string, decimal.Decimal, error) {
		return req, "", amount, &EditError{OrderID: o.ID, Reason: reason, Message: fmt.Sprintf(format, args...)}
	}
	if o.Status != exchange.StatusOpen {
		return fail(EditOnlyOpenOrders, "order is %s", o.Status)
	}
	switch {
	case o.Type == exchange.Limit && o.TimeInForce != exchange.GoodTilCancelled:
		return fail(EditOnlyLimitOrders, "only good-til-cancelled limit orders can be edited, not %s", o.TimeInForce)
	case o.Type == exchange.Limit && !edit.StopPrice.IsZero():
		return fail(EditInvalidPrice, "a limit order has no stop price")
	case o.Type == exchange.StopLimit || o.Type == exchange.Bracket:
		if o.Triggered {
			return fail(EditOnlyLimitOrders, "the stop of this %s order has triggered", o.Type)
		}
	case o.Type != exchange.Limit:
		return fail(EditOnlyLimitOrders, "%s orders cannot be edited", o.Type)
	}
	if edit.BaseSize.IsNegative() {
		return fail(EditInvalidSize, "size %s is negative", edit.BaseSize)
	}
	if edit.LimitPrice.IsNegative() || edit.StopPrice.IsNegative() {
		return fail(EditInvalidPrice, "price %s / stop %s is negative", edit.LimitPrice, edit.StopPrice)
	}
	req = o.OrderRequest
	if !edit.BaseSize.IsZero() {
		req.BaseSize = edit.BaseSize
	}
	if !edit.LimitPrice.IsZero() {
		req.LimitPrice = edit.LimitPrice
	}
	if !edit.StopPrice.IsZero() {
		req.StopPrice = edit.StopPrice
	}
	if req.BaseSize.LessThan(o.FilledSize) || (o.FilledSize.IsPositive() && req.BaseSize.Equal(o.FilledSize)) {
		return fail(EditBelowFilledSize, "size %s is below the filled %s", req.BaseSize, o.FilledSize)
	}
	if req.BaseSize.Equal(o.BaseSize) && req.LimitPrice.Equal(o.LimitPrice) && req.StopPrice.Equal(o.StopPrice) {
		return fail(EditEqualToOriginal, "nothing changes")
	}
	if err := b.product.Validate(req); err != nil {
		return fail(editRefusal(err), "%v", err)
	}
	if o.Type != exchange.Limit && !req.StopPrice.Equal(o.StopPrice) {
		dir := o.StopDirection
		if o.Type == exchange.Bracket {
			dir = exchange.StopDown
		}
		if err := b.checkStop(dir, req.StopPrice); err != nil {
			reason := EditStopAboveLastTrade
			if dir == exchange.StopUp {
				reason = EditStopBelowLastTrade
			}
			return fail(reason, "%v", err)
		}
	}
	if o.Type == exchange.Limit && (o.PostOnly || b.product.PostOnly) && b.marketable(o.Side, req.LimitPrice) {
		return fail(EditPostOnlyWouldCross, "post-only %s limit %s would take liquidity", o.Side, req.LimitPrice)
	}
	cur, amount = x.holdFor(b.product, o.Side, req.LimitPrice, req.BaseSize.Sub(o.FilledSize))
	if avail := x.bal(cur).available.Add(o.hold); avail.LessThan(amount) {
		return fail(EditInsufficientFund, "needs %s %s, available %s", amount, cur, avail)
	}
	return req, cur, amount, nil
}

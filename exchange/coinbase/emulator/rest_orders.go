package emulator

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exchange/sim"
)

// Paging bounds of the order and fill listings.
const (
	maxListLimit  = 1000
	maxCancelIDs  = 100
	noEditFailure = "UNKNOWN_EDIT_ORDER_FAILURE_REASON"
	noPreviewFail = "UNKNOWN_PREVIEW_FAILURE_REASON"
)

// previewReason is the PreviewFailureReason that goes with a new-order
// failure reason.
func previewReason(reason string) string {
	if strings.HasPrefix(reason, "PREVIEW_") {
		return reason
	}
	return "PREVIEW_" + reason
}

// createReply is coinbase.CreateOrderResponse with the legacy top-level
// order_id always present, "" on a reject, as the real answer has it.
type createReply struct {
	Success            bool                         `json:"success"`
	FailureReason      string                       `json:"failure_reason"`
	OrderID            string                       `json:"order_id"`
	SuccessResponse    *coinbase.CreateOrderSuccess `json:"success_response,omitempty"`
	ErrorResponse      *coinbase.CreateOrderError   `json:"error_response,omitempty"`
	OrderConfiguration *coinbase.OrderConfiguration `json:"order_configuration,omitempty"`
}

// createOrder serves POST /orders. Business rejects are HTTP 200 with
// success false; a repeated client_order_id answers with the order that
// already carries it and creates nothing (the sim guarantees it).
func (e *Emulator) createOrder(w http.ResponseWriter, r *http.Request, _ Key) {
	var req coinbase.CreateOrderRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.ClientOrderID == "" {
		badRequest(w, "client_order_id is required")
		return
	}
	if !saneDecimals(req) {
		badRequest(w, "order_configuration: a number is out of range")
		return
	}
	e.stats.create(req.ClientOrderID)
	cfg := req.OrderConfiguration
	fail := func(rej *exchange.RejectError) {
		writeJSON(w, http.StatusOK, createReply{Success: false, FailureReason: "UNKNOWN_FAILURE_REASON",
			ErrorResponse: &coinbase.CreateOrderError{Error: rej.Reason, Message: rej.Message,
				PreviewFailureReason: previewReason(rej.Reason)},
			OrderConfiguration: &cfg})
	}
	er, rej := toRequest(req)
	if rej != nil {
		fail(rej)
		return
	}
	o, err := e.sim.PlaceOrder(r.Context(), er)
	if err != nil {
		if errors.As(err, &rej) {
			fail(rej)
			return
		}
		writeError(w, http.StatusInternalServerError, "INTERNAL", "order placement failed")
		return
	}
	if e.faults.takeLoseCreate() {
		e.dropResponse(w)
		return
	}
	writeJSON(w, http.StatusOK, createReply{Success: true, FailureReason: "UNKNOWN_FAILURE_REASON", OrderID: o.ID,
		SuccessResponse:    &coinbase.CreateOrderSuccess{OrderID: o.ID, ProductID: o.ProductID, Side: string(o.Side), ClientOrderID: o.ClientOrderID},
		OrderConfiguration: &cfg})
}

// dropResponse closes the client's connection without an answer.
func (e *Emulator) dropResponse(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// previewOrder serves POST /orders/preview: the checks of a create, and
// the estimate, without placing anything.
func (e *Emulator) previewOrder(w http.ResponseWriter, r *http.Request, _ Key) {
	var req coinbase.CreateOrderRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !saneDecimals(req) {
		badRequest(w, "order_configuration: a number is out of range")
		return
	}
	out := coinbase.PreviewOrderResponse{Errs: []string{}, Warning: []string{}, PreviewID: newUUID()}
	er, rej := toRequest(req)
	var p exchange.Product
	if rej == nil {
		var err error
		if p, err = e.sim.Product(r.Context(), er.ProductID); err != nil {
			rej = &exchange.RejectError{Reason: exchange.ReasonInvalidProductID}
		} else if err := p.Validate(er); err != nil {
			errors.As(err, &rej)
		}
	}
	if rej != nil {
		out.Errs = append(out.Errs, previewReason(rej.Reason))
		writeJSON(w, http.StatusOK, out)
		return
	}
	bid, ask := e.sim.Quote(er.ProductID)
	last := e.sim.LastTrade(er.ProductID)
	price := er.LimitPrice
	if er.Type == exchange.Market {
		// Where a create takes it and checks its worth.
		price = e.sim.TakePrice(er.ProductID, er.Side)
	}
	base := er.BaseSize
	if base.IsZero() && price.IsPositive() {
		base = er.QuoteSize.Div(price).Round(8)
	}
	quote := base.Mul(price)
	commission := quote.Mul(e.fees.Taker)
	out.BestBid, out.BestAsk = coinbase.D(bid), coinbase.D(ask)
	out.BaseSize, out.QuoteSize = coinbase.D(base), coinbase.D(quote)
	out.CommissionTotal, out.EstAverageFilledPrice = coinbase.D(commission), coinbase.D(price)
	out.OrderTotal = coinbase.D(quote.Add(commission))
	if er.Side == exchange.Sell {
		out.OrderTotal = coinbase.D(quote.Sub(commission))
	}
	if er.Type == exchange.Market && !price.IsPositive() {
		out.Errs = append(out.Errs, "PREVIEW_INVALID_NO_LIQUIDITY")
	}
	if er.Type == exchange.Market && er.BaseSize.IsPositive() && price.IsPositive() {
		// A market order sized in base is worth its size at the price it
		// would take, bounded by quote_min_size and quote_max_size as a
		// create checks it.
		if err := p.CheckBounds(er.BaseSize, price); err != nil {
			var rej *exchange.RejectError
			if errors.As(err, &rej) {
				out.Errs = append(out.Errs, previewReason(rej.Reason))
			}
		}
	}
	if er.Type == exchange.StopLimit && last.IsPositive() {
		if er.StopDirection == exchange.StopDown && last.LessThanOrEqual(er.StopPrice) {
			out.Errs = append(out.Errs, "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE")
		}
		if er.StopDirection == exchange.StopUp && last.GreaterThanOrEqual(er.StopPrice) {
			out.Errs = append(out.Errs, "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE")
		}
	}
	if !e.enoughFunds(er, quote.Add(commission), base) {
		out.Errs = append(out.Errs, "PREVIEW_INSUFFICIENT_FUND")
	}
	writeJSON(w, http.StatusOK, out)
}

// enoughFunds reports whether the account holds what the order would
// spend: quote for a buy, base for a sell.
func (e *Emulator) enoughFunds(r exchange.OrderRequest, quote, base decimal.Decimal) bool {
	p, err := e.sim.Product(context.Background(), r.ProductID)
	if err != nil {
		return false
	}
	cur, need := p.QuoteCurrency, quote
	if r.Side == exchange.Sell {
		cur, need = p.BaseCurrency, base
	}
	bals, _ := e.sim.Balances(context.Background())
	for _, b := range bals {
		if b.Currency == cur {
			return b.Available.GreaterThanOrEqual(need)
		}
	}
	return !need.IsPositive()
}

// cancelOrders serves POST /orders/batch_cancel.
func (e *Emulator) cancelOrders(w http.ResponseWriter, r *http.Request, _ Key) {
	var req coinbase.CancelOrdersRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.OrderIDs) == 0 || len(req.OrderIDs) > maxCancelIDs {
		badRequest(w, fmt.Sprintf("order_ids must hold 1 to %d ids, got %d", maxCancelIDs, len(req.OrderIDs)))
		return
	}
	out := coinbase.CancelOrdersResponse{Results: make([]coinbase.CancelResult, 0, len(req.OrderIDs))}
	for _, id := range req.OrderIDs {
		res := coinbase.CancelResult{Success: true, FailureReason: "UNKNOWN_CANCEL_FAILURE_REASON", OrderID: id}
		if reason := e.cancel(r.Context(), id); reason != "" {
			res.Success, res.FailureReason = false, reason
		}
		out.Results = append(out.Results, res)
	}
	writeJSON(w, http.StatusOK, out)
}

// editOrder serves POST /orders/edit: a new price and size (and stop) for
// a resting order, kept in its edit_history.
func (e *Emulator) editOrder(w http.ResponseWriter, r *http.Request, _ Key) {
	var req coinbase.EditOrderRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.OrderID == "" {
		badRequest(w, "order_id is required")
		return
	}
	if !saneDecimals(req) {
		badRequest(w, "price, size or stop_price is out of range")
		return
	}
	o, err := e.sim.EditOrder(r.Context(), req.OrderID, exchange.OrderEdit{LimitPrice: req.Price.Decimal, BaseSize: req.Size.Decimal, StopPrice: req.StopPrice.Decimal})
	if err != nil {
		writeJSON(w, http.StatusOK, coinbase.EditOrderResponse{Success: false, Errors: []coinbase.EditError{editFailure(err)}})
		return
	}
	price, size := o.LimitPrice, o.BaseSize
	if o.Status == exchange.StatusEditQueued {
		// Accepted, not applied yet: the history keeps what was asked (a
		// field left out keeps the order's, as the edit does).
		if !req.Price.Decimal.IsZero() {
			price = req.Price.Decimal
		}
		if !req.Size.Decimal.IsZero() {
			size = req.Size.Decimal
		}
	}
	e.mu.Lock()
	e.edits[o.ID] = append(e.edits[o.ID], editRecord{price: price, size: size, at: e.clk.Now()})
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, coinbase.EditOrderResponse{Success: true, Errors: []coinbase.EditError{{EditFailureReason: noEditFailure, PreviewFailureReason: noPreviewFail}}})
}

func editFailure(err error) coinbase.EditError {
	out := coinbase.EditError{EditFailureReason: noEditFailure, PreviewFailureReason: noPreviewFail}
	var ee *sim.EditError
	if !errors.As(err, &ee) {
		out.EditFailureReason = "COMMANDER_REJECTED_EDIT_ORDER"
		return out
	}
	if strings.HasPrefix(ee.Reason, "PREVIEW_") {
		out.PreviewFailureReason = ee.Reason
	} else {
		out.EditFailureReason = ee.Reason
	}
	return out
}

// editPreview serves POST /orders/edit_preview: whether the order could
// be edited now, and what the edited order would come to at the current
// quote (Coinbase's documented fields); it changes nothing.
func (e *Emulator) editPreview(w http.ResponseWriter, r *http.Request, _ Key) {
	var req coinbase.EditOrderRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !saneDecimals(req) {
		badRequest(w, "price, size or stop_price is out of range")
		return
	}
	out := coinbase.EditPreviewResponse{Errors: []coinbase.EditError{}}
	fail := func(reason string) {
		out.Errors = append(out.Errors, coinbase.EditError{EditFailureReason: reason, PreviewFailureReason: noPreviewFail})
	}
	o, err := e.sim.Order(req.OrderID)
	switch {
	case err != nil:
		fail(sim.EditOrderNotFound)
	case o.Status == exchange.StatusEditQueued:
		fail(sim.EditAlreadyQueued)
	case o.Status != exchange.StatusOpen:
		fail(sim.EditOnlyOpenOrders)
	case o.Type == exchange.Limit && o.TimeInForce != exchange.GoodTilCancelled, o.Type == exchange.Market,
		(o.Type == exchange.StopLimit || o.Type == exchange.Bracket) && o.Triggered:
		fail(sim.EditOnlyLimitOrders)
	}
	size, price := o.BaseSize, o.LimitPrice
	if req.Size.IsPositive() {
		size = req.Size.Decimal
	}
	if req.Price.IsPositive() {
		price = req.Price.Decimal
	}
	if err == nil && (size.LessThan(o.FilledSize) || (o.FilledSize.IsPositive() && size.Equal(o.FilledSize))) {
		fail(sim.EditBelowFilledSize)
	}
	if err == nil {
		// Out of the product's bounds at its limit price: the preview's
		// reason, as the edit answers it (sim.EditQuoteSizeTooSmall, ...).
		if p, perr := e.sim.Product(r.Context(), o.ProductID); perr == nil {
			var rej *exchange.RejectError
			if errors.As(p.CheckBounds(size, price), &rej) {
				out.Errors = append(out.Errors, coinbase.EditError{EditFailureReason: noEditFailure, PreviewFailureReason: previewReason(rej.Reason)})
			}
		}
	}
	bid, ask := e.sim.Quote(o.ProductID)
	quote := size.Mul(price)
	commission := quote.Mul(e.fees.Taker)
	total := quote.Add(commission)
	if o.Side == exchange.Sell {
		total = quote.Sub(commission)
	}
	out.Slippage, out.QuoteSize, out.BaseSize = coinbase.D(decimal.Zero), coinbase.D(quote), coinbase.D(size)
	out.CommissionTotal, out.OrderTotal = coinbase.D(commission), coinbase.D(total)
	out.BestBid, out.BestAsk, out.AverageFilledPrice = coinbase.D(bid), coinbase.D(ask), coinbase.D(o.AverageFilledPrice)
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) getOrder(w http.ResponseWriter, r *http.Request, _ Key) {
	o, err := e.sim.Order(r.PathValue("order_id"))
	if err != nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "order with this orderID was not found")
		return
	}
	writeJSON(w, http.StatusOK, coinbase.GetOrderResponse{Order: e.restOrder(o)})
}

// pageStart reads an offset cursor.
func pageStart(r *http.Request) (int, bool) {
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return 0, true
	}
	n, err := strconv.Atoi(c)
	return n, err == nil && n >= 0
}

func queryTime(r *http.Request, name string) (time.Time, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// listOrders serves GET /orders/historical/batch: newest first, filtered,
// paged by an offset cursor. OPEN cannot be combined with other statuses,
// and dates do not apply to a listing of OPEN orders (API.md 2.9). OPEN
// lists the orders on the book, whatever edit or cancel is pending on
// them; QUEUED ones, not on the book yet, are listed under QUEUED.
func (e *Emulator) listOrders(w http.ResponseWriter, r *http.Request, _ Key) {
	q := r.URL.Query()
	statuses := q["order_status"]
	if slices.Contains(statuses, "OPEN") && len(statuses) > 1 {
		badRequest(w, "OPEN cannot be combined with other order_status values")
		return
	}
	limit, ok1 := queryLimit(r, 100, maxListLimit)
	from, ok2 := pageStart(r)
	start, ok3 := queryTime(r, "start_date")
	end, ok4 := queryTime(r, "end_date")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		badRequest(w, "limit, cursor, start_date or end_date is malformed")
		return
	}
	openOnly := len(statuses) == 1 && statuses[0] == "OPEN"
	keep := func(o exchange.Order) bool {
		switch {
		case len(q["order_ids"]) > 0 && !slices.Contains(q["order_ids"], o.ID),
			len(q["product_ids"]) > 0 && !slices.Contains(q["product_ids"], o.ProductID),
			len(statuses) > 0 && !e.statusIn(o, statuses),
			len(q["order_types"]) > 0 && !slices.Contains(q["order_types"], string(o.Type)),
			len(q["time_in_forces"]) > 0 && !slices.Contains(q["time_in_forces"], string(o.TimeInForce)),
			q.Get("order_side") != "" && q.Get("order_side") != string(o.Side):
			return false
		}
		if openOnly {
			return true
		}
		return (start.IsZero() || !o.CreatedAt.Before(start)) && (end.IsZero() || o.CreatedAt.Before(end))
	}
	all := e.sim.Orders()
	var sel []exchange.Order
	for i := len(all) - 1; i >= 0; i-- {
		if keep(all[i]) {
			sel = append(sel, all[i])
		}
	}
	out := coinbase.ListOrdersResponse{Orders: []coinbase.Order{}}
	for i := from; i < len(sel) && len(out.Orders) < limit; i++ {
		o := e.restOrder(sel[i])
		o.Cursor = strconv.Itoa(i + 1)
		out.Orders = append(out.Orders, o)
	}
	if next := from + len(out.Orders); next < len(sel) {
		out.HasNext, out.Cursor = true, strconv.Itoa(next)
	}
	writeJSON(w, http.StatusOK, out)
}

// statusIn reports whether o is listed under one of statuses: OPEN takes
// the orders on the book (OPEN, EDIT_QUEUED, CANCEL_QUEUED, PENDING),
// any other status the orders that show it.
func (e *Emulator) statusIn(o exchange.Order, statuses []string) bool {
	shown, _ := e.status(o)
	for _, s := range statuses {
		if s == string(shown) || (s == "OPEN" && (o.Status == exchange.StatusOpen || o.Status == exchange.StatusEditQueued)) {
			return true
		}
	}
	return false
}

// listFills serves GET /orders/historical/fills: newest first, filtered,
// paged by an offset cursor that is empty on the last page.
func (e *Emulator) listFills(w http.ResponseWriter, r *http.Request, _ Key) {
	q := r.URL.Query()
	limit, ok1 := queryLimit(r, 100, maxListLimit)
	from, ok2 := pageStart(r)
	start, ok3 := queryTime(r, "start_sequence_timestamp")
	end, ok4 := queryTime(r, "end_sequence_timestamp")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		badRequest(w, "limit, cursor, start_sequence_timestamp or end_sequence_timestamp is malformed")
		return
	}
	all := e.sim.Fills()
	var sel []exchange.Fill
	for i := len(all) - 1; i >= 0; i-- {
		f := all[i]
		switch {
		case len(q["order_ids"]) > 0 && !slices.Contains(q["order_ids"], f.OrderID),
			len(q["trade_ids"]) > 0 && !slices.Contains(q["trade_ids"], f.TradeID),
			len(q["product_ids"]) > 0 && !slices.Contains(q["product_ids"], f.ProductID),
			q.Get("order_side") != "" && q.Get("order_side") != string(f.Side),
			!start.IsZero() && f.Time.Before(start),
			!end.IsZero() && !f.Time.Before(end):
			continue
		}
		sel = append(sel, f)
	}
	quoteSized := map[string]bool{}
	for _, o := range e.sim.Orders() {
		if o.QuoteSize.IsPositive() {
			quoteSized[o.ID] = true
		}
	}
	out := coinbase.ListFillsResponse{Fills: []coinbase.Fill{}}
	for i := from; i < len(sel) && len(out.Fills) < limit; i++ {
		out.Fills = append(out.Fills, restFill(sel[i], quoteSized[sel[i].OrderID]))
	}
	if next := from + len(out.Fills); next < len(sel) {
		out.Cursor = strconv.Itoa(next)
	}
	writeJSON(w, http.StatusOK, out)
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuidString(b)
}

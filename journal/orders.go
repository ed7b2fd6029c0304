package journal

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// StatusInFlight is the journal's status for an order whose request has
// been decided and may have been sent, but whose outcome the venue has not
// told yet. It is not a venue status: the venue's answer replaces it.
const StatusInFlight exchange.OrderStatus = "IN_FLIGHT"

// OrderRecord is one order as the journal knows it: who placed it and
// why, the request, and the latest state the venue reported.
type OrderRecord struct {
	Instance string
	Strategy string
	Purpose  exchange.Purpose
	// Reason is why the order was sent: for an exit the rule that sent it
	// (stop_loss, take_profit, ...; for a bracket its stop leg's, a
	// bracket filled untriggered being a take-profit) or the strategy's
	// own reason for its sell or Close, for an entry the strategy's
	// reason. Recovery ends a round trip with it when the exit's fill is
	// learnt from the venue. Empty for an order journaled before schema
	// version 4, which did not keep it.
	Reason string
	// Order holds the request (Order.OrderRequest, with its ClientOrderID)
	// and the venue's latest view; Status is StatusInFlight until the
	// venue answers.
	Order exchange.Order
	// IntentAt is when the order was decided: RecordIntent takes it from
	// the caller (the engine's clock), or from the journal's clock when
	// zero. ChangedAt is when the journal last recorded a change.
	IntentAt  time.Time
	ChangedAt time.Time
}

func isOpen(s exchange.OrderStatus) bool { return !s.Terminal() }

// StatusChange is one entry of an order's status history.
type StatusChange struct {
	Status             exchange.OrderStatus
	VenueOrderID       string
	FilledSize         decimal.Decimal
	AverageFilledPrice decimal.Decimal
	TotalFees          decimal.Decimal
	Triggered          bool
	RejectReason       string
	// VenueTime is the venue's UpdatedAt; RecordedAt is the journal's time.
	VenueTime  time.Time
	RecordedAt time.Time
}

// Errors the order methods wrap.
var (
	// ErrDuplicateOrder: an intent with this client order id is already
	// recorded. A retry of the same order must not record it again.
	ErrDuplicateOrder = errors.New("client order id already recorded")
	// ErrNotFound: the journal has no such order.
	ErrNotFound = errors.New("not found in the journal")
	// ErrInUse: another process has the journal open for writing.
	ErrInUse = errors.New("the journal is in use by another process (a running daemon holds it)")
)

const orderColumns = `client_order_id, instance, strategy, purpose, request, venue_order_id, status,
	filled_size, filled_value, average_filled_price, total_fees, triggered, reject_reason,
	attached_order_id, originating_order_id, venue_created_ns, venue_updated_ns, intent_ns, changed_ns, reason`

// RecordIntent records an order before its request is sent: the
// write-ahead intent. It returns once the record is on stable storage
// (synchronous=FULL), so that an order that reached the venue is known
// after any crash, power loss included. The record's status is
// StatusInFlight unless o.Order.Status is set, which adopts an order the
// venue already has (found during reconciliation, or a bracket the venue
// created from an attached TP/SL).
func (j *Journal) RecordIntent(o OrderRecord) error {
	return j.RecordIntents(o)
}

// RecordIntents records several intents in one durable commit (one fsync
// for all), for a tick that decides more than one order. Either all are
// recorded or none; a duplicate client order id fails the whole call.
func (j *Journal) RecordIntents(recs ...OrderRecord) error {
	rows := make([]intentRow, len(recs))
	for i, o := range recs {
		r, err := j.intentRow(o)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	run := j.batch
	if len(rows) == 1 {
		run = j.single
	}
	return run(j.writer(), func(b *Batch) error {
		for _, r := range rows {
			if err := b.insertIntent(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordIntent records an intent as part of the batch, with the batch's
// durability (synchronous=NORMAL): only for a journal opened with
// Options.RelaxedIntents, whose intents need no more, and refused on any
// other, where an intent must be durable before its request leaves
// (Journal.RecordIntent). A duplicate client order id gives
// ErrDuplicateOrder and leaves the rest of the batch alone.
func (b *Batch) RecordIntent(o OrderRecord) error {
	if b.j.full != nil {
		return b.errorf("record intent %s in a batch: the journal keeps intents durable (not opened with RelaxedIntents)",
			o.Order.ClientOrderID)
	}
	r, err := b.j.intentRow(o)
	if err != nil {
		return err
	}
	return b.insertIntent(r)
}

// intentRow is an intent checked and ready to insert: the record with its
// defaults filled in and its request encoded.
type intentRow struct {
	rec OrderRecord
	doc string
}

// intentRow checks o and encodes its request.
func (j *Journal) intentRow(o OrderRecord) (intentRow, error) {
	id := o.Order.ClientOrderID
	switch {
	case id == "":
		return intentRow{}, fmt.Errorf("journal %s: record intent: empty client order id", j.path)
	case o.Purpose != exchange.Entry && o.Purpose != exchange.Exit:
		return intentRow{}, fmt.Errorf("journal %s: record intent %s: purpose %q is neither %q nor %q", j.path, id, o.Purpose, exchange.Entry, exchange.Exit)
	case o.Instance == "":
		return intentRow{}, fmt.Errorf("journal %s: record intent %s: empty instance", j.path, id)
	}
	doc, err := encodeRequest(o.Order.OrderRequest)
	if err != nil {
		return intentRow{}, fmt.Errorf("journal %s: record intent %s: %w", j.path, id, err)
	}
	if o.Order.Status == "" {
		o.Order.Status = StatusInFlight
	}
	if o.IntentAt.IsZero() {
		o.IntentAt = j.now()
	}
	return intentRow{o, string(doc)}, nil
}

// insertIntent inserts one checked intent.
func (b *Batch) insertIntent(r intentRow) error {
	o, ord := r.rec, r.rec.Order
	_, err := b.stmt(b.j.stmts.insertOrder).ExecContext(b.ctx, ord.ClientOrderID, o.Instance, o.Strategy, o.Purpose.String(),
		ord.ProductID, string(ord.Side), r.doc, ord.ID, string(ord.Status), isOpen(ord.Status),
		ord.FilledSize.String(), ord.FilledValue.String(), ord.AverageFilledPrice.String(), ord.TotalFees.String(),
		ord.Triggered, ord.RejectReason, ord.AttachedOrderID, ord.OriginatingOrderID,
		nanos(ord.CreatedAt), nanos(ord.UpdatedAt), o.IntentAt.UnixNano(), b.now, o.Reason)
	if isDuplicateKey(err) {
		err = ErrDuplicateOrder
	}
	if err != nil {
		return b.errorf("record intent %s: %w", ord.ClientOrderID, err)
	}
	return nil
}

// UpdateOrder records the venue's latest view of an order; see
// Batch.UpdateOrder.
func (j *Journal) UpdateOrder(clientOrderID string, ord exchange.Order) error {
	return j.Batch(func(b *Batch) error { return b.UpdateOrder(clientOrderID, ord) })
}

// UpdateOrder records the venue's latest view of an order and appends it
// to the status history when something changed (status, venue id, filled
// size, fees, trigger, reject reason); a repeated identical view writes
// nothing. A view that would move a finished order (filled, cancelled,
// expired, failed) back to an open status is a late message and is
// ignored; a view with a smaller filled size than recorded keeps the
// recorded fill numbers (what was filled stays filled) and applies the
// rest. An order the journal does not know gives ErrNotFound: adopt it
// with RecordIntent first.
func (b *Batch) UpdateOrder(clientOrderID string, ord exchange.Order) error {
	if ord.Status == "" {
		return b.errorf("update order %s: empty status", clientOrderID)
	}
	var cur struct {
		status, venueID, filled, value, avg, fees, reason string
		triggered                                         bool
	}
	err := b.stmt(b.j.stmts.orderState).QueryRowContext(b.ctx, clientOrderID).
		Scan(&cur.status, &cur.venueID, &cur.filled, &cur.value, &cur.avg, &cur.fees, &cur.triggered, &cur.reason)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return b.errorf("update order %s: %w", clientOrderID, err)
	}
	d := decoder{what: fmt.Sprintf("order %q", clientOrderID)}
	curFilled := d.dec("filled_size", cur.filled)
	if d.err != nil {
		return b.errorf("update order %s: %w", clientOrderID, d.err)
	}
	if exchange.OrderStatus(cur.status).Terminal() && !ord.Status.Terminal() {
		return nil
	}
	if ord.FilledSize.LessThan(curFilled) {
		// A late message, or one that carries only a status (a cancel
		// acknowledgement): what was filled stays filled.
		ord.FilledSize = curFilled
		ord.FilledValue = d.dec("filled_value", cur.value)
		ord.AverageFilledPrice = d.dec("average_filled_price", cur.avg)
		ord.TotalFees = d.dec("total_fees", cur.fees)
		if d.err != nil {
			return b.errorf("update order %s: %w", clientOrderID, d.err)
		}
	}
	venueID := ord.ID
	if venueID == "" {
		venueID = cur.venueID
	}
	if cur.status == string(ord.Status) && cur.venueID == venueID && curFilled.Equal(ord.FilledSize) &&
		cur.fees == ord.TotalFees.String() && cur.triggered == ord.Triggered && cur.reason == ord.RejectReason {
		return nil
	}
	if _, err := b.stmt(b.j.stmts.updateOrder).ExecContext(b.ctx,
		venueID, string(ord.Status), isOpen(ord.Status), ord.FilledSize.String(), ord.FilledValue.String(),
		ord.AverageFilledPrice.String(), ord.TotalFees.String(), ord.Triggered, ord.RejectReason,
		ord.AttachedOrderID, ord.OriginatingOrderID, nanos(ord.CreatedAt), nanos(ord.UpdatedAt), b.now,
		clientOrderID); err != nil {
		return b.errorf("update order %s: %w", clientOrderID, err)
	}
	if _, err := b.stmt(b.j.stmts.insertEvent).ExecContext(b.ctx,
		clientOrderID, string(ord.Status), venueID, ord.FilledSize.String(), ord.AverageFilledPrice.String(),
		ord.TotalFees.String(), ord.Triggered, ord.RejectReason, nanos(ord.UpdatedAt), b.now); err != nil {
		return b.errorf("update order %s: %w", clientOrderID, err)
	}
	return nil
}

// RestingTerms are the terms of a resting order that change while it
// rests, by edits in place (same ids): its base size, its limit and stop
// prices, and for an exit the rule it rests for (trailing or break-even
// moves a stop up).
type RestingTerms struct {
	BaseSize, LimitPrice, StopPrice decimal.Decimal
	// Reason is left as recorded when empty.
	Reason string
}

// sqlUpdateTerms rewrites an order's size and prices inside its stored
// request and its reason, and only when one differs: a save that repeats
// the terms recorded writes nothing.
const sqlUpdateTerms = `UPDATE orders SET
		request = json_set(request, '$.base_size', ?1, '$.limit_price', ?2, '$.stop_price', ?3),
		reason = coalesce(nullif(?4, ''), reason), changed_ns = ?5
	WHERE client_order_id = ?6 AND (json_extract(request, '$.base_size') IS NOT ?1
		OR json_extract(request, '$.limit_price') IS NOT ?2 OR json_extract(request, '$.stop_price') IS NOT ?3
		OR (?4 <> '' AND reason IS NOT ?4))`

// UpdateTerms records the terms a resting stop-limit or bracket has now
// that the venue has applied an edit of it (an exit resized after a
// partial take-profit or an added entry, or moved up): they replace the
// base size, limit and stop price of its recorded request and its reason,
// so that the journal holds the order as it rests, not as it was first
// asked for, and a restarted daemon reads the size it really has on the
// venue. The size and both prices must be positive (a stop-limit and a
// bracket have all three). Terms already recorded, and an order the
// journal does not know (its intent not written yet), write nothing.
func (b *Batch) UpdateTerms(clientOrderID string, t RestingTerms) error {
	if !t.BaseSize.IsPositive() || !t.LimitPrice.IsPositive() || !t.StopPrice.IsPositive() {
		return b.errorf("update terms of order %s: size %s, limit %s and stop %s must all be positive",
			clientOrderID, t.BaseSize, t.LimitPrice, t.StopPrice)
	}
	if _, err := b.exec(sqlUpdateTerms, t.BaseSize.String(), t.LimitPrice.String(), t.StopPrice.String(), t.Reason,
		b.now, clientOrderID); err != nil {
		return b.errorf("update terms of order %s: %w", clientOrderID, err)
	}
	return nil
}

// InFlight returns the orders whose outcome is unknown or that are still
// open, oldest intent first. A restarted daemon resolves each with the
// venue by client order id before it places anything new.
func (j *Journal) InFlight() ([]OrderRecord, error) {
	return j.Orders(OrderFilter{OpenOnly: true})
}

// OrderFilter selects orders. Zero fields do not filter.
type OrderFilter struct {
	Instance  string
	ProductID string
	// Since and Until bound the intent time: Since <= IntentAt < Until.
	Since, Until time.Time
	// OpenOnly keeps the orders InFlight would return.
	OpenOnly bool
	// Limit keeps only the newest Limit orders (still returned oldest
	// first).
	Limit int
}

// Orders returns the orders that match f, oldest intent first.
func (j *Journal) Orders(f OrderFilter) ([]OrderRecord, error) {
	var where []string
	var args []any
	if f.Instance != "" {
		where, args = append(where, "instance = ?"), append(args, f.Instance)
	}
	if f.ProductID != "" {
		where, args = append(where, "product_id = ?"), append(args, f.ProductID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "intent_ns >= ?"), append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "intent_ns < ?"), append(args, f.Until.UnixNano())
	}
	if f.OpenOnly {
		where = append(where, "open = 1")
	}
	q := "SELECT " + orderColumns + " FROM orders"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY intent_ns DESC, rowid DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := j.normal.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal %s: orders: %w", j.path, err)
	}
	defer rows.Close()
	var out []OrderRecord
	for rows.Next() {
		r, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("journal %s: orders: %w", j.path, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: orders: %w", j.path, err)
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out, nil
}

// Order returns the order with the given client order id, or an error
// wrapping ErrNotFound.
func (j *Journal) Order(clientOrderID string) (OrderRecord, error) {
	r, err := scanOrder(j.normal.QueryRow("SELECT "+orderColumns+" FROM orders WHERE client_order_id = ?", clientOrderID))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return OrderRecord{}, fmt.Errorf("journal %s: order %s: %w", j.path, clientOrderID, err)
	}
	return r, nil
}

// OrderByVenueID returns the order the venue knows by orderID (fills and
// some venue messages carry only that id), or an error wrapping
// ErrNotFound.
func (j *Journal) OrderByVenueID(orderID string) (OrderRecord, error) {
	if orderID == "" {
		return OrderRecord{}, fmt.Errorf("journal %s: order by venue id: empty id: %w", j.path, ErrNotFound)
	}
	r, err := scanOrder(j.normal.QueryRow("SELECT "+orderColumns+" FROM orders WHERE venue_order_id = ?", orderID))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return OrderRecord{}, fmt.Errorf("journal %s: order with venue id %s: %w", j.path, orderID, err)
	}
	return r, nil
}

// OrderHistory returns an order's recorded status changes, oldest first.
// The intent itself is the order's IntentAt and is not repeated here.
func (j *Journal) OrderHistory(clientOrderID string) ([]StatusChange, error) {
	rows, err := j.normal.Query(`SELECT status, venue_order_id, filled_size, average_filled_price, total_fees,
		triggered, reject_reason, venue_ns, recorded_ns FROM order_events WHERE client_order_id = ? ORDER BY id`, clientOrderID)
	if err != nil {
		return nil, fmt.Errorf("journal %s: history of order %s: %w", j.path, clientOrderID, err)
	}
	defer rows.Close()
	var out []StatusChange
	for rows.Next() {
		var (
			c                 StatusChange
			filled, avg, fees string
			venue             sql.NullInt64
			recorded          int64
		)
		if err := rows.Scan(&c.Status, &c.VenueOrderID, &filled, &avg, &fees,
			&c.Triggered, &c.RejectReason, &venue, &recorded); err != nil {
			return nil, fmt.Errorf("journal %s: history of order %s: %w", j.path, clientOrderID, err)
		}
		d := decoder{what: fmt.Sprintf("history of order %q", clientOrderID)}
		c.FilledSize = d.dec("filled_size", filled)
		c.AverageFilledPrice = d.dec("average_filled_price", avg)
		c.TotalFees = d.dec("total_fees", fees)
		if d.err != nil {
			return nil, fmt.Errorf("journal %s: %w", j.path, d.err)
		}
		c.VenueTime = fromNanos(venue)
		c.RecordedAt = time.Unix(0, recorded).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: history of order %s: %w", j.path, clientOrderID, err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanOrder(s scanner) (OrderRecord, error) {
	var (
		r                            OrderRecord
		id, purpose, request, status string
		filled, value, avg, fees     string
		venueCreated, venueUpdated   sql.NullInt64
		intent, changed              int64
	)
	err := s.Scan(&id, &r.Instance, &r.Strategy, &purpose, &request, &r.Order.ID, &status,
		&filled, &value, &avg, &fees, &r.Order.Triggered, &r.Order.RejectReason,
		&r.Order.AttachedOrderID, &r.Order.OriginatingOrderID, &venueCreated, &venueUpdated, &intent, &changed, &r.Reason)
	if err != nil {
		return OrderRecord{}, err
	}
	req, err := decodeRequest([]byte(request))
	if err != nil {
		return OrderRecord{}, fmt.Errorf("order %q column request: %w", id, err)
	}
	if req.ClientOrderID != id {
		return OrderRecord{}, fmt.Errorf("order %q column request: holds client order id %q", id, req.ClientOrderID)
	}
	if r.Purpose, err = exchange.ParsePurpose(purpose); err != nil {
		return OrderRecord{}, fmt.Errorf("order %q column purpose: %w", id, err)
	}
	d := decoder{what: fmt.Sprintf("order %q", id)}
	r.Order.OrderRequest = req
	r.Order.Status = exchange.OrderStatus(status)
	r.Order.FilledSize = d.dec("filled_size", filled)
	r.Order.FilledValue = d.dec("filled_value", value)
	r.Order.AverageFilledPrice = d.dec("average_filled_price", avg)
	r.Order.TotalFees = d.dec("total_fees", fees)
	r.Order.CreatedAt = fromNanos(venueCreated)
	r.Order.UpdatedAt = fromNanos(venueUpdated)
	r.IntentAt = time.Unix(0, intent).UTC()
	r.ChangedAt = time.Unix(0, changed).UTC()
	return r, d.err
}

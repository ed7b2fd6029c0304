package journal

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// FillRecord is a fill with the strategy instance it belongs to.
type FillRecord struct {
	Instance string
	exchange.Fill
	RecordedAt time.Time
}

// RecordFill records a fill for an instance once; see Batch.RecordFill.
func (j *Journal) RecordFill(instance string, f exchange.Fill) (isNew bool, err error) {
	err = j.single(j.normal, func(b *Batch) error {
		isNew, err = b.RecordFill(instance, f)
		return err
	})
	return isNew, err
}

// RecordFill records a fill for an instance once. The same fill (same
// product and trade id) recorded again, from the user channel and then
// from the REST fills a restart reads, is a no-op and reports isNew false,
// so position and PnL code applies each fill exactly once when it applies
// only the new ones. So is a derived fill whose part of its order the
// journal already holds (derivedFillCovered).
func (b *Batch) RecordFill(instance string, f exchange.Fill) (isNew bool, err error) {
	if f.TradeID == "" || f.ProductID == "" {
		return false, b.errorf("record fill for %s: trade id %q and product %q must both be set", instance, f.TradeID, f.ProductID)
	}
	if covered, err := b.derivedFillCovered(f); err != nil || covered {
		return false, err
	}
	res, err := b.stmt(b.j.stmts.insertFill).ExecContext(b.ctx, f.ProductID, f.TradeID, instance, f.OrderID,
		f.ClientOrderID, string(f.Side), f.Price.String(), f.Size.String(), f.Fee.String(), string(f.Liquidity),
		nanos(f.Time), b.now)
	if err != nil {
		return false, b.errorf("record fill %s/%s: %w", f.ProductID, f.TradeID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, b.errorf("record fill %s/%s: %w", f.ProductID, f.TradeID, err)
	}
	return n == 1, nil
}

const fillColumns = `instance, product_id, trade_id, order_id, client_order_id, side, price, size, fee,
	liquidity, time_ns, recorded_ns`

// Fills returns the fills whose venue time is at or after since, oldest
// first (a zero since returns all).
func (j *Journal) Fills(since time.Time) ([]FillRecord, error) {
	q := "SELECT " + fillColumns + " FROM fills"
	var args []any
	if !since.IsZero() {
		q += " WHERE time_ns >= ?"
		args = append(args, since.UnixNano())
	}
	q += " ORDER BY time_ns, rowid"
	rows, err := j.normal.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal %s: fills: %w", j.path, err)
	}
	out, err := scanFills(rows)
	if err != nil {
		return nil, fmt.Errorf("journal %s: fills: %w", j.path, err)
	}
	return out, nil
}

// OrderFills returns the fills of the order with venue order id orderID,
// in the order they were recorded. Every fill names its order's venue id
// (the venue's own fills, and those tradebot derives from an order's
// state), and a venue id names one order, so these are exactly the
// order's fills, whatever client order id they carry: Coinbase's list of
// fills names none.
func (j *Journal) OrderFills(orderID string) ([]FillRecord, error) {
	if orderID == "" {
		return nil, nil
	}
	rows, err := j.stmts.orderFills.Query(orderID)
	if err != nil {
		return nil, fmt.Errorf("journal %s: fills of order %s: %w", j.path, orderID, err)
	}
	out, err := scanFills(rows)
	if err != nil {
		return nil, fmt.Errorf("journal %s: fills of order %s: %w", j.path, orderID, err)
	}
	return out, nil
}

// scanFills reads rows of fillColumns and closes them.
func scanFills(rows *sql.Rows) ([]FillRecord, error) {
	defer rows.Close()
	var out []FillRecord
	for rows.Next() {
		var (
			r                FillRecord
			side, liq        string
			price, size, fee string
			venueTime        sql.NullInt64
			recorded         int64
		)
		if err := rows.Scan(&r.Instance, &r.ProductID, &r.TradeID, &r.OrderID, &r.ClientOrderID, &side,
			&price, &size, &fee, &liq, &venueTime, &recorded); err != nil {
			return nil, err
		}
		d := decoder{what: fmt.Sprintf("fill %s/%s", r.ProductID, r.TradeID)}
		r.Side = exchange.Side(side)
		r.Liquidity = exchange.Liquidity(liq)
		r.Price = d.dec("price", price)
		r.Size = d.dec("size", size)
		r.Fee = d.dec("fee", fee)
		r.Time = fromNanos(venueTime)
		r.RecordedAt = time.Unix(0, recorded).UTC()
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastFillTime returns the venue time of the newest recorded fill, or the
// zero time when there is none. A restarted daemon asks the venue for
// fills since then (exchange.Account.FillsSince) and records them; the
// ones it already has are no-ops.
func (j *Journal) LastFillTime() (time.Time, error) {
	var n sql.NullInt64
	if err := j.normal.QueryRow("SELECT MAX(time_ns) FROM fills").Scan(&n); err != nil {
		return time.Time{}, fmt.Errorf("journal %s: last fill time: %w", j.path, err)
	}
	return fromNanos(n), nil
}

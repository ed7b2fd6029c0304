package journal

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// RoundTrip is a closed trade: a position opened and closed again, with
// its result. It mirrors the position package's round trip; the caller
// converts.
type RoundTrip struct {
	// Key identifies the round trip (for example the instance and the
	// entry's client order id); recording the same key twice is a no-op,
	// so a restart that recomputes a round trip does not double it.
	Key       string
	Instance  string
	ProductID string
	// Side is the entry's side: BUY for a long.
	Side        exchange.Side
	Size        decimal.Decimal
	EntryPrice  decimal.Decimal
	ExitPrice   decimal.Decimal
	Fees        decimal.Decimal
	RealizedPnL decimal.Decimal // after fees
	// ExitReason names what closed it (stop_loss, take_profit, ...).
	ExitReason string
	EntryTime  time.Time
	ExitTime   time.Time
}

// RecordRoundTrip records a closed round trip once; see
// Batch.RecordRoundTrip.
func (j *Journal) RecordRoundTrip(rt RoundTrip) (isNew bool, err error) {
	err = j.single(j.normal, func(b *Batch) error {
		isNew, err = b.RecordRoundTrip(rt)
		return err
	})
	return isNew, err
}

// RecordRoundTrip records a closed round trip once; isNew is false when
// one with the same Key was recorded before.
func (b *Batch) RecordRoundTrip(rt RoundTrip) (isNew bool, err error) {
	if rt.Key == "" {
		return false, b.errorf("record round trip of %s %s: empty key", rt.Instance, rt.ProductID)
	}
	res, err := b.exec(sqlInsertRoundTrip,
		rt.Key, rt.Instance, rt.ProductID, string(rt.Side), rt.Size.String(), rt.EntryPrice.String(),
		rt.ExitPrice.String(), rt.Fees.String(), rt.RealizedPnL.String(), rt.ExitReason,
		nanos(rt.EntryTime), nanos(rt.ExitTime))
	if err != nil {
		return false, b.errorf("record round trip %s: %w", rt.Key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, b.errorf("record round trip %s: %w", rt.Key, err)
	}
	return n == 1, nil
}

// RoundTripFilter selects round trips. Zero fields do not filter.
type RoundTripFilter struct {
	Instance  string
	ProductID string
	// Since and Until bound the exit time: Since <= ExitTime < Until.
	Since, Until time.Time
	// Limit keeps only the newest Limit round trips (still returned
	// oldest first).
	Limit int
}

// RoundTrips returns the round trips that match f, oldest exit first.
func (j *Journal) RoundTrips(f RoundTripFilter) ([]RoundTrip, error) {
	var where []string
	var args []any
	if f.Instance != "" {
		where, args = append(where, "instance = ?"), append(args, f.Instance)
	}
	if f.ProductID != "" {
		where, args = append(where, "product_id = ?"), append(args, f.ProductID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "exit_ns >= ?"), append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "exit_ns < ?"), append(args, f.Until.UnixNano())
	}
	q := `SELECT key, instance, product_id, side, size, entry_price, exit_price, fees, realized_pnl,
		exit_reason, entry_ns, exit_ns FROM round_trips`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY exit_ns DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := j.normal.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal %s: round trips: %w", j.path, err)
	}
	defer rows.Close()
	var out []RoundTrip
	for rows.Next() {
		var (
			rt                           RoundTrip
			side                         string
			size, entry, exit, fees, pnl string
			entryNs, exitNs              sql.NullInt64
		)
		if err := rows.Scan(&rt.Key, &rt.Instance, &rt.ProductID, &side, &size, &entry, &exit, &fees, &pnl,
			&rt.ExitReason, &entryNs, &exitNs); err != nil {
			return nil, fmt.Errorf("journal %s: round trips: %w", j.path, err)
		}
		d := decoder{what: fmt.Sprintf("round trip %q", rt.Key)}
		rt.Side = exchange.Side(side)
		rt.Size = d.dec("size", size)
		rt.EntryPrice = d.dec("entry_price", entry)
		rt.ExitPrice = d.dec("exit_price", exit)
		rt.Fees = d.dec("fees", fees)
		rt.RealizedPnL = d.dec("realized_pnl", pnl)
		rt.EntryTime = fromNanos(entryNs)
		rt.ExitTime = fromNanos(exitNs)
		if d.err != nil {
			return nil, fmt.Errorf("journal %s: round trips: %w", j.path, d.err)
		}
		out = append(out, rt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: round trips: %w", j.path, err)
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out, nil
}

// sqlInsertRoundTrip records a round trip once (Batch.RecordRoundTrip).
const sqlInsertRoundTrip = `INSERT INTO round_trips (key, instance, product_id, side, size, entry_price,
		exit_price, fees, realized_pnl, exit_reason, entry_ns, exit_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (key) DO NOTHING`

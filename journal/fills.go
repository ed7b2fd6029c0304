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
	// Seq is the fill's number in the order the journal recorded fills
	// (RecordFill), 0 for a fill recorded before the journal numbered
	// them (schema version 6).
	Seq uint64
}

// RecordFill records a fill for an instance once; see Batch.RecordFill.
func (j *Journal) RecordFill(instance string, f exchange.Fill) (seq uint64, err error) {
	err = j.single(j.normal, func(b *Batch) error {
		seq, err = b.RecordFill(instance, f)
		return err
	})
	return seq, err
}

// RecordFill records a fill for an instance once and returns its number:
// fills are numbered from 1 up, in the order they are written, never
// reusing a number, so that the risk guard's saved counters can name the
// last fill they include (risk.Counters.FillSeq) and a restart books
// exactly those above it. The same fill (same product and trade id)
// recorded again, from the user channel and then from the REST fills a
// restart reads, is a no-op and returns 0, so position and PnL code
// applies each fill exactly once when it applies only the new ones. So is
// a derived fill whose part of its order the journal already holds
// (derivedFillCovered).
func (b *Batch) RecordFill(instance string, f exchange.Fill) (seq uint64, err error) {
	// The caller holds writeMu (Batch), so numbers follow the order of
	// the writes. A number taken by a write that is then rolled back is
	// skipped: numbers are unique and increasing, not dense.
	return b.recordFill(instance, f, b.j.fillSeq+1, b.now)
}

// recordFill is RecordFill with number seq and record time now (Unix ns):
// the next number and the batch's time, or, for ReplaceSyntheticFills,
// those of the fills it replaces (seq 0, stored NULL, for fills recorded
// before the journal numbered them). A number at or below the last one
// given leaves the next number as it was.
func (b *Batch) recordFill(instance string, f exchange.Fill, seq uint64, now int64) (uint64, error) {
	if f.TradeID == "" || f.ProductID == "" {
		return 0, b.errorf("record fill for %s: trade id %q and product %q must both be set", instance, f.TradeID, f.ProductID)
	}
	if covered, err := b.derivedFillCovered(f); err != nil || covered {
		return 0, err
	}
	res, err := b.stmt(b.j.stmts.insertFill).ExecContext(b.ctx, f.ProductID, f.TradeID, instance, f.OrderID,
		f.ClientOrderID, string(f.Side), f.Price.String(), f.Size.String(), f.Fee.String(), string(f.Liquidity),
		nanos(f.Time), now, seqValue(seq))
	if err != nil {
		return 0, b.errorf("record fill %s/%s: %w", f.ProductID, f.TradeID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, b.errorf("record fill %s/%s: %w", f.ProductID, f.TradeID, err)
	}
	if n != 1 {
		return 0, nil
	}
	b.j.fillSeq = max(b.j.fillSeq, seq)
	return seq, nil
}

// seqValue is a fill number as stored: NULL for 0, a fill recorded before
// the journal numbered them.
func seqValue(seq uint64) any {
	if seq == 0 {
		return nil
	}
	return int64(seq)
}

// FillsAfter returns the fills numbered above seq (RecordFill), in the
// order they were recorded: those that risk counters saved when seq was
// the last fill they included do not include. It reads the whole table
// (there is no index on the numbers, which would cost every fill); the
// daemon calls it once per start.
func (j *Journal) FillsAfter(seq uint64) ([]FillRecord, error) {
	rows, err := j.normal.Query("SELECT "+fillColumns+" FROM fills WHERE seq > ? ORDER BY seq, rowid", int64(seq))
	if err != nil {
		return nil, fmt.Errorf("journal %s: fills after number %d: %w", j.path, seq, err)
	}
	out, err := scanFills(rows)
	if err != nil {
		return nil, fmt.Errorf("journal %s: fills after number %d: %w", j.path, seq, err)
	}
	return out, nil
}

// LastFillSeq returns the number RecordFill gave last (0 when none), as
// of the call: the journal holds no fill numbered above it.
func (j *Journal) LastFillSeq() uint64 {
	j.writeMu.Lock()
	defer j.writeMu.Unlock()
	return j.fillSeq
}

// NumberFillsAbove makes RecordFill number the fills it records from now
// on above seq, which saved risk counters name as the last fill they
// include: a journal that lost its last fills (salvaged from a damaged
// file) would otherwise give their numbers again, to fills the counters
// do not include.
func (j *Journal) NumberFillsAbove(seq uint64) {
	j.writeMu.Lock()
	defer j.writeMu.Unlock()
	j.fillSeq = max(j.fillSeq, seq)
}

// loadFillSeq reads the highest fill number, at Open.
func (j *Journal) loadFillSeq() error {
	var n sql.NullInt64
	if err := j.normal.QueryRow("SELECT MAX(seq) FROM fills").Scan(&n); err != nil {
		return fmt.Errorf("journal %s: last fill number: %w", j.path, err)
	}
	j.fillSeq = uint64(max(n.Int64, 0))
	return nil
}

const fillColumns = `instance, product_id, trade_id, order_id, client_order_id, side, price, size, fee,
	liquidity, time_ns, recorded_ns, seq`

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
			venueTime, seq   sql.NullInt64
			recorded         int64
		)
		if err := rows.Scan(&r.Instance, &r.ProductID, &r.TradeID, &r.OrderID, &r.ClientOrderID, &side,
			&price, &size, &fee, &liq, &venueTime, &recorded, &seq); err != nil {
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
		r.Seq = uint64(max(seq.Int64, 0))
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

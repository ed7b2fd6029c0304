package journal

import (
	"database/sql"
	"errors"

	"modernc.org/sqlite"
)

// statements are the writes on the order path, prepared once at Open so
// that a call pays for executing SQL, not for parsing it.
type statements struct {
	insertOrder *sql.Stmt // on full
	reserveSeq  *sql.Stmt // on full
	orderState  *sql.Stmt // on normal
	updateOrder *sql.Stmt // on normal
	insertEvent *sql.Stmt // on normal
	insertFill  *sql.Stmt // on normal
	// orderFills reads an order's fills by its venue id (index
	// fills_order): before every derived fill is recorded, and at
	// recovery.
	orderFills *sql.Stmt // on normal
}

func (j *Journal) prepare() error {
	var err error
	p := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = db.Prepare(q)
		return s
	}
	j.stmts = statements{
		insertOrder: p(j.writer(), `INSERT INTO orders (client_order_id, instance, strategy, purpose, product_id, side,
			request, venue_order_id, status, open, filled_size, filled_value, average_filled_price, total_fees,
			triggered, reject_reason, attached_order_id, originating_order_id, venue_created_ns, venue_updated_ns,
			intent_ns, changed_ns, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
		reserveSeq: p(j.writer(), `INSERT INTO client_order_seq (instance, reserved) VALUES (?1, ?2 + ?3)
			ON CONFLICT (instance) DO UPDATE SET reserved = max(reserved, ?2) + ?3 RETURNING reserved`),
		orderState: p(j.normal, `SELECT status, venue_order_id, filled_size, filled_value, average_filled_price,
			total_fees, triggered, reject_reason FROM orders WHERE client_order_id = ?`),
		updateOrder: p(j.normal, `UPDATE orders SET venue_order_id = ?, status = ?, open = ?, filled_size = ?,
			filled_value = ?, average_filled_price = ?, total_fees = ?, triggered = ?, reject_reason = ?,
			attached_order_id = ?, originating_order_id = ?, venue_created_ns = ?, venue_updated_ns = ?,
			changed_ns = ? WHERE client_order_id = ?`),
		insertEvent: p(j.normal, `INSERT INTO order_events (client_order_id, status, venue_order_id, filled_size,
			average_filled_price, total_fees, triggered, reject_reason, venue_ns, recorded_ns)
			VALUES (?,?,?,?,?,?,?,?,?,?)`),
		insertFill: p(j.normal, `INSERT INTO fills (product_id, trade_id, instance, order_id, client_order_id,
			side, price, size, fee, liquidity, time_ns, recorded_ns, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (product_id, trade_id) DO NOTHING`),
		orderFills: p(j.normal, `SELECT `+fillColumns+` FROM fills WHERE order_id = ? ORDER BY rowid`),
	}
	return err
}

// batchWrites are the SQL that Batch.exec runs, prepared once at Open.
var batchWrites = []string{
	sqlSavepoint, sqlRollbackToSavepoint, sqlReleaseSavepoint,
	sqlDeletePosition, sqlUpsertPosition, sqlInsertRoundTrip,
	sqlSaveInstanceState, sqlSaveRisk, sqlInsertReconciliation, sqlUpdateTerms,
}

// prepareBatchWrites prepares, on normal, the statements that Batch.exec
// runs (batchWrites). It cannot prepare them on first use: a batch holds
// the connection's only connection in its transaction, so a Prepare on
// the database would wait for it forever.
func (j *Journal) prepareBatchWrites() error {
	j.batchStmts = make(map[string]*sql.Stmt, len(batchWrites))
	for _, q := range batchWrites {
		s, err := j.normal.Prepare(q)
		if err != nil {
			return err
		}
		j.batchStmts[q] = s
	}
	return nil
}

// closeBatchWrites closes what prepareBatchWrites prepared.
func (j *Journal) closeBatchWrites() {
	for _, s := range j.batchStmts {
		s.Close()
	}
	j.batchStmts = nil
}

func (s *statements) close() {
	for _, st := range []*sql.Stmt{s.insertOrder, s.reserveSeq, s.orderState, s.updateOrder, s.insertEvent, s.insertFill, s.orderFills} {
		if st != nil {
			st.Close()
		}
	}
	*s = statements{}
}

// isDuplicateKey reports a SQLite primary key or unique constraint
// violation (extended codes SQLITE_CONSTRAINT_PRIMARYKEY and _UNIQUE).
func isDuplicateKey(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == 1555 || se.Code() == 2067)
}

package journal

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// PositionRow is one instance's holding in one product, as the position
// code computed it from fills. The journal stores it for restarts and for
// `tradebot positions`; the fills remain the source of truth.
type PositionRow struct {
	Instance  string
	ProductID string
	// Size is the base amount held (negative for a short).
	Size          decimal.Decimal
	AvgEntryPrice decimal.Decimal
	RealizedPnL   decimal.Decimal
	Fees          decimal.Decimal
	OpenedAt      time.Time
	UpdatedAt     time.Time
}

// SavePosition stores an instance's position; see Batch.SavePosition.
func (j *Journal) SavePosition(p PositionRow) error {
	return j.single(j.normal, func(b *Batch) error { return b.SavePosition(p) })
}

// SavePosition stores an instance's position in a product, replacing the
// previous one. A zero size removes the row: a flat position is not shown.
// A zero UpdatedAt is the journal clock's now.
func (b *Batch) SavePosition(p PositionRow) error {
	if p.Instance == "" || p.ProductID == "" {
		return b.errorf("save position: instance %q and product %q must both be set", p.Instance, p.ProductID)
	}
	updated := p.UpdatedAt.UnixNano()
	if p.UpdatedAt.IsZero() {
		updated = b.now
	}
	var err error
	if p.Size.IsZero() {
		_, err = b.exec(sqlDeletePosition, p.Instance, p.ProductID)
	} else {
		_, err = b.exec(sqlUpsertPosition,
			p.Instance, p.ProductID, p.Size.String(), p.AvgEntryPrice.String(), p.RealizedPnL.String(),
			p.Fees.String(), nanos(p.OpenedAt), updated)
	}
	if err != nil {
		return b.errorf("save position %s/%s: %w", p.Instance, p.ProductID, err)
	}
	return nil
}

// Positions returns the open positions ordered by instance and product.
func (j *Journal) Positions() ([]PositionRow, error) {
	rows, err := j.normal.Query(`SELECT instance, product_id, size, avg_entry_price, realized_pnl, fees,
		opened_ns, updated_ns FROM positions ORDER BY instance, product_id`)
	if err != nil {
		return nil, fmt.Errorf("journal %s: positions: %w", j.path, err)
	}
	defer rows.Close()
	var out []PositionRow
	for rows.Next() {
		var (
			p                    PositionRow
			size, avg, pnl, fees string
			opened               sql.NullInt64
			updated              int64
		)
		if err := rows.Scan(&p.Instance, &p.ProductID, &size, &avg, &pnl, &fees, &opened, &updated); err != nil {
			return nil, fmt.Errorf("journal %s: positions: %w", j.path, err)
		}
		d := decoder{what: fmt.Sprintf("position %s/%s", p.Instance, p.ProductID)}
		p.Size = d.dec("size", size)
		p.AvgEntryPrice = d.dec("avg_entry_price", avg)
		p.RealizedPnL = d.dec("realized_pnl", pnl)
		p.Fees = d.dec("fees", fees)
		p.OpenedAt = fromNanos(opened)
		p.UpdatedAt = time.Unix(0, updated).UTC()
		if d.err != nil {
			return nil, fmt.Errorf("journal %s: positions: %w", j.path, d.err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: positions: %w", j.path, err)
	}
	return out, nil
}

// sqlDeletePosition removes a closed position (Batch.SavePosition).
const sqlDeletePosition = "DELETE FROM positions WHERE instance = ? AND product_id = ?"

// sqlUpsertPosition saves an open position (Batch.SavePosition).
const sqlUpsertPosition = `INSERT INTO positions (instance, product_id, size, avg_entry_price, realized_pnl,
			fees, opened_ns, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance, product_id) DO UPDATE SET
			size = excluded.size, avg_entry_price = excluded.avg_entry_price, realized_pnl = excluded.realized_pnl,
			fees = excluded.fees, opened_ns = excluded.opened_ns, updated_ns = excluded.updated_ns`

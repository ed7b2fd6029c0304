package journal

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// SyntheticFillOrders returns the venue ids of the orders that have
// derived fills (exchange.IsSyntheticTradeID) in the journal, and the venue time of the oldest of them
// (zero when there is none), for ReplaceSyntheticFills.
func (j *Journal) SyntheticFillOrders() (orderIDs []string, oldest time.Time, err error) {
	query, args := syntheticFillsQuery()
	rows, err := j.normal.Query(query, args...)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("journal %s: derived fills: %w", j.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at sql.NullInt64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, time.Time{}, fmt.Errorf("journal %s: derived fills: %w", j.path, err)
		}
		orderIDs = append(orderIDs, id)
		if t := fromNanos(at); !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	return orderIDs, oldest, rows.Err()
}

// ReplaceSyntheticFills replaces an order's derived fills by the venue's
// own (real, all of the order's fills the venue listed): with Coinbase's
// trade ids, liquidity, prices and fees. It does so only when the real
// fills the journal lacks add up to exactly the derived ones, so that the
// journal's size for the order never changes; otherwise (some real fills
// not listed yet) it changes nothing and reports false. The venue's fills
// are recorded at the latest recorded time of the derived ones, under
// the highest of their numbers (RecordFill).
//
// counted is the last fill number the saved risk counters include
// (risk.Counters.FillSeq): a restart books into the risk guard the fills
// numbered above it. While the derived fills lie on both sides of it
// (some included, some not), no one number is right for the venue's
// fills, which need not split where the derived ones did: it changes
// nothing and reports false, and the next call, once the counters are
// saved again, replaces them.
func (j *Journal) ReplaceSyntheticFills(orderID string, real []exchange.Fill, counted uint64) (replaced bool, err error) {
	err = j.Batch(func(b *Batch) error {
		rows, err := b.stmt(j.stmts.orderFills).QueryContext(b.ctx, orderID)
		if err != nil {
			return b.errorf("replace derived fills of %s: %w", orderID, err)
		}
		held, err := scanFills(rows)
		if err != nil {
			return b.errorf("replace derived fills of %s: %w", orderID, err)
		}
		have := map[string]bool{}
		var synthetic []string
		instance := ""
		derived := decimal.Zero
		var recorded time.Time
		var seq uint64
		included, excluded := false, false
		for _, h := range held {
			have[h.TradeID] = true
			if exchange.IsSyntheticTradeID(h.TradeID) {
				synthetic = append(synthetic, h.TradeID)
				derived = derived.Add(h.Size)
				instance = h.Instance
				if h.RecordedAt.After(recorded) {
					recorded = h.RecordedAt
				}
				seq = max(seq, h.Seq)
				if h.Seq > counted {
					excluded = true
				} else {
					included = true
				}
			}
		}
		if included && excluded {
			return nil
		}
		var missing []exchange.Fill
		sum := decimal.Zero
		for _, f := range real {
			if f.OrderID == orderID && !have[f.TradeID] && !exchange.IsSyntheticTradeID(f.TradeID) {
				missing = append(missing, f)
				sum = sum.Add(f.Size)
			}
		}
		if len(synthetic) == 0 || !sum.Equal(derived) {
			return nil
		}
		for _, id := range synthetic {
			if _, err := b.tx.ExecContext(b.ctx, `DELETE FROM fills WHERE order_id = ? AND trade_id = ?`, orderID, id); err != nil {
				return b.errorf("replace derived fills of %s: %w", orderID, err)
			}
		}
		// The venue's fills keep the number and the time the journal
		// first held this part of the order under (the highest number
		// and the latest time of the derived fills): a restart tells by
		// the number whether the saved risk counters include the part
		// (journalAdapter.restoreRisk), or, for counters from before
		// fills were numbered, by the time (JournaledFills); the
		// replacement, a minute or more after the fill, must not make
		// the part look new.
		for _, f := range missing {
			if _, err := b.recordFill(instance, f, seq, recorded.UnixNano()); err != nil {
				return err
			}
		}
		replaced = true
		return nil
	})
	return replaced, err
}

// syntheticFillsQuery selects the orders with derived fills and the time
// of the oldest, matching the trade ids on exchange.SyntheticTradeIDPrefixes
// so that the query cannot drift from what the producers write. It
// compares the leading characters rather than using LIKE, which would read
// a '_' or '%' in a prefix as a wildcard and ignores case.
func syntheticFillsQuery() (string, []any) {
	var where []string
	var args []any
	for _, p := range exchange.SyntheticTradeIDPrefixes() {
		where = append(where, "substr(trade_id, 1, ?) = ?")
		args = append(args, utf8.RuneCountInString(p), p)
	}
	return `SELECT order_id, MIN(time_ns) FROM fills WHERE ` + strings.Join(where, " OR ") +
		` GROUP BY order_id ORDER BY order_id`, args
}

// derivedFillCovered reports whether f, a fill tradebot derived from its
// order's cumulative filled size (exchange.IsSyntheticTradeID), covers
// only what the journal already holds for that order. Its trade id ends
// with that cumulative size, and its part of the order is the size up to
// it; when the journal's fills of the order add up to at least that much,
// recording f would count that part twice. Dedup by trade id cannot see
// it: the same part is known under the user channel's id, the executor's,
// or Coinbase's own once ReplaceSyntheticFills has put them in place of
// the derived ones (which also deletes the derived id, so that the same
// derived fill seen again after a restart or a late order state would be
// new by its id). A fill that is not derived, or whose id does not end
// with a size, is never covered. The order's fills are read through the
// statement prepared at Open, by the index on their order id: this runs
// before every derived fill is recorded.
func (b *Batch) derivedFillCovered(f exchange.Fill) (bool, error) {
	cum, ok := exchange.DerivedTradeIDFilled(f.TradeID)
	if f.OrderID == "" || !ok {
		return false, nil
	}
	rows, err := b.stmt(b.j.stmts.orderFills).QueryContext(b.ctx, f.OrderID)
	if err != nil {
		return false, b.errorf("record fill %s/%s: fills of order %s: %w", f.ProductID, f.TradeID, f.OrderID, err)
	}
	fills, err := scanFills(rows)
	if err != nil {
		return false, b.errorf("record fill %s/%s: fills of order %s: %w", f.ProductID, f.TradeID, f.OrderID, err)
	}
	held := decimal.Zero
	for _, h := range fills {
		if h.ProductID == f.ProductID {
			held = held.Add(h.Size)
		}
	}
	return held.GreaterThanOrEqual(cum), nil
}

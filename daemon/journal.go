package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/position"
	"github.com/tradebot/tradebot/risk"
)

// journalAdapter lets the engine write to the SQLite journal.
type journalAdapter struct {
	*journal.Journal

	// riskMu orders the writes of the guard's counters, which the saver,
	// the trading-state listener, the kill switch and the health probe
	// make from their goroutines; riskSeq is the Seq of the last one
	// written, so that an older snapshot written late is dropped, not
	// written over a newer one. The snapshot is taken before riskMu:
	// Snapshot can run the guard's state listeners, which save again.
	riskMu  sync.Mutex
	riskSeq uint64
}

var _ engine.Journal = (*journalAdapter)(nil)

// openJournalWith opens the journal at path for the engine.
func openJournalWith(path string, opt journal.Options) (*journalAdapter, error) {
	j, err := journal.OpenWith(path, opt)
	if err != nil {
		return nil, err
	}
	return &journalAdapter{Journal: j}, nil
}

// RecordIntent implements engine.Journal.
func (a *journalAdapter) RecordIntent(rec engine.OrderRecord) error {
	return a.Journal.RecordIntent(journal.OrderRecord{Instance: rec.Instance, Strategy: rec.Instance, Purpose: rec.Purpose,
		Reason: rec.Reason, Order: orderOf(rec), IntentAt: rec.Time})
}

func orderOf(rec engine.OrderRecord) (o exchange.Order) {
	o.OrderRequest = rec.Request
	o.Status = journal.StatusInFlight
	return o
}

// roundTrip returns the callback that records closed positions.
func (a *journalAdapter) roundTrip(log *slog.Logger) func(position.RoundTrip) {
	return func(rt position.RoundTrip) {
		if _, err := a.RecordRoundTrip(roundTripRecord(rt)); err != nil {
			log.Error("journal round trip failed", "strategy", rt.Strategy, "error", err)
		}
	}
}

// roundTripRecord is the journal's record of a closed position.
func roundTripRecord(rt position.RoundTrip) journal.RoundTrip {
	return journal.RoundTrip{
		Key:      fmt.Sprintf("%s/%d", rt.Strategy, rt.EntryTime.UnixNano()),
		Instance: rt.Strategy, ProductID: rt.ProductID, Side: "BUY", Size: rt.Size,
		EntryPrice: rt.EntryPrice, ExitPrice: rt.ExitPrice, Fees: rt.Fees, RealizedPnL: rt.PnL,
		ExitReason: rt.ExitReason, EntryTime: rt.EntryTime, ExitTime: rt.ExitTime,
	}
}

// riskAccount keys the risk counters in the journal.
const riskAccount = "default"

// restoreRisk loads the guard's counters (daily PnL, peak, trading state)
// saved by the previous run, if any.
func (a *journalAdapter) restoreRisk(g *risk.Guard) error {
	b, err := a.Risk(riskAccount)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	var c risk.Counters
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("journal %s: risk counters: %w", a.Path(), err)
	}
	g.Restore(c)
	return nil
}

func (a *journalAdapter) saveRisk(g *risk.Guard) error {
	return a.writeRisk(g.Snapshot())
}

// writeRisk writes the guard's counters c, unless a later snapshot of
// them has been written already.
func (a *journalAdapter) writeRisk(c risk.Counters) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	a.riskMu.Lock()
	defer a.riskMu.Unlock()
	if c.Seq < a.riskSeq {
		return nil
	}
	a.riskSeq = c.Seq
	return a.SaveRisk(riskAccount, b)
}

// SaveProgress implements engine.Journal in one transaction. It encodes
// the exit state here, on the order path: live mode's cost (the paper
// journal encodes it in its writer).
func (a *journalAdapter) SaveProgress(instance string, orders []exchange.Order, exitState exits.State, strategyState []byte) error {
	enc, err := json.Marshal(&exitState)
	if err != nil {
		return fmt.Errorf("journal %s: exit state of %s does not encode: %w", a.Path(), instance, err)
	}
	return a.saveProgress(instance, orders, &exitState, enc, strategyState)
}

// saveProgress writes an instance's applied orders, its position (from
// st) and its state (st encoded as exitJSON) in one transaction.
func (a *journalAdapter) saveProgress(instance string, orders []exchange.Order, st *exits.State, exitJSON, strategyState []byte) error {
	return a.Batch(func(b *journal.Batch) error {
		return writeProgress(b, instance, orders, st, exitJSON, strategyState)
	})
}

// writeProgress is saveProgress's writes, in b.
func writeProgress(b *journal.Batch, instance string, orders []exchange.Order, st *exits.State, exitJSON, strategyState []byte) error {
	for i := range orders {
		if err := b.UpdateOrder(orders[i].ClientOrderID, orders[i]); err != nil {
			return err
		}
	}
	// The resting exit's row follows the edits the exits made of it (a
	// resize after a partial take-profit or an added entry, a move), in
	// the transaction that saves the state counting on them.
	if r := st.Resting; r != nil && r.ClientOrderID != "" && r.OrderID != "" &&
		r.Size.IsPositive() && r.Limit.IsPositive() && r.Stop.IsPositive() {
		if err := b.UpdateTerms(r.ClientOrderID, journal.RestingTerms{BaseSize: r.Size, LimitPrice: r.Limit,
			StopPrice: r.Stop, Reason: r.Reason}); err != nil {
			return err
		}
	}
	p := &st.Position
	if err := b.SavePosition(journal.PositionRow{Instance: instance, ProductID: p.ProductID, Size: p.Size,
		AvgEntryPrice: p.AvgEntry, RealizedPnL: p.RealizedPnL, Fees: p.Fees, OpenedAt: p.OpenedAt,
		UpdatedAt: time.Now()}); err != nil {
		return err
	}
	return b.SaveInstanceState(instance, exitJSON, strategyState)
}

// OpenOrders implements engine.RecoveryJournal.
func (a *journalAdapter) OpenOrders() ([]engine.JournaledOrder, error) {
	recs, err := a.InFlight()
	if err != nil {
		return nil, err
	}
	out := make([]engine.JournaledOrder, 0, len(recs))
	for _, r := range recs {
		o := r.Order
		if o.Status == journal.StatusInFlight {
			o.Status = exchange.StatusPending
		}
		r.Order = o
		out = append(out, journaledOrder(r))
	}
	return out, nil
}

// OrderByVenueID implements engine.VenueIDJournal.
func (a *journalAdapter) OrderByVenueID(orderID string) (engine.JournaledOrder, bool, error) {
	r, err := a.Journal.OrderByVenueID(orderID)
	if errors.Is(err, journal.ErrNotFound) {
		return engine.JournaledOrder{}, false, nil
	}
	if err != nil {
		return engine.JournaledOrder{}, false, err
	}
	return journaledOrder(r), true, nil
}

var _ engine.VenueIDJournal = (*journalAdapter)(nil)

// JournaledFills implements engine.FillsJournal: the size of the fills
// the journal holds for the order with venue order id orderID, and the part of it recorded before
// the risk counters were last saved, which they therefore include.
//
// The fills are matched by the order's venue id, which the venue has
// just answered at recovery: every fill names it, and it names one
// order. Matching by client order id while the venue id was unknown
// missed the order's fills once a reconciliation had replaced the
// derived ones by Coinbase's, which name no client order id (the crash
// test's seed 1796616563719270910); a client order id is never reused
// (NextClientOrderSeq), so it could not count another order's fills, and
// a create retried under it is the same order on Coinbase. An order the
// venue has not named has no fills the journal could hold.
func (a *journalAdapter) JournaledFills(orderID string) (engine.JournaledFills, error) {
	var held engine.JournaledFills
	fills, err := a.OrderFills(orderID)
	if err != nil || len(fills) == 0 {
		return held, err
	}
	saved, err := a.RiskSavedAt(riskAccount)
	if err != nil {
		return held, err
	}
	for _, f := range fills {
		held.Size = held.Size.Add(f.Size)
		// Strictly before: saveRisk snapshots the guard before the
		// journal stamps the save, and a fill is stamped before it is
		// written and booked, so one the counters include was stamped
		// earlier; one stamped at the save's instant was booked after.
		if f.RecordedAt.Before(saved) {
			held.Counted = held.Counted.Add(f.Size)
		}
	}
	return held, nil
}

var _ engine.FillsJournal = (*journalAdapter)(nil)

// lastEntryScan bounds how far back LastEntry looks: an entry is followed
// by its exits, a few orders each, and by the moves of a trailing stop.
const lastEntryScan = 500

func journaledOrder(r journal.OrderRecord) engine.JournaledOrder {
	return engine.JournaledOrder{Instance: r.Instance, Purpose: r.Purpose, Reason: r.Reason, Order: r.Order}
}

// LastEntry implements engine.EntryJournal.
func (a *journalAdapter) LastEntry(instance string) (engine.JournaledOrder, bool, error) {
	recs, err := a.Orders(journal.OrderFilter{Instance: instance, Limit: lastEntryScan})
	if err != nil {
		return engine.JournaledOrder{}, false, err
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Purpose == exchange.Entry {
			return journaledOrder(recs[i]), true, nil
		}
	}
	return engine.JournaledOrder{}, false, nil
}

// JournaledOrder implements engine.EntryJournal.
func (a *journalAdapter) JournaledOrder(clientOrderID string) (engine.JournaledOrder, bool, error) {
	r, err := a.Journal.Order(clientOrderID)
	if errors.Is(err, journal.ErrNotFound) {
		return engine.JournaledOrder{}, false, nil
	}
	if err != nil {
		return engine.JournaledOrder{}, false, err
	}
	return journaledOrder(r), true, nil
}

var _ engine.EntryJournal = (*journalAdapter)(nil)

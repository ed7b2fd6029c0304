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
	// savedFillSeq is the last fill number (journal.RecordFill) that the
	// counters in the journal include, guarded by riskMu: as restored at
	// start (as the fallback took it for counters that named none), then
	// as each write saved it.
	savedFillSeq uint64

	// numbersLate is set when the guard books fills before this journal
	// numbers them: in paper mode, whose writer (asyncJournal) records
	// fills after the engine booked them. The counters it saves then name
	// no last fill (risk.Counters.FillSeq), and a start books none again.
	numbersLate bool
	// fillSeqSaved is whether the counters restored at start named the
	// last fill they include (JournaledFills).
	fillSeqSaved bool
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

// restoreRisk loads the guard's counters (daily PnL, peak, trading state,
// positions) saved by the previous run, if any, and books into the guard
// the journaled fills they do not include, in the order the journal
// recorded them: those numbered above the last fill the counters name
// (risk.Counters.FillSeq). A run books each fill just after journaling it
// and saves its counters a moment later (riskSaver), so a kill in between
// leaves fills that the counters lack, and the order of their numbers is
// the order the killed run booked them in (engine.Executor.bookFill): the
// restored guard is the killed run's, whatever the wall clock did.
//
// Counters that name no last fill (saved before fills were numbered, by a
// paper run, or none saved) fall back, for this start, to judging each
// journaled fill of the orders recovery adopts by when it was recorded
// (JournaledFills); the fills journaled so far count as settled by that
// fallback, so that the counters this run saves name the last of them.
func (a *journalAdapter) restoreRisk(g *risk.Guard) error {
	b, err := a.Risk(riskAccount)
	if err != nil {
		return err
	}
	var c risk.Counters
	if len(b) > 0 {
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("journal %s: risk counters: %w", a.Path(), err)
		}
	} else {
		// Nothing saved: the fresh guard's own counters, which Restore
		// gives back as they are, with the last fill set below.
		c = g.Snapshot()
	}
	named := len(b) > 0 && c.FillSeq != nil && !a.numbersLate
	if !named {
		last := a.LastFillSeq()
		c.FillSeq = &last
	}
	// A journal that lost its last fills (salvaged) must not number new
	// ones at or below what the counters include.
	a.NumberFillsAbove(*c.FillSeq)
	a.riskMu.Lock()
	a.savedFillSeq, a.fillSeqSaved = *c.FillSeq, named
	a.riskMu.Unlock()
	g.Restore(c)
	if !named {
		return nil
	}
	fills, err := a.FillsAfter(*c.FillSeq)
	if err != nil {
		return err
	}
	for _, f := range fills {
		g.OnJournaledFill(f.Seq, f.Instance, f.ProductID, f.Side, f.Size, f.Price, f.Fee, nil)
	}
	return nil
}

func (a *journalAdapter) saveRisk(g *risk.Guard) error {
	return a.writeRisk(g.Snapshot())
}

// writeRisk writes the guard's counters c, unless a later snapshot of
// them has been written already.
func (a *journalAdapter) writeRisk(c risk.Counters) error {
	if a.numbersLate {
		c.FillSeq = nil
	}
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
	if err := a.SaveRisk(riskAccount, b); err != nil {
		return err
	}
	if c.FillSeq != nil {
		a.savedFillSeq = *c.FillSeq
	}
	return nil
}

// ReplaceSyntheticFills is journal.Journal.ReplaceSyntheticFills with the
// last fill the saved counters include, which no save changes meanwhile.
func (a *journalAdapter) ReplaceSyntheticFills(orderID string, real []exchange.Fill) (bool, error) {
	a.riskMu.Lock()
	defer a.riskMu.Unlock()
	return a.Journal.ReplaceSyntheticFills(orderID, real, a.savedFillSeq)
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
// the journal holds for the order with venue order id orderID, and the
// part of it that the risk guard has booked. When the restored counters
// named the last fill they include, that is all of it: restoreRisk
// booked the fills numbered above it, the counters include those below,
// and fills recorded before fills were numbered were settled by the
// start that first ran with numbers.
//
// Otherwise (the fallback for counters that name no last fill) it is the
// part recorded before the counters were saved, by the journal's clock:
// saveRisk snapshots the guard before the journal stamps the save, and a
// fill is stamped before it is written and booked, so one the counters
// include was stamped earlier; one stamped at the save's instant was
// booked after. That rule is wrong when the clock steps back (a fill
// recorded after the save looks included) or when a fill stamped before
// the snapshot was booked after it, which is why fills are numbered.
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
	a.riskMu.Lock()
	named := a.fillSeqSaved
	a.riskMu.Unlock()
	var saved time.Time
	if !named {
		if saved, err = a.RiskSavedAt(riskAccount); err != nil {
			return held, err
		}
	}
	for _, f := range fills {
		held.Size = held.Size.Add(f.Size)
		if named || f.RecordedAt.Before(saved) {
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

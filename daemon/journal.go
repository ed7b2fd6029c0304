package daemon

import (
	"fmt"
	"log/slog"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/position"
)

// journalAdapter lets the engine write to the SQLite journal.
type journalAdapter struct {
	*journal.Journal
}

var _ engine.Journal = (*journalAdapter)(nil)

func openJournal(path string) (*journalAdapter, error) {
	j, err := journal.Open(path)
	if err != nil {
		return nil, err
	}
	return &journalAdapter{j}, nil
}

// RecordIntent implements engine.Journal.
func (a *journalAdapter) RecordIntent(rec engine.OrderRecord) error {
	p := journal.Entry
	if rec.Purpose == engine.Exit {
		p = journal.Exit
	}
	return a.Journal.RecordIntent(journal.OrderRecord{Instance: rec.Instance, Strategy: rec.Instance, Purpose: p,
		Order: orderOf(rec), IntentAt: rec.Time})
}

func orderOf(rec engine.OrderRecord) (o exchange.Order) {
	o.OrderRequest = rec.Request
	o.Status = journal.StatusInFlight
	return o
}

// roundTrip returns the callback that records closed positions.
func (a *journalAdapter) roundTrip(log *slog.Logger) func(position.RoundTrip) {
	return func(rt position.RoundTrip) {
		_, err := a.RecordRoundTrip(journal.RoundTrip{
			Key:      fmt.Sprintf("%s/%d", rt.Strategy, rt.EntryTime.UnixNano()),
			Instance: rt.Strategy, ProductID: rt.ProductID, Side: "BUY", Size: rt.Size,
			EntryPrice: rt.EntryPrice, ExitPrice: rt.ExitPrice, Fees: rt.Fees, RealizedPnL: rt.PnL,
			ExitReason: rt.ExitReason, EntryTime: rt.EntryTime, ExitTime: rt.ExitTime,
		})
		if err != nil {
			log.Error("journal round trip failed", "strategy", rt.Strategy, "error", err)
		}
	}
}

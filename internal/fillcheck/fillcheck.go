// Package fillcheck compares the fills a journal holds with the venue's,
// one for one, for tests that check a daemon's journal against the
// emulator after it has reconciled.
package fillcheck

import (
	"fmt"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/journal"
)

// Diff returns what differs between the journal's fills and the venue's:
// a count that differs, a venue fill the journal lacks by its trade id,
// or one whose order, size, price, fee or liquidity differ. It returns
// nil when the journal holds exactly the venue's fills.
func Diff(journaled []journal.FillRecord, venue []exchange.Fill) []string {
	var out []string
	if len(journaled) != len(venue) {
		out = append(out, fmt.Sprintf("the journal holds %d fills, the exchange %d", len(journaled), len(venue)))
	}
	byID := make(map[string]journal.FillRecord, len(journaled))
	for _, f := range journaled {
		byID[f.TradeID] = f
	}
	for _, x := range venue {
		j, ok := byID[x.TradeID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("the exchange's fill %s (order %s, size %s) is not in the journal by its trade id",
				x.TradeID, x.OrderID, x.Size))
		case j.OrderID != x.OrderID || !j.Size.Equal(x.Size) || !j.Price.Equal(x.Price) || !j.Fee.Equal(x.Fee) ||
			j.Liquidity != x.Liquidity:
			out = append(out, fmt.Sprintf("fill %s: journal order %s size %s price %s fee %s %s; exchange order %s size %s price %s fee %s %s",
				x.TradeID, j.OrderID, j.Size, j.Price, j.Fee, j.Liquidity, x.OrderID, x.Size, x.Price, x.Fee, x.Liquidity))
		}
	}
	return out
}

// HasDerived reports whether any fill is one tradebot derived from an
// order's cumulative state (exchange.IsSyntheticTradeID) and not yet
// replaced by the venue's.
func HasDerived(fills []journal.FillRecord) bool {
	for _, f := range fills {
		if exchange.IsSyntheticTradeID(f.TradeID) {
			return true
		}
	}
	return false
}

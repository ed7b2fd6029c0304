package engine

import (
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// An order state that shows more filled than the fills applied (a
// reconciliation after a restart, a user-channel state without its fill)
// yields a fill the journal and the live reconciliations know as derived,
// so that the venue's own fills replace it later: its trade id must carry
// one of exchange.SyntheticTradeIDPrefixes.
func TestFillFromCumulativeStateIsMarkedDerived(t *testing.T) {
	tr := &trackedOrder{}
	fill, stale := tr.fillFrom(exchange.OrderEvent{Order: exchange.Order{ID: "o1", Status: exchange.StatusOpen,
		OrderRequest: exchange.OrderRequest{ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Buy},
		FilledSize:   d("0.3"), FilledValue: d("30.15"), AverageFilledPrice: d("100.5"), TotalFees: d("0.12")}})
	if stale || fill == nil {
		t.Fatalf("fillFrom = %+v, stale %v; want a fill of 0.3", fill, stale)
	}
	if !exchange.IsSyntheticTradeID(fill.TradeID) {
		t.Errorf("derived fill's trade id %q is not one the journal replaces (prefixes %v)",
			fill.TradeID, exchange.SyntheticTradeIDPrefixes())
	}
	if !fill.Size.Equal(d("0.3")) || !fill.Price.Equal(d("100.5")) || !fill.Fee.Equal(d("0.12")) {
		t.Errorf("derived fill = %+v, want 0.3 at 100.5 fee 0.12", fill)
	}
}

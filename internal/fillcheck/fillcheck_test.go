package fillcheck

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/journal"
)

// Each way a journal can differ from the venue is named; the same fills
// give no difference.
func TestDiffNamesEveryDifference(t *testing.T) {
	d := decimal.RequireFromString
	venue := []exchange.Fill{
		{TradeID: "t1", OrderID: "o1", Size: d("0.002"), Price: d("100"), Fee: d("0.0012"), Liquidity: exchange.Taker},
		{TradeID: "t2", OrderID: "o1", Size: d("0.001"), Price: d("101"), Fee: d("0.0004"), Liquidity: exchange.Maker},
	}
	same := []journal.FillRecord{{Fill: venue[0]}, {Fill: venue[1]}}
	if got := Diff(same, venue); got != nil {
		t.Errorf("Diff of the same fills = %q, want nil", got)
	}
	derived := []journal.FillRecord{{Fill: venue[0]}, {Fill: exchange.Fill{TradeID: "cbws:o1:0.003", OrderID: "o1", Size: d("0.001"),
		Price: d("101"), Fee: d("0.0004"), Liquidity: exchange.Taker}}}
	if got := strings.Join(Diff(derived, venue), "\n"); !strings.Contains(got, "t2 (order o1, size 0.001) is not in the journal") {
		t.Errorf("Diff with a derived fill = %q, want t2 named as missing", got)
	}
	if !HasDerived(derived) || HasDerived(same) {
		t.Error("HasDerived does not tell derived fills from the venue's")
	}
	wrongFee := []journal.FillRecord{{Fill: venue[0]}, {Fill: venue[1]}}
	wrongFee[1].Fee = d("0.0006")
	if got := strings.Join(Diff(wrongFee, venue), "\n"); !strings.Contains(got, "fill t2: journal order o1 size 0.001 price 101 fee 0.0006") {
		t.Errorf("Diff with a wrong fee = %q, want t2's fee named", got)
	}
	if got := strings.Join(Diff(same[:1], venue), "\n"); !strings.Contains(got, "the journal holds 1 fills, the exchange 2") {
		t.Errorf("Diff with a fill missing = %q, want the counts", got)
	}
}

package exchange

import (
	"testing"

	"github.com/shopspring/decimal"
)

// TestDerivedTradeIDGivesItsFilledSizeBack: what the executor and the
// user channel write, the journal reads: the cumulative size, for either
// prefix, an order id holding ':' included; nothing from a venue's id or a
// derived id without a positive size.
func TestDerivedTradeIDGivesItsFilledSizeBack(t *testing.T) {
	for _, prefix := range SyntheticTradeIDPrefixes() {
		for _, order := range []string{"o-1", "a:b:c"} {
			id := DerivedTradeID(prefix, order, decimal.RequireFromString("0.00123"))
			got, ok := DerivedTradeIDFilled(id)
			if !ok || !got.Equal(decimal.RequireFromString("0.00123")) {
				t.Errorf("%s: %v %v, want 0.00123", id, got, ok)
			}
		}
	}
	for _, id := range []string{"12345", "venue:7", CumulativeTradeIDPrefix + "o-1:0", CumulativeTradeIDPrefix + "o-1:x"} {
		if got, ok := DerivedTradeIDFilled(id); ok {
			t.Errorf("%s: %v, want no size", id, got)
		}
	}
}

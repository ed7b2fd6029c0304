package exchange

import (
	"testing"

	"github.com/shopspring/decimal"
)

// A quote is taken only by a trade after it that went through it: below
// a bid for a sale, above an ask for a buy; a trade at the quote, on its
// other side, or before it leaves it standing.
func TestQuoteTakenOnlyByATradeThroughIt(t *testing.T) {
	d := decimal.RequireFromString
	for _, c := range []struct {
		side        Side
		quote, last string
		since, want bool
	}{
		{Sell, "100", "99.5", true, true},
		{Sell, "100", "99.5", false, false},
		{Sell, "100", "100", true, false},
		{Sell, "100", "100.5", true, false},
		{Buy, "100", "100.5", true, true},
		{Buy, "100", "100", true, false},
		{Buy, "100", "99.5", true, false},
		{Buy, "100", "100.5", false, false},
	} {
		if got := QuoteTaken(c.side, d(c.quote), d(c.last), c.since); got != c.want {
			t.Errorf("QuoteTaken(%s, quote %s, last %s, traded since %v) = %v, want %v", c.side, c.quote, c.last, c.since, got, c.want)
		}
	}
}

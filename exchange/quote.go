package exchange

import (
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// QuoteTaken reports whether the best quote an order of side would take
// (the ask for a buy, the bid for a sell) is gone: the last trade came
// after it (tradedSince) and went through it, above that ask or below
// that bid. An order of side then takes the last trade's price until the
// next quote, as on Coinbase: the simulated exchange fills so, and the
// exits judge a sale's worth so, the two agreeing by this one rule.
func QuoteTaken(side Side, quote, last decimal.Decimal, tradedSince bool) bool {
	if !tradedSince {
		return false
	}
	if side == Buy {
		return fastdecimal.Compare(last, quote) > 0
	}
	return fastdecimal.Compare(last, quote) < 0
}

package exchange

import (
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Trade id prefixes of the fills tradebot derives from an order's
// cumulative state rather than receives as fills. Such a fill may merge
// several real ones, its price and fee are derived, and it reads TAKER
// whatever the real liquidity was; the live daemon's reconciliations
// replace it in the journal by the venue's own fills once they add up to
// it. The producers and the journal take the prefixes from here, so that
// what one writes the other recognises.
const (
	// UserChannelTradeIDPrefix starts a fill derived from the Coinbase
	// user channel, which sends whole order state, not fills: the change
	// of cumulative quantity between two updates.
	UserChannelTradeIDPrefix = "cbws:"
	// CumulativeTradeIDPrefix starts a fill the executor derived from an
	// order state that showed more filled than the fills it had applied.
	CumulativeTradeIDPrefix = "cum:"
)

// syntheticPrefixes is every prefix of a derived fill's trade id.
var syntheticPrefixes = [...]string{UserChannelTradeIDPrefix, CumulativeTradeIDPrefix}

// SyntheticTradeIDPrefixes returns every prefix of a derived fill's trade
// id, in a new slice the caller may keep.
func SyntheticTradeIDPrefixes() []string { return slices.Clone(syntheticPrefixes[:]) }

// IsSyntheticTradeID reports whether a fill's trade id is one tradebot
// derived rather than the venue's (see SyntheticTradeIDPrefixes).
func IsSyntheticTradeID(id string) bool {
	for _, p := range syntheticPrefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// DerivedTradeID is the trade id of a fill derived (prefix, one of the
// prefixes above) from order orderID's state once filled was filled: the
// same state derives the same id, and the journal reads the cumulative
// size back from it (DerivedTradeIDFilled) to tell what it already holds.
func DerivedTradeID(prefix, orderID string, filled decimal.Decimal) string {
	return prefix + orderID + ":" + filled.String()
}

// DerivedTradeIDFilled returns the cumulative filled size a derived trade
// id ends with (DerivedTradeID); false for any other id.
func DerivedTradeIDFilled(id string) (decimal.Decimal, bool) {
	if !IsSyntheticTradeID(id) {
		return decimal.Decimal{}, false
	}
	cum, err := decimal.NewFromString(id[strings.LastIndexByte(id, ':')+1:])
	if err != nil || !cum.IsPositive() {
		return decimal.Decimal{}, false
	}
	return cum, true
}

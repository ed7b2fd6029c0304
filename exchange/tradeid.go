package exchange

import (
	"slices"
	"strings"
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

package exits

import (
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

// dustAtMarket reports whether a market sell of size is one the venue
// refuses as too small (exchange.Product.Dust) at the newest price the
// Manager knows (salePrice).
func (m *Manager) dustAtMarket(size decimal.Decimal) bool {
	return m.d.Product.Dust(size, m.salePrice())
}

// salePrice is the price a market sell is judged at: the price it takes,
// where the venue checks its worth. That is the best bid, unless the last
// trade came after it and went below it (the bid was taken,
// exchange.QuoteTaken), then the last trade: the rule of the simulated
// exchange (exchange/sim), which checks a sale's worth there, before its
// slippage. Judged at the trigger price instead, a sale worth quote_min_size at a trade above
// the bid was sent, refused at the bid and retried. Without a quote: the
// trigger price, else the last trade (zero after a start, before either:
// the base minimum alone applies then).
func (m *Manager) salePrice() decimal.Decimal {
	switch {
	case !m.bid.IsPositive() && m.mark.IsPositive():
		return m.mark
	case !m.bid.IsPositive():
		return m.last
	case exchange.QuoteTaken(exchange.Sell, m.bid, m.last, m.tradedSinceBid):
		return m.last
	}
	return m.bid
}

// dustResting reports whether the resting exit that would protect size
// at stop (restingFor) is one the venue refuses as too small: it is
// worth its size at its limit price, as the venue counts it.
func (m *Manager) dustResting(size, stop decimal.Decimal) bool {
	return m.d.Product.Dust(size, m.restingFor(size, stop).Limit)
}

// Dust reports whether the position holds something that no order can
// sell at the newest price (dustAtMarket): what no exit sends an order
// for, and what a strategy's view of its position calls not open. The
// engine asks on every tick; the answer costs a comparison or two
// (dustMemo).
func (m *Manager) Dust() bool {
	size := m.s.Position.Size
	if !size.IsPositive() {
		return false
	}
	dm := &m.dustMemo
	if !dm.set || fastdecimal.Compare(size, dm.size) != 0 {
		dm.remember(m, size)
	}
	price := m.salePrice()
	switch {
	case dm.always:
		return true
	case !dm.hi.IsPositive() || !price.IsPositive():
		return false // no minimum value, or no price to judge it at: the base minimum passed
	case fastdecimal.Compare(price, dm.hi) >= 0:
		return false
	case fastdecimal.Compare(price, dm.lo) < 0:
		return true
	}
	return m.dustAtMarket(size) // within 10^-8 of the line: the exact rule
}

// dustMemo is what Dust works out once for a position's size: whether it
// is dust at any price (under base_min_size once rounded down), and else
// the prices that bracket the line under which it is worth less than
// quote_min_size (quote_min_size / size, 10^-8 either side: a bracket
// that prices compare with without rescaling beyond an int64; zero when
// the product has no minimum value). A price outside the bracket decides
// at once, as exchange.Product.Dust would.
type dustMemo struct {
	set    bool
	size   decimal.Decimal
	always bool
	lo, hi decimal.Decimal
}

// bracketPlaces and bracketHalfWidth are the places the line is rounded
// to and the distance from it to either side of the bracket: more than
// that rounding.
const bracketPlaces = 8

var bracketHalfWidth = decimal.New(1, -bracketPlaces)

func (dm *dustMemo) remember(m *Manager, size decimal.Decimal) {
	p := m.d.Product
	*dm = dustMemo{set: true, size: size, always: p.Dust(size, decimal.Zero)}
	if dm.always || !p.QuoteMinSize.IsPositive() {
		return
	}
	line := p.QuoteMinSize.DivRound(p.RoundSize(size), bracketPlaces)
	dm.lo, dm.hi = line.Sub(bracketHalfWidth), line.Add(bracketHalfWidth)
}

package sim

import (
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// bal returns cur's balance, creating it at zero. Callers hold mu.
func (x *Exchange) bal(cur string) *balance {
	b := x.balances[cur]
	if b == nil {
		b = &balance{}
		x.balances[cur] = b
	}
	return b
}

// need rejects with INSUFFICIENT_FUND unless cur has amount available.
func (x *Exchange) need(cur string, amount decimal.Decimal) error {
	avail := decimal.Zero
	if b := x.balances[cur]; b != nil {
		avail = b.available
	}
	if avail.LessThan(amount) {
		return &exchange.RejectError{
			Reason:  exchange.ReasonInsufficientFund,
			Message: "needs " + amount.String() + " " + cur + ", available " + avail.String(),
		}
	}
	return nil
}

// buyHold is what a buy of size at limit reserves: enough quote for the
// value and the higher fee rate, so that the fill is always covered.
func (x *Exchange) buyHold(limit, size decimal.Decimal) decimal.Decimal {
	return limit.Mul(size).Mul(x.holdCost)
}

// holdFor returns the currency and amount an open order reserves.
func (x *Exchange) holdFor(p exchange.Product, side exchange.Side, limit, size decimal.Decimal) (string, decimal.Decimal) {
	if side == exchange.Buy {
		return p.QuoteCurrency, x.buyHold(limit, size)
	}
	return p.BaseCurrency, size
}

// putHold moves amount of cur from available to hold for o. The caller has
// checked the funds with need.
func (x *Exchange) putHold(o *order, cur string, amount decimal.Decimal) {
	b := x.bal(cur)
	b.available = b.available.Sub(amount)
	b.hold = b.hold.Add(amount)
	o.hold, o.holdCurrency = amount, cur
}

// releaseHold gives o's reservation back to available.
func (x *Exchange) releaseHold(o *order) {
	if o.holdCurrency == "" {
		return
	}
	b := x.bal(o.holdCurrency)
	b.available = b.available.Add(o.hold)
	b.hold = b.hold.Sub(o.hold)
	o.hold, o.holdCurrency = decimal.Zero, ""
}

// settle moves the balances for a fill of size at price with fee: a buy
// spends value + fee of quote and receives size of base; a sell gives
// size of base and receives value - fee.
func (x *Exchange) settle(p exchange.Product, side exchange.Side, size, value, fee decimal.Decimal) {
	base, quote := x.bal(p.BaseCurrency), x.bal(p.QuoteCurrency)
	if side == exchange.Buy {
		quote.available = quote.available.Sub(value).Sub(fee)
		base.available = base.available.Add(size)
		return
	}
	base.available = base.available.Sub(size)
	quote.available = quote.available.Add(value).Sub(fee)
}

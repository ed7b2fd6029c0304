package sim

import (
	"context"
	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// reporter is the part of testing.TB and rapid.T that checkInvariants
// uses.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkInvariants verifies what must hold after any sequence of orders and
// ticks: funds are conserved (every currency's total is the start plus
// the fills' flows), holds are exactly what open orders reserve, nothing
// is negative, every fill belongs to one filled order, and no client order
// id has two orders.
func checkInvariants(t reporter, x *Exchange, start map[string]decimal.Decimal) {
	t.Helper()
	ctx := context.Background()
	total := map[string]decimal.Decimal{}
	for cur, v := range start {
		total[cur] = v
	}
	products := map[string]exchange.Product{}
	for _, p := range x.Products() {
		products[p.ID] = p
	}
	fillsOf := map[string]int{}
	filled := map[string]decimal.Decimal{}
	for _, f := range x.Fills() {
		p := products[f.ProductID]
		fillsOf[f.OrderID]++
		filled[f.OrderID] = filled[f.OrderID].Add(f.Size)
		if f.Side == exchange.Buy {
			total[p.QuoteCurrency] = total[p.QuoteCurrency].Sub(f.Value()).Sub(f.Fee)
			total[p.BaseCurrency] = total[p.BaseCurrency].Add(f.Size)
		} else {
			total[p.QuoteCurrency] = total[p.QuoteCurrency].Add(f.Value()).Sub(f.Fee)
			total[p.BaseCurrency] = total[p.BaseCurrency].Sub(f.Size)
		}
	}
	maxRate := decimal.Max(x.fees.Maker, x.fees.Taker)
	hold := map[string]decimal.Decimal{}
	seen := map[string]bool{}
	for _, o := range x.Orders() {
		if o.ClientOrderID != "" {
			if seen[o.ClientOrderID] {
				t.Errorf("client order id %s has two orders", o.ClientOrderID)
			}
			seen[o.ClientOrderID] = true
		}
		if !filled[o.ID].Equal(o.FilledSize) {
			t.Errorf("order %s shows filled %s, its fills add up to %s", o.ID, o.FilledSize, filled[o.ID])
		}
		switch n := fillsOf[o.ID]; {
		case n != o.NumberOfFills:
			t.Errorf("order %s has %d fills but number of fills %d", o.ID, n, o.NumberOfFills)
		case n > 1 && !x.partial:
			t.Errorf("order %s has %d fills without partial fills", o.ID, n)
		case n > 0 && o.Status != exchange.StatusFilled && !x.partial:
			t.Errorf("order %s has a fill but is %s", o.ID, o.Status)
		case n == 0 && o.Status == exchange.StatusFilled:
			t.Errorf("order %s is FILLED without a fill", o.ID)
		}
		if o.Status == exchange.StatusQueued {
			// A queued market order holds what it cost when it came;
			// its fields do not say, so the exchange's own figure is
			// checked against the balances with everything else.
			if cur, amount, err := x.OrderHold(o.ID); err == nil && cur != "" {
				hold[cur] = hold[cur].Add(amount)
			}
			continue
		}
		if o.Status != exchange.StatusOpen && o.Status != exchange.StatusEditQueued {
			continue
		}
		p := products[o.ProductID]
		rest := o.BaseSize.Sub(o.FilledSize)
		if o.Side == exchange.Buy {
			hold[p.QuoteCurrency] = hold[p.QuoteCurrency].Add(o.LimitPrice.Mul(rest).Mul(decimal.NewFromInt(1).Add(maxRate)))
		} else {
			hold[p.BaseCurrency] = hold[p.BaseCurrency].Add(rest)
		}
	}
	bals, _ := x.Balances(ctx)
	for _, b := range bals {
		if b.Available.IsNegative() || b.Hold.IsNegative() {
			t.Errorf("%s is negative: available %s hold %s", b.Currency, b.Available, b.Hold)
		}
		if !b.Hold.Equal(hold[b.Currency]) {
			t.Errorf("%s hold = %s, open orders reserve %s", b.Currency, b.Hold, hold[b.Currency])
		}
		if !b.Total().Equal(total[b.Currency]) {
			t.Errorf("%s total = %s, start plus fills = %s", b.Currency, b.Total(), total[b.Currency])
		}
	}
}

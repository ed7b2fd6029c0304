package strategy

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// PlannedOrder is one kind of order a strategy's parameters size, for
// `tradebot check` to hold to the product's bounds before the venue
// refuses every order of that kind.
type PlannedOrder struct {
	// Field is the parameter that sets the size, as the config spells it
	// under params ("order_quote"); empty for the instance's size (the
	// config's size:).
	Field string
	// What names the orders in the user's words ("scheduled buy").
	What string
	// Type is Market or Limit.
	Type OrderType
	// Size is in quote or in base.
	Size Size
	// Price is the limit price the orders rest at when the parameters fix
	// it (a grid's levels); zero when the market sets it.
	Price decimal.Decimal
}

// OrderPlanner is implemented by the Params of a strategy whose orders are
// not all one market entry of the instance's size: PlannedOrders lists
// the kinds of order it places and their sizes, given the instance's
// size. A strategy whose Params do not implement it places market
// entries of the instance's size.
type OrderPlanner interface {
	PlannedOrders(size Size) []PlannedOrder
}

// PlannedOrders implements OrderPlanner: the scheduled buy spends
// order_quote at market; the safety buys rest under the average entry,
// the first spending order_quote × safety_scale and the last the most.
func (p *DCAParams) PlannedOrders(Size) []PlannedOrder {
	out := []PlannedOrder{{Field: "order_quote", What: "scheduled buy", Type: Market, Size: Size{Quote: p.OrderQuote}}}
	if p.SafetyOrders < 1 {
		return out
	}
	scale := decimal.NewFromFloat(p.SafetyScale)
	ns := []int{1} // the first safety buy spends the least, the last the most
	if p.SafetyOrders > 1 {
		ns = append(ns, p.SafetyOrders)
	}
	for _, n := range ns {
		out = append(out, PlannedOrder{Field: "order_quote", Type: Limit, Size: Size{Quote: safetyQuote(p.OrderQuote, scale, n)},
			What: fmt.Sprintf("safety buy %d (order_quote × safety_scale^%d)", n, n)})
	}
	return out
}

// PlannedOrders implements OrderPlanner: each level but the top buys one
// lot of the instance's size at its price; the lowest and the highest of
// them bound what a lot is worth (and, sized in quote, what it buys).
func (p *GridParams) PlannedOrders(size Size) []PlannedOrder {
	if p.Levels < 2 || !p.Upper.GreaterThan(p.Lower) {
		return nil
	}
	prices := gridPrices(p.Lower, p.Upper, p.Levels)
	out := []PlannedOrder{{What: "buy at the lowest level (lower)", Type: Limit, Size: size, Price: prices[0]}}
	if top := prices[len(prices)-2]; !top.Equal(prices[0]) {
		out = append(out, PlannedOrder{What: "buy at the highest buying level", Type: Limit, Size: size, Price: top})
	}
	return out
}

// Package exchange defines what every venue provides and the types that
// cross the boundary between tradebot and a venue: products with their
// increments, order requests, orders, fills, balances, ticks and candles.
//
// Every price, size and amount is a decimal.Decimal (docs/INVARIANTS.md invariant
// 1). Strategy, exit and risk code depend on this package and on no venue;
// the venues (exchange/sim, exchange/coinbase) implement its interfaces.
package exchange

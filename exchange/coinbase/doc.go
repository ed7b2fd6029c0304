// Package coinbase is tradebot's client for Coinbase Advanced Trade: JWT
// authentication with CDP keys, a rate-limited REST client that implements
// exchange.Venue and exchange.Editor, and a WebSocket Feed that turns the
// market-data and user channels into exchange.Tick, exchange.Candle and
// exchange.OrderEvent values.
//
// The JSON shapes are exported (wire_*.go) so that a Coinbase emulator can
// produce exactly what this client reads. Money travels as Dec, a decimal
// that reads Coinbase's strings (including the empty string it sends for
// unset values) and never passes through float64.
//
// Outcomes of order placement follow exchange.Trader: a *exchange.RejectError
// is a definite refusal; any error wrapping ErrOutcomeUnknown means the
// order may exist and must be resolved with OrderByClientID.
package coinbase

// Package live holds the end-to-end tests of live trading: the real
// tradebot binary, in live mode, against the Coinbase emulator
// (exchange/coinbase/emulator) on loopback. The tests check what a user
// with real money relies on: entries and exits happen, protective stops
// rest on the exchange, the daemon's positions and balances match the
// exchange's, no order is placed twice and no fill is lost under faults,
// secrets never reach output, and unsafe keys are refused at start-up.
package live

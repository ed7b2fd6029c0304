// Package crash holds the crash-safety tests: the real tradebot binary, in
// live mode, against the Coinbase emulator on loopback, killed with
// SIGKILL at random moments (orders in flight, exits being moved) and
// restarted on the same state_dir, then compared with the emulator's own
// books: no client_order_id used twice, no fill missing from the journal,
// the journal's PnL equal to the emulator account's, every open position
// protected. See docs/JOURNAL.md, "Crash safety".
package crash

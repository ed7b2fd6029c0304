// Package risk is the guard every order intent passes before it reaches an
// exchange: per-order sanity and price collar, exposure, open-order,
// entry-count and rate limits per account, strategy and product, loss
// limits that move the trading state from ACTIVE to REDUCING or HALTED,
// stale-data protection, and the kill switch (HTTP, flag file, signal).
//
// The guard decides fast and explains every decision with a Decision
// value; the engine turns decisions into logs and metrics, so this package
// imports no Prometheus. It knows the exchange types and the clock, and no
// venue.
//
// Exits are never blocked by it (docs/INVARIANTS.md invariant 3): an intent marked
// ReduceOnly that shrinks a known position passes every exposure, rate,
// loss, stale-data and state limit and the price collar; only the product
// sanity checks apply to it. docs/RISK.md describes every rule for users.
package risk

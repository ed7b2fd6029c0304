// Package metrics defines every Prometheus metric tradebot exposes, in one
// place, and serves them over HTTP with the exporter-toolkit's TLS and
// basic-auth support.
//
// The engine, the risk guard, the feeds and the REST client record values
// through a *Metrics made by New on a caller-given registry; nothing is
// registered globally, so tests and backtests can run several side by side.
// Label values come from small closed sets (strategy, product, side, type,
// status, reason, rule, verdict, endpoint, code): never order ids or prices,
// because each distinct value is a series Prometheus keeps forever.
//
// The hot path (a tick arriving, a tick-to-order latency) costs a map load
// and a few atomic operations; callers that want less keep the handles
// returned by Product and Instance.
//
// docs/METRICS.md lists every metric with its type, labels and meaning.
package metrics

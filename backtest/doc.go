// Package backtest runs a config's strategies over recorded market data
// with exactly the live daemon's engine, exits and risk guard, on the
// simulated exchange and a simulated clock set from the data, and writes
// the reports (summary.json, trades.csv, report.html, sweep.csv).
//
// A run is one goroutine: for every tick, the clock is set to the tick's
// time, the simulated exchange matches resting orders on it, the engine
// routes it and Drain runs the strategies and exits until nothing is
// left to do. That makes a run deterministic: the same config and data
// give byte-identical reports. Sweeps run one such engine per parameter
// combination, in parallel.
//
// The fill model (paths inside candles, gaps, fees, slippage) is
// documented for users in docs/BACKTEST.md.
package backtest

// Package indicator holds streaming technical indicators for strategies:
// each reads one closed bar at a time (Update), costs O(1) per bar
// (windows of highs and lows are monotonic queues, amortized O(1); CCI is
// O(period), see its doc) and allocates nothing after construction, so a
// strategy can feed it every bar of a live run or a year-long backtest.
//
// Indicators compute in float64: a strategy compares their values but
// never puts them on an order, which stays decimal.
//
// Values are checked against TA-Lib where TA-Lib has the indicator
// (testdata/golden holds the script, the data and the tolerances);
// docs/INDICATORS.md says which definition each follows.
package indicator

package backtest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tradebot/tradebot/internal/echo"
)

// Metric is a figure of a run that a sweep can rank by.
type Metric struct {
	Name string
	// Higher says whether a higher value is better.
	Higher bool
	value  func(Summary) float64
}

// Metrics are the figures --rank-by accepts.
var Metrics = []Metric{
	{"pnl", true, func(s Summary) float64 { return s.PnL.InexactFloat64() }},
	{"final_equity", true, func(s Summary) float64 { return s.FinalEquity.InexactFloat64() }},
	{"sharpe", true, func(s Summary) float64 { return s.Sharpe }},
	{"sortino", true, func(s Summary) float64 { return s.Sortino }},
	{"win_rate", true, func(s Summary) float64 { return s.WinRate }},
	{"trades", true, func(s Summary) float64 { return float64(s.Trades) }},
	{"max_drawdown", false, func(s Summary) float64 { return s.MaxDrawdown }},
	{"max_drawdown_pct", false, func(s Summary) float64 { return s.MaxDrawdownPct }},
	{"fees", false, func(s Summary) float64 { return s.Fees.InexactFloat64() }},
}

// metricNamed returns the metric of that name; "" is pnl.
func metricNamed(name string) (Metric, error) {
	if name == "" {
		name = "pnl"
	}
	for _, m := range Metrics {
		if m.Name == name {
			return m, nil
		}
	}
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = m.Name
	}
	return Metric{}, fmt.Errorf("--rank-by %q: want one of %s", echo.Cut(name), strings.Join(names, ", "))
}

// Value returns the metric of s.
func (m Metric) Value(s Summary) float64 { return m.value(s) }

// better compares two summaries by m: negative when a ranks before b.
// Ties fall to the PnL (exact), then the Sharpe ratio.
func (m Metric) better(a, b Summary) int {
	va, vb := m.value(a), m.value(b)
	if c := cmp.Compare(va, vb); c != 0 {
		if m.Higher {
			return -c
		}
		return c
	}
	if c := a.PnL.Cmp(b.PnL); c != 0 {
		return -c
	}
	return -cmp.Compare(a.Sharpe, b.Sharpe)
}

// rankRows sorts rows best first by m; failed rows go last. Rows that
// compare equal keep combination order, so the ranking is the same
// however the rows were split into shards.
func rankRows(rows []SweepRow, m Metric) {
	slices.SortFunc(rows, func(a, b SweepRow) int {
		if (a.Err == nil) != (b.Err == nil) {
			if a.Err == nil {
				return -1
			}
			return 1
		}
		if a.Err == nil {
			if c := m.better(a.Summary, b.Summary); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Combination, b.Combination)
	})
}

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
	// ratio marks the Sharpe and Sortino ratios, which a run over
	// fewer than MinRatioDays daily returns does not show.
	ratio bool
}

// Metrics are the figures --rank-by accepts.
var Metrics = []Metric{
	{"pnl", true, func(s Summary) float64 { return s.PnL.InexactFloat64() }, false},
	{"final_equity", true, func(s Summary) float64 { return s.FinalEquity.InexactFloat64() }, false},
	{"sharpe", true, func(s Summary) float64 { return s.Sharpe }, true},
	{"sortino", true, func(s Summary) float64 { return s.Sortino }, true},
	{"win_rate", true, func(s Summary) float64 { return s.WinRate }, false},
	{"trades", true, func(s Summary) float64 { return float64(s.Trades) }, false},
	{"max_drawdown", false, func(s Summary) float64 { return s.MaxDrawdown }, false},
	{"max_drawdown_pct", false, func(s Summary) float64 { return s.MaxDrawdownPct }, false},
	{"fees", false, func(s Summary) float64 { return s.Fees.InexactFloat64() }, false},
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

// cell is the metric of s as a table shows it: a ratio the data is too
// short for is a dash, as the run's own report leaves it out.
func (m Metric) cell(s Summary) string {
	if m.ratio && !s.RatiosShown {
		return "-"
	}
	return fmt.Sprintf("%.3f", m.value(s))
}

// ratioNote is the line under a table some of whose rows (any, when
// short is true) left the Sharpe ratio out; "" when none did. Ranked by
// a ratio, the ranking is by a figure the data is too short for.
func ratioNote(short bool, rankBy Metric) string {
	if !short {
		return ""
	}
	note := fmt.Sprintf("-: not shown for fewer than %d daily returns of data, as in report.html", MinRatioDays)
	if rankBy.ratio {
		note += fmt.Sprintf("; the ranking by %s means little on so short a span", rankBy.Name)
	}
	return note
}

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

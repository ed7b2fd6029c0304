package backtest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
)

// Reports says which report files a run writes (--report).
type Reports string

// The report levels.
const (
	// ReportsNone writes no file: the summary is only printed.
	ReportsNone Reports = "none"
	// ReportsSummary writes summary.json and trades.csv.
	ReportsSummary Reports = "summary"
	// ReportsFull writes summary.json, trades.csv and report.html.
	ReportsFull Reports = "full"
)

// ParseReports reads a --report value.
func ParseReports(s string) (Reports, error) {
	switch r := Reports(s); r {
	case ReportsNone, ReportsSummary, ReportsFull:
		return r, nil
	}
	return "", fmt.Errorf("--report %q: want none, summary or full", echo.CutTo(s, 80))
}

// WriteReports writes summary.json, trades.csv and report.html of r into
// dir, creating dir. The files depend only on r, so equal runs give
// byte-identical files.
func WriteReports(dir string, r *Result) (Summary, error) { return ReportsFull.Write(dir, r) }

// Write writes the report files of level l of r into dir, creating dir
// unless l is ReportsNone, and returns the summary.
func (l Reports) Write(dir string, r *Result) (Summary, error) {
	s := Summarize(r)
	if l == ReportsNone {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return s, err
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, fmt.Errorf("summary.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(js, '\n'), 0o644); err != nil {
		return s, err
	}
	if err := writeFile(filepath.Join(dir, "trades.csv"), func(w io.Writer) error { return WriteTrades(w, r) }); err != nil {
		return s, err
	}
	if l == ReportsSummary {
		return s, nil
	}
	if err := writeFile(filepath.Join(dir, "report.html"), func(w io.Writer) error { return WriteHTML(w, r, s) }); err != nil {
		return s, err
	}
	return s, nil
}

// gapLine sums up a file's gaps in one line: the count, the candles
// missing and the largest gap (every gap is in summary.json).
func gapLine(f FileInfo) string {
	if len(f.Gaps) == 0 {
		return ""
	}
	largest, missing := f.Gaps[0], 0
	for _, g := range f.Gaps {
		missing += g.Missing
		if g.Missing > largest.Missing {
			largest = g
		}
	}
	span := fmt.Sprintf("%d candle(s) missing from %s to %s", largest.Missing,
		largest.From.Format(time.RFC3339), largest.To.Format(time.RFC3339))
	if len(f.Gaps) == 1 {
		return fmt.Sprintf("gap in %s: %s", f.Name, span)
	}
	return fmt.Sprintf("%d gaps in %s, %d candle(s) missing in all; the largest: %s (each gap is in summary.json)",
		len(f.Gaps), f.Name, missing, span)
}

func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// TradesHeader is the header row of trades.csv.
var TradesHeader = []string{"strategy", "product", "entry_time", "exit_time", "entry_price", "exit_price",
	"size", "fees", "pnl", "entry_reason", "exit_reason", "holding_seconds"}

// WriteTrades writes every round trip as a CSV row, in closing order,
// with exact decimals and RFC 3339 UTC times.
func WriteTrades(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(TradesHeader); err != nil {
		return err
	}
	for _, rt := range r.RoundTrips {
		row := []string{rt.Strategy, rt.ProductID, rt.EntryTime.UTC().Format(time.RFC3339Nano),
			rt.ExitTime.UTC().Format(time.RFC3339Nano), rt.EntryPrice.String(), rt.ExitPrice.String(),
			rt.Size.String(), rt.Fees.String(), rt.PnL.String(), rt.EntryReason, rt.ExitReason,
			strconv.FormatFloat(rt.Holding.Seconds(), 'f', -1, 64)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// PrintSummary writes the summary as an aligned table, with every gap in
// the data listed first.
func PrintSummary(w io.Writer, s Summary) {
	for _, f := range s.Files {
		if line := gapLine(f); line != "" {
			fmt.Fprintln(w, line)
		}
		if f.Widened > 0 {
			fmt.Fprintf(w, "%s: %d candle(s) had a high or low inside their open/close and were widened\n", f.Name, f.Widened)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	row("period", "%s .. %s", s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339))
	row("ticks", "%d (candle path %s)", s.Ticks, s.CandlePath)
	row("trades", "%d (%d won, %d lost)", s.Trades, s.Wins, s.Losses)
	row("win rate", "%.2f %%", s.WinRate*100)
	row("pnl", "%s (net of fees)", s.PnL.StringFixed(2))
	row("fees", "%s", s.Fees.StringFixed(2))
	row("equity", "%s -> %s", s.Capital.StringFixed(2), s.FinalEquity.StringFixed(2))
	if len(s.OpenPositions) > 0 {
		row("open at end", "%v (marked at the last price)", s.OpenPositions)
	}
	row("max drawdown", "%.2f (%.2f %%)", s.MaxDrawdown, s.MaxDrawdownPct*100)
	if s.RatiosShown {
		row("sharpe", "%.3f (daily returns x sqrt(365), %d days)", s.Sharpe, s.ReturnPeriods)
		row("sortino", "%.3f", s.Sortino)
	}
	row("exposure", "%.2f %% of the time", s.Exposure*100)
	for _, m := range s.Markets {
		row("market "+m.Product, "%s -> %s (%+.2f %%), buy and hold %+.2f", fmtPrice(m.First), fmtPrice(m.Last),
			m.Change*100, m.BuyAndHold)
	}
	for _, k := range sortedReasons(s.ExitReasons) {
		row("exits: "+k, "%d", s.ExitReasons[k])
	}
	tw.Flush()
	if len(s.ByStrategy) > 1 || len(s.ByProduct) > 1 {
		printBreakdowns(w, "strategy", s.ByStrategy)
		printBreakdowns(w, "product", s.ByProduct)
	}
	for _, m := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
}

// printBreakdowns writes one table row per strategy or product.
func printBreakdowns(w io.Writer, what string, bs []Breakdown) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\ttrades\twin rate\tpnl\tfees\tavg holding\tmax drawdown\texposure\t\n", what)
	for _, b := range bs {
		fmt.Fprintf(tw, "%s\t%d\t%.1f %%\t%s\t%s\t%s\t%.2f\t%.1f %%\t\n", b.Name, b.Trades, b.WinRate*100,
			b.PnL.StringFixed(2), b.Fees.StringFixed(2), fmtHolding(b.AvgHolding), b.MaxDrawdown, b.Exposure*100)
	}
	tw.Flush()
}

// fmtHolding formats a holding time to the second.
func fmtHolding(d time.Duration) string { return d.Round(time.Second).String() }

// fmtPrice formats a price with up to 8 significant decimals.
func fmtPrice(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

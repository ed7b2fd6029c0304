package backtest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/internal/echo"
)

// WalkForwardOptions are the windows of a walk-forward test: the sweep
// picks its best combination on InSample of data, that combination is
// run on the OutOfSample that follows, and the windows roll forward by
// OutOfSample until the data ends.
type WalkForwardOptions struct {
	InSample, OutOfSample time.Duration
}

// ParseWalkForward parses "IN/OUT", each a Go duration or a number of
// days ("30d/7d", "72h/24h").
func ParseWalkForward(s string) (WalkForwardOptions, error) {
	in, out, ok := strings.Cut(s, "/")
	is, err1 := parseDays(in)
	oos, err2 := parseDays(out)
	if !ok || err1 != nil || err2 != nil || is <= 0 || oos <= 0 {
		return WalkForwardOptions{}, fmt.Errorf("%q: want IN/OUT, the in-sample and out-of-sample lengths, such as 21d/7d or 48h/12h", echo.Cut(s))
	}
	return WalkForwardOptions{InSample: is, OutOfSample: oos}, nil
}

func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}

// WalkWindow is one window of a walk-forward test.
type WalkWindow struct {
	InFrom, InTo, OutFrom, OutTo time.Time
	// Best is the in-sample winner, with its in-sample summary.
	Best SweepRow
	// Out is the summary of Best's config run out of sample.
	Out Summary
	// Err says why the window has no out-of-sample result: no
	// combination ran in sample, or the run out of sample failed.
	Err error
}

// WalkForward runs the sweep of axes on each in-sample window of d (a
// loaded Data) and the best combination, by o.RankBy, on the
// out-of-sample window after it. A strategy that only fits its past
// shows it here: good in sample, poor out of it.
func WalkForward(ctx context.Context, name string, raw []byte, lookupEnv func(string) (string, bool), axes []Axis, d *Data,
	o SweepOptions, wf WalkForwardOptions) ([]WalkWindow, error) {
	if o.Shard.N > 1 {
		return nil, errors.New("a walk-forward test runs whole: --shard is for a plain sweep")
	}
	first, last := d.Span()
	var windows []WalkWindow
	for from := first; ; from = from.Add(wf.OutOfSample) {
		w := WalkWindow{InFrom: from, InTo: from.Add(wf.InSample)}
		w.OutFrom, w.OutTo = w.InTo, w.InTo.Add(wf.OutOfSample)
		if w.OutFrom.After(last) {
			break
		}
		windows = append(windows, w)
	}
	if len(windows) == 0 {
		return nil, fmt.Errorf("the data spans %s, less than the in-sample window %s: no out-of-sample window is left",
			fmtSpan(last.Sub(first).Round(time.Minute)), fmtSpan(wf.InSample))
	}
	progress := o.Progress
	for i := range windows {
		w := &windows[i]
		if progress != nil {
			o.Progress = func(done, total int) { progress(i*total+done, len(windows)*total) }
		}
		res, err := Sweep(ctx, name, raw, lookupEnv, axes, d.Window(w.InFrom, w.InTo), o)
		if err != nil {
			return nil, err
		}
		best, ok := res.Best()
		if !ok {
			w.Err = fmt.Errorf("no combination ran in sample: %v", res.Rows[0].Err)
			continue
		}
		w.Best = best
		// The out-of-sample run continues from the in-sample data as a
		// live start would: the data before it warms the strategies up.
		warm, err := WarmUpPeriod(best.Config)
		if err != nil {
			w.Err = err
			continue
		}
		oos := d.Window(w.OutFrom.Add(-warm), w.OutTo)
		if warm > 0 {
			oos.warmUntil = w.OutFrom
		}
		out, err := runGuarded(ctx, best.Config, oos)
		if err != nil {
			w.Err = err
			continue
		}
		w.Out = Summarize(out)
	}
	return windows, ctx.Err()
}

// WalkForwardCSV is the file a walk-forward test writes.
const WalkForwardCSV = "walkforward.csv"

// WriteWalkForward writes walkforward.csv into dir.
func WriteWalkForward(dir string, axes []Axis, rankBy string, windows []WalkWindow) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, WalkForwardCSV), func(w io.Writer) error {
		return WriteWalkForwardCSV(w, axes, rankBy, windows)
	})
}

// WriteWalkForwardCSV writes one row per window: its times, the chosen
// values, and the ranking metric and PnL in and out of sample.
func WriteWalkForwardCSV(w io.Writer, axes []Axis, rankBy string, windows []WalkWindow) error {
	m, err := metricNamed(rankBy)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := []string{"window", "in_from", "in_to", "out_from", "out_to"}
	for _, a := range axes {
		head = append(head, a.Key())
	}
	head = append(head, "in_"+m.Name, "out_"+m.Name, "in_pnl", "out_pnl", "in_trades", "out_trades", "error")
	if err := cw.Write(head); err != nil {
		return err
	}
	for i, win := range windows {
		rec := []string{strconv.Itoa(i + 1), win.InFrom.UTC().Format(time.RFC3339), win.InTo.UTC().Format(time.RFC3339),
			win.OutFrom.UTC().Format(time.RFC3339), win.OutTo.UTC().Format(time.RFC3339)}
		vals := win.Best.Values
		if vals == nil {
			vals = make(Combination, len(axes))
		}
		rec = append(rec, vals...)
		errText := ""
		if win.Err != nil {
			errText = win.Err.Error()
		}
		rec = append(rec, fx(m.Value(win.Best.Summary)), fx(m.Value(win.Out)), win.Best.Summary.PnL.String(), win.Out.PnL.String(),
			strconv.Itoa(win.Best.Summary.Trades), strconv.Itoa(win.Out.Trades), errText)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// PrintWalkForward writes the windows as a table and the totals in and
// out of sample.
func PrintWalkForward(w io.Writer, axes []Axis, rankBy string, windows []WalkWindow) {
	m, err := metricNamed(rankBy)
	if err != nil {
		fmt.Fprintln(w, err)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "window\tin sample from\tout of sample from\t")
	for _, a := range axes {
		fmt.Fprint(tw, a.Key(), "\t")
	}
	// Ranked by PnL, the metric's columns would be the PnL's again.
	byPnL := m.Name == "pnl"
	if !byPnL {
		fmt.Fprintf(tw, "in %s\tout %s\t", m.Name, m.Name)
	}
	fmt.Fprint(tw, "in pnl\tout pnl\t\n")
	var in, out decimal.Decimal
	var inDays, outDays float64
	short := false
	for i, win := range windows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t", i+1, win.InFrom.UTC().Format("2006-01-02 15:04"), win.OutFrom.UTC().Format("2006-01-02 15:04"))
		if win.Err != nil {
			for range axes {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprintf(tw, "  error: %s\n", oneLine(win.Err))
			continue
		}
		for _, v := range win.Best.Values {
			fmt.Fprint(tw, v, "\t")
		}
		if !byPnL {
			fmt.Fprintf(tw, "%s\t%s\t", m.cell(win.Best.Summary), m.cell(win.Out))
			short = short || (m.ratio && (!win.Best.Summary.RatiosShown || !win.Out.RatiosShown))
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", win.Best.Summary.PnL.StringFixed(2), win.Out.PnL.StringFixed(2))
		in, out = in.Add(win.Best.Summary.PnL), out.Add(win.Out.PnL)
		inDays += win.InTo.Sub(win.InFrom).Hours() / 24
		outDays += win.OutTo.Sub(win.OutFrom).Hours() / 24
	}
	tw.Flush()
	if note := ratioNote(short, m); note != "" {
		fmt.Fprintln(w, note)
	}
	if inDays > 0 && outDays > 0 {
		fmt.Fprintf(w, "pnl per day: %s in sample, %s out of sample (a large fall out of sample is overfitting)\n",
			in.Div(decimal.NewFromFloat(inDays)).StringFixed(2), out.Div(decimal.NewFromFloat(outDays)).StringFixed(2))
	}
}

package backtest

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/internal/echo"
)

// The files a sweep writes into its directory.
const (
	SweepCSV  = "sweep.csv"
	SweepJSON = "sweep.json"
	// SweepBest is the directory of the best combination's reports.
	SweepBest = "best"
)

// sweepColumns follow the axes in sweep.csv. Numbers are written in full
// (shortest exact form), so that rows read back rank exactly as they did.
var sweepColumns = []string{"trades", "win_rate", "pnl", "fees", "final_equity", "max_drawdown", "max_drawdown_pct",
	"sharpe", "sortino", "exposure", "entries_not_placed", "error"}

// sweepMeta is sweep.json: what a slice of a sweep is a slice of, so
// that merging checks the slices belong together and none is missing.
type sweepMeta struct {
	Axes         []sweepAxis `json:"axes"`
	RankBy       string      `json:"rank_by"`
	Combinations int         `json:"combinations"`
	Grid         int         `json:"grid"`
	Shard        string      `json:"shard,omitempty"`
	Rows         int         `json:"rows"`
	// BestReports is the combination whose reports are in SweepBest.
	BestReports int `json:"best_reports,omitempty"`
}

type sweepAxis struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// WriteSweep writes sweep.csv and sweep.json of r into dir.
func WriteSweep(dir string, r *SweepResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeSweepMeta(dir, r); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, SweepCSV), func(w io.Writer) error { return WriteSweepCSV(w, r.Axes, r.Rows) })
}

func writeSweepMeta(dir string, r *SweepResult) error {
	m := sweepMeta{RankBy: r.RankBy, Combinations: r.Total, Grid: r.Grid, Shard: r.Shard.String(), Rows: len(r.Rows),
		BestReports: r.BestReports}
	for _, a := range r.Axes {
		m.Axes = append(m.Axes, sweepAxis{Key: a.Key(), Values: a.Values})
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, SweepJSON), append(js, '\n'), 0o644)
}

// WriteBestReports runs r's best combination again over d, charts and
// all, writes its full reports into dir's SweepBest, and records them in
// dir's sweep.json, written before by WriteSweep. It returns false when
// every combination failed. A slice of a sharded sweep does this for
// its own best, so that merging the slices finds the whole sweep's.
func WriteBestReports(ctx context.Context, dir string, r *SweepResult, d *Data) (bool, error) {
	best, ok := r.Best()
	if !ok {
		return false, nil
	}
	res, err := Run(ctx, best.Config, d, RunOptions{})
	if err != nil {
		return false, err
	}
	if _, err := WriteReports(filepath.Join(dir, SweepBest), res); err != nil {
		return false, err
	}
	r.BestReports = best.Combination
	return true, writeSweepMeta(dir, r)
}

// CopyBestReports copies into dir's SweepBest the reports of the merged
// sweep r's best combination, which the slice that ran it wrote
// (WriteBestReports), and records them in dir's sweep.json, written
// before by WriteSweep. It returns the slice's directory of the reports,
// or "" when that slice has none (it ran with --report none).
func CopyBestReports(dir string, r *SweepResult) (string, error) {
	if r.bestFrom == "" {
		return "", nil
	}
	dst := filepath.Join(dir, SweepBest)
	from, err1 := filepath.Abs(r.bestFrom)
	to, err2 := filepath.Abs(dst)
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	if from != to {
		// Reports of an earlier merge into dir would mix with these.
		if err := os.RemoveAll(dst); err != nil {
			return "", err
		}
		if err := os.CopyFS(dst, os.DirFS(r.bestFrom)); err != nil {
			return "", fmt.Errorf("the best combination's reports: %w", err)
		}
	}
	best, _ := r.Best()
	r.BestReports = best.Combination
	return r.bestFrom, writeSweepMeta(dir, r)
}

// WriteSweepCSV writes the ranked rows: rank, the combination's number,
// one column per axis, the headline numbers, and the error of a
// combination that failed.
func WriteSweepCSV(w io.Writer, axes []Axis, rows []SweepRow) error {
	cw := csv.NewWriter(w)
	head := []string{"rank", "combination"}
	for _, a := range axes {
		head = append(head, a.Key())
	}
	if err := cw.Write(append(head, sweepColumns...)); err != nil {
		return err
	}
	for i, r := range rows {
		rec := append([]string{strconv.Itoa(i + 1), strconv.Itoa(r.Combination)}, r.Values...)
		s := r.Summary
		errText := ""
		if r.Err != nil {
			errText = r.Err.Error()
		}
		rec = append(rec, strconv.Itoa(s.Trades), fx(s.WinRate), s.PnL.String(), s.Fees.String(), s.FinalEquity.String(),
			fx(s.MaxDrawdown), fx(s.MaxDrawdownPct), fx(s.Sharpe), fx(s.Sortino), fx(s.Exposure), strconv.Itoa(r.NotPlaced), errText)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func fx(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// MergeSweeps reads the slices of one sweep (directories written by
// WriteSweep with --shard K/N, every K once) and ranks their rows
// together, as the sweep run whole would have.
func MergeSweeps(dirs []string) (*SweepResult, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no sweep directory given")
	}
	var first sweepMeta
	var res *SweepResult
	seenShard := map[int]string{}
	seenCombo := map[int]string{}
	bestReports := map[string]int{} // of each slice, its BestReports
	for i, dir := range dirs {
		m, rows, axes, err := readSweep(dir)
		if err != nil {
			return nil, err
		}
		bestReports[dir] = m.BestReports
		sh, err := ParseShard(m.Shard)
		if m.Shard == "" || err != nil {
			return nil, fmt.Errorf("%s: not a slice of a sharded sweep (no shard K/N in %s)", dir, SweepJSON)
		}
		if i == 0 {
			first = m
			res = &SweepResult{Axes: axes, Total: m.Combinations, Grid: m.Grid, RankBy: m.RankBy}
		} else if !sameSweep(first, m) {
			return nil, fmt.Errorf("%s is a slice of another sweep than %s (axes, ranking or size differ)", dir, dirs[0])
		}
		if sh.N != len(dirs) {
			return nil, fmt.Errorf("%s is shard %s: merge all %d slices together (the command was given %d)", dir, m.Shard, sh.N, len(dirs))
		}
		if other, ok := seenShard[sh.K]; ok {
			return nil, fmt.Errorf("%s and %s are both shard %s", other, dir, m.Shard)
		}
		seenShard[sh.K] = dir
		for _, r := range rows {
			if other, ok := seenCombo[r.Combination]; ok {
				return nil, fmt.Errorf("combination %d is in %s and in %s", r.Combination, other, dir)
			}
			seenCombo[r.Combination] = dir
		}
		res.Rows = append(res.Rows, rows...)
	}
	if len(res.Rows) != res.Total {
		return nil, fmt.Errorf("the slices hold %d combinations of %d: a slice is incomplete", len(res.Rows), res.Total)
	}
	rank, err := metricNamed(res.RankBy)
	if err != nil {
		return nil, err
	}
	rankRows(res.Rows, rank)
	// Ranks are a total order, so the best of the whole is the best of
	// its slice: the one whose reports that slice wrote.
	if best, ok := res.Best(); ok {
		if dir := seenCombo[best.Combination]; bestReports[dir] == best.Combination {
			res.bestFrom = filepath.Join(dir, SweepBest)
		}
	}
	return res, nil
}

func sameSweep(a, b sweepMeta) bool {
	return a.RankBy == b.RankBy && a.Combinations == b.Combinations && a.Grid == b.Grid &&
		slices.EqualFunc(a.Axes, b.Axes, func(x, y sweepAxis) bool { return x.Key == y.Key && slices.Equal(x.Values, y.Values) })
}

// readSweep reads a directory written by WriteSweep.
func readSweep(dir string) (sweepMeta, []SweepRow, []Axis, error) {
	var m sweepMeta
	b, err := os.ReadFile(filepath.Join(dir, SweepJSON))
	if err != nil {
		return m, nil, nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, SweepJSON), err)
	}
	var axes []Axis
	for _, a := range m.Axes {
		keys := strings.Split(a.Key, ".")
		if len(keys) < 2 {
			return m, nil, nil, fmt.Errorf("%s: axis %q", filepath.Join(dir, SweepJSON), echo.Cut(a.Key))
		}
		axes = append(axes, Axis{Strategy: keys[0], Path: keys[1:], Values: a.Values})
	}
	name := filepath.Join(dir, SweepCSV)
	f, err := os.Open(name)
	if err != nil {
		return m, nil, nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return m, nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	width := 2 + len(axes) + len(sweepColumns)
	if len(recs) == 0 || len(recs[0]) != width {
		return m, nil, nil, fmt.Errorf("%s: want a header of %d columns", name, width)
	}
	rows := make([]SweepRow, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		r, err := parseSweepRow(rec, len(axes))
		if err != nil {
			return m, nil, nil, fmt.Errorf("%s line %d: %w", name, i+2, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != m.Rows {
		return m, nil, nil, fmt.Errorf("%s has %d rows, %s says %d: the slice is incomplete", name, len(rows), SweepJSON, m.Rows)
	}
	return m, rows, axes, nil
}

// parseSweepRow reads back one row of WriteSweepCSV.
func parseSweepRow(rec []string, axes int) (SweepRow, error) {
	var r SweepRow
	var errs []error
	num := func(col int, name string) float64 {
		f, err := strconv.ParseFloat(rec[col], 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a number", name, echo.Cut(rec[col])))
		}
		return f
	}
	dec := func(col int, name string) decimal.Decimal {
		d, err := decimal.NewFromString(rec[col])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a number", name, echo.Cut(rec[col])))
		}
		return d
	}
	integer := func(col int, name string) int {
		n, err := strconv.Atoi(rec[col])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a whole number", name, echo.Cut(rec[col])))
		}
		return n
	}
	r.Combination = integer(1, "combination")
	r.Values = append(Combination{}, rec[2:2+axes]...)
	c := 2 + axes
	s := &r.Summary
	s.Trades = integer(c, "trades")
	s.WinRate = num(c+1, "win_rate")
	s.PnL, s.Fees, s.FinalEquity = dec(c+2, "pnl"), dec(c+3, "fees"), dec(c+4, "final_equity")
	s.MaxDrawdown, s.MaxDrawdownPct = num(c+5, "max_drawdown"), num(c+6, "max_drawdown_pct")
	s.Sharpe, s.Sortino, s.Exposure = num(c+7, "sharpe"), num(c+8, "sortino"), num(c+9, "exposure")
	r.NotPlaced = integer(c+10, "entries_not_placed")
	if e := rec[c+11]; e != "" {
		r.Err = errors.New(e)
	}
	return r, errors.Join(errs...)
}

// oneLine is an error's text on one line, for a row of a table: a
// config's problems span lines.
func oneLine(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

// PrintSweep writes the ranked rows as a table.
func PrintSweep(w io.Writer, r *SweepResult) {
	what := fmt.Sprintf("%d combinations", r.Total)
	if r.Total < r.Grid {
		what = fmt.Sprintf("%d combinations drawn at random of %d", r.Total, r.Grid)
	}
	if r.Shard.N > 1 {
		what += fmt.Sprintf(", shard %s: %d of them", r.Shard, len(r.Rows))
	}
	fmt.Fprintf(w, "%s, ranked by %s\n", what, r.RankBy)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "rank\t")
	for _, a := range r.Axes {
		fmt.Fprint(tw, a.Key(), "\t")
	}
	fmt.Fprintln(tw, "trades\twin %\tpnl\tfees\tmax dd\tsharpe\tnot placed\t")
	sharpe, _ := metricNamed("sharpe")
	short := false
	for i, row := range r.Rows {
		fmt.Fprintf(tw, "%d\t", i+1)
		for _, v := range row.Values {
			fmt.Fprint(tw, v, "\t")
		}
		if row.Err != nil {
			// Out of the columns (no closing tab): as a cell its width
			// pushed every column of the table off the screen.
			fmt.Fprintf(tw, "  error: %s\n", oneLine(row.Err))
			continue
		}
		s := row.Summary
		short = short || !s.RatiosShown
		fmt.Fprintf(tw, "%d\t%.1f\t%s\t%s\t%.2f\t%s\t%d\t\n", s.Trades, s.WinRate*100, s.PnL.StringFixed(2),
			s.Fees.StringFixed(2), s.MaxDrawdown, sharpe.cell(s), row.NotPlaced)
	}
	tw.Flush()
	rankBy, _ := metricNamed(r.RankBy)
	if note := ratioNote(short, rankBy); note != "" {
		fmt.Fprintln(w, note)
	}
}

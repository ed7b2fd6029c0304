package backtest

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"gopkg.in/yaml.v3"

	"github.com/tradebot/tradebot/config"
)

// Axis is one swept setting: a strategy instance's YAML path and the
// values it takes.
type Axis struct {
	// Strategy is the instance name; Path the keys below it, such as
	// ["params", "fast"] or ["exits", "stop_loss", "percent"].
	Strategy string
	Path     []string
	Values   []string
}

// Key returns the axis as written in the spec: name.path.to.key.
func (a Axis) Key() string { return a.Strategy + "." + strings.Join(a.Path, ".") }

// ParseSweep parses "btc-sma.params.fast=3,5,8;btc-sma.params.slow=10,20".
func ParseSweep(spec string) ([]Axis, error) {
	var axes []Axis
	for i, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, vals, ok := strings.Cut(part, "=")
		keys := strings.Split(strings.TrimSpace(key), ".")
		if !ok || len(keys) < 2 || vals == "" {
			return nil, fmt.Errorf("sweep part %d %q: want strategy.path.key=v1,v2,...", i+1, part)
		}
		a := Axis{Strategy: keys[0], Path: keys[1:]}
		for _, v := range strings.Split(vals, ",") {
			if v = strings.TrimSpace(v); v == "" {
				return nil, fmt.Errorf("sweep part %d %q: empty value", i+1, part)
			}
			a.Values = append(a.Values, v)
		}
		axes = append(axes, a)
	}
	if len(axes) == 0 {
		return nil, fmt.Errorf("sweep %q has no settings", spec)
	}
	return axes, nil
}

// Combination is one point of the grid: a value per axis, in axis order.
type Combination []string

// grid returns every combination, the last axis varying fastest.
func grid(axes []Axis) []Combination {
	out := []Combination{{}}
	for _, a := range axes {
		var next []Combination
		for _, c := range out {
			for _, v := range a.Values {
				next = append(next, append(append(Combination{}, c...), v))
			}
		}
		out = next
	}
	return out
}

// SweepRow is the outcome of one combination.
type SweepRow struct {
	Values  Combination
	Summary Summary
	Err     error
}

// Sweep runs every combination of axes over d, each with the config of
// raw (the YAML file named name) with the combination's values written
// in, one single-threaded engine per combination and up to workers at
// once (0: every core). Rows come back ranked by PnL, then Sharpe, then
// in grid order, so equal inputs give equal tables.
func Sweep(ctx context.Context, name string, raw []byte, lookupEnv func(string) (string, bool), axes []Axis, d *Data, workers int) ([]SweepRow, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	combos := grid(axes)
	cfgs := make([]*config.Config, len(combos))
	for i, c := range combos {
		data, err := withValues(&doc, axes, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if cfgs[i], err = config.Load(fmt.Sprintf("%s with %s", name, describe(axes, c)), data, lookupEnv); err != nil {
			return nil, err
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rows := make([]SweepRow, len(combos))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rows[i].Values = combos[i]
				res, err := Run(ctx, cfgs[i], d, nil)
				if err != nil {
					rows[i].Err = err
					continue
				}
				rows[i].Summary = Summarize(res)
			}
		}()
	}
	for i := range combos {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if (a.Err == nil) != (b.Err == nil) {
			return a.Err == nil
		}
		if c := a.Summary.PnL.Cmp(b.Summary.PnL); c != 0 {
			return c > 0
		}
		return a.Summary.Sharpe > b.Summary.Sharpe
	})
	return rows, nil
}

func describe(axes []Axis, c Combination) string {
	parts := make([]string, len(axes))
	for i, a := range axes {
		parts[i] = a.Key() + "=" + c[i]
	}
	return strings.Join(parts, " ")
}

// withValues returns the YAML of doc with each axis set to its value in
// c; doc itself is not changed.
func withValues(doc *yaml.Node, axes []Axis, c Combination) ([]byte, error) {
	root := clone(doc)
	for i, a := range axes {
		if err := set(root, a, c[i]); err != nil {
			return nil, err
		}
	}
	return yaml.Marshal(root)
}

func clone(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = clone(k)
	}
	return &c
}

func set(root *yaml.Node, a Axis, value string) error {
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	strats := lookup(top, "strategies")
	if strats == nil || strats.Kind != yaml.SequenceNode {
		return fmt.Errorf("sweep %s: the config has no strategies list", a.Key())
	}
	var inst *yaml.Node
	for _, s := range strats.Content {
		if n := lookup(s, "name"); n != nil && n.Value == a.Strategy {
			inst = s
		}
	}
	if inst == nil {
		return fmt.Errorf("sweep %s: no strategy named %q", a.Key(), a.Strategy)
	}
	n := inst
	for i, k := range a.Path {
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("sweep %s: %s is not a mapping", a.Key(), strings.Join(a.Path[:i], "."))
		}
		child := lookup(n, k)
		if child == nil {
			// A key the file leaves to its default is added.
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if i == len(a.Path)-1 {
				child = &yaml.Node{Kind: yaml.ScalarNode}
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, child)
		}
		n = child
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("sweep %s: not a single value", a.Key())
	}
	n.Value, n.Tag, n.Style = value, "", 0
	return nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// WriteSweepCSV writes the ranked rows: rank, one column per axis, then
// the headline numbers, and the error of a combination that failed.
func WriteSweepCSV(w io.Writer, axes []Axis, rows []SweepRow) error {
	cw := csv.NewWriter(w)
	head := []string{"rank"}
	for _, a := range axes {
		head = append(head, a.Key())
	}
	head = append(head, "trades", "win_rate", "pnl", "fees", "max_drawdown", "sharpe", "sortino", "exposure", "error")
	if err := cw.Write(head); err != nil {
		return err
	}
	for i, r := range rows {
		rec := append([]string{strconv.Itoa(i + 1)}, r.Values...)
		s := r.Summary
		errText := ""
		if r.Err != nil {
			errText = r.Err.Error()
		}
		rec = append(rec, strconv.Itoa(s.Trades), ff(s.WinRate), s.PnL.String(), s.Fees.String(), ff(s.MaxDrawdown),
			ff(s.Sharpe), ff(s.Sortino), ff(s.Exposure), errText)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func ff(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// PrintSweep writes the ranked rows as a table.
func PrintSweep(w io.Writer, axes []Axis, rows []SweepRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "rank\t")
	for _, a := range axes {
		fmt.Fprint(tw, a.Key(), "\t")
	}
	fmt.Fprintln(tw, "trades\twin %\tpnl\tfees\tmax dd\tsharpe\t")
	for i, r := range rows {
		fmt.Fprintf(tw, "%d\t", i+1)
		for _, v := range r.Values {
			fmt.Fprint(tw, v, "\t")
		}
		if r.Err != nil {
			fmt.Fprintf(tw, "error: %v\t\n", r.Err)
			continue
		}
		s := r.Summary
		fmt.Fprintf(tw, "%d\t%.1f\t%s\t%s\t%.2f\t%.3f\t\n", s.Trades, s.WinRate*100, s.PnL.StringFixed(2),
			s.Fees.StringFixed(2), s.MaxDrawdown, s.Sharpe)
	}
	tw.Flush()
}

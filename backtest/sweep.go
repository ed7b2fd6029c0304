package backtest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"gopkg.in/yaml.v3"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/echo"
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
			return nil, fmt.Errorf("sweep part %d %q: want strategy.path.key=value,value or =lo..hi:step", i+1, echo.Cut(part))
		}
		a := Axis{Strategy: keys[0], Path: keys[1:]}
		for _, v := range strings.Split(vals, ",") {
			if v = strings.TrimSpace(v); v == "" {
				return nil, fmt.Errorf("sweep part %d %q: empty value", i+1, part)
			}
			if strings.Contains(v, "..") {
				r, err := expandRange(v)
				if err != nil {
					return nil, fmt.Errorf("sweep part %d %q: %v", i+1, echo.Cut(part), err)
				}
				a.Values = append(a.Values, r...)
				continue
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

// maxRangeValues bounds the values one range expands to, so that a
// typing slip (0..1e9) is refused rather than filling the memory.
const maxRangeValues = 10000

// expandRange expands "lo..hi" (whole numbers, step 1) or "lo..hi:step"
// into its values, lo and hi included.
func expandRange(v string) ([]string, error) {
	bounds, stepText, hasStep := strings.Cut(v, ":")
	loText, hiText, _ := strings.Cut(bounds, "..")
	lo, err1 := decimal.NewFromString(strings.TrimSpace(loText))
	hi, err2 := decimal.NewFromString(strings.TrimSpace(hiText))
	step := decimal.NewFromInt(1)
	var err3 error
	if hasStep {
		step, err3 = decimal.NewFromString(strings.TrimSpace(stepText))
	}
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return nil, fmt.Errorf("range %s: want lo..hi or lo..hi:step with numbers", echo.Cut(v))
	case !step.IsPositive():
		return nil, fmt.Errorf("range %s: the step must be positive", echo.Cut(v))
	case hi.LessThan(lo):
		return nil, fmt.Errorf("range %s: the end is below the start", echo.Cut(v))
	case !hasStep && (!lo.IsInteger() || !hi.IsInteger()):
		return nil, fmt.Errorf("range %s: bounds that are not whole numbers need a step (lo..hi:step)", echo.Cut(v))
	}
	if n := hi.Sub(lo).Div(step); n.GreaterThanOrEqual(decimal.NewFromInt(maxRangeValues)) {
		return nil, fmt.Errorf("range %s has more than %d values", echo.Cut(v), maxRangeValues)
	}
	var out []string
	for x := lo; x.LessThanOrEqual(hi); x = x.Add(step) {
		out = append(out, x.String())
	}
	return out, nil
}

// Combination is one point of the grid: a value per axis, in axis order.
type Combination []string

// gridSize returns how many combinations axes make, or false when more
// than fit an int.
func gridSize(axes []Axis) (int, bool) {
	n := 1
	for _, a := range axes {
		if len(a.Values) == 0 {
			return 0, true
		}
		if n > math.MaxInt/len(a.Values) {
			return 0, false
		}
		n *= len(a.Values)
	}
	return n, true
}

// combination returns the grid's combination number i (from 0), the
// last axis varying fastest.
func combination(axes []Axis, i int) Combination {
	c := make(Combination, len(axes))
	for k := len(axes) - 1; k >= 0; k-- {
		n := len(axes[k].Values)
		c[k] = axes[k].Values[i%n]
		i /= n
	}
	return c
}

// SweepRow is the outcome of one combination.
type SweepRow struct {
	// Combination is the combination's number in the grid, from 1: the
	// same in every shard and in a random search, so rows of equal rank
	// keep one order wherever they were run.
	Combination int
	Values      Combination
	Summary     Summary
	// NotPlaced counts the entries the strategies decided but that were
	// not placed (funds short, refused by the risk guard, too small).
	NotPlaced int
	Err       error
	// Config is the combination's config; nil in rows read from a file.
	Config *config.Config
}

// SweepOptions say how a sweep runs.
type SweepOptions struct {
	// Workers is how many combinations run at once; 0 means one per core.
	Workers int
	// RankBy is the metric rows are ranked by (Metrics); "" is "pnl".
	RankBy string
	// Random, when positive, runs that many combinations drawn at random
	// from the grid (without repeats) instead of all of it; Seed makes
	// the draw repeatable.
	Random int
	Seed   uint64
	// Shard runs only one slice of the combinations (zero: all).
	Shard Shard
	// Progress, when set, is called with the combinations done and the
	// total after each one.
	Progress func(done, total int)
}

// SweepResult is a ranked sweep.
type SweepResult struct {
	Axes []Axis
	// Rows are ranked best first; failed combinations come last, in
	// combination order.
	Rows []SweepRow
	// Total is how many combinations the whole sweep has (every shard),
	// Grid how many the grid has.
	Total, Grid int
	RankBy      string
	Shard       Shard
	// BestReports is the combination whose full reports were written
	// beside the table (WriteBestReports, CopyBestReports), 0 if none.
	BestReports int

	// bestFrom is, in a merged sweep, the slice's directory of the best
	// combination's reports; "" when that slice wrote none.
	bestFrom string
}

// Best returns the best row without an error, or false if all failed.
func (r *SweepResult) Best() (SweepRow, bool) {
	for _, row := range r.Rows {
		if row.Err == nil {
			return row, true
		}
	}
	return SweepRow{}, false
}

// maxCombinations bounds a sweep's grid: beyond it, the grid is surely a
// mistake, and a random search is the way to sample it.
const maxCombinations = 1_000_000

// selectCombinations returns the numbers (from 0) of the combinations a
// sweep runs: the whole grid, or o.Random of them drawn with o.Seed, in
// grid order; then the slice of o.Shard.
func selectCombinations(axes []Axis, o SweepOptions) (picked []int, total, size int, err error) {
	size, ok := gridSize(axes)
	if !ok || (o.Random <= 0 && size > maxCombinations) {
		return nil, 0, 0, fmt.Errorf("the sweep has more than %d combinations; draw some with --random N", maxCombinations)
	}
	if o.Random > 0 && o.Random < size {
		if o.Random > maxCombinations {
			return nil, 0, 0, fmt.Errorf("--random %d: at most %d combinations", o.Random, maxCombinations)
		}
		rng := rand.New(rand.NewPCG(o.Seed, 0x7472616465626f74))
		seen := make(map[int]bool, o.Random)
		for len(picked) < o.Random {
			if i := rng.IntN(size); !seen[i] {
				seen[i] = true
				picked = append(picked, i)
			}
		}
		slices.Sort(picked)
	} else {
		picked = make([]int, size)
		for i := range picked {
			picked[i] = i
		}
	}
	total = len(picked)
	return o.Shard.slice(picked), total, size, nil
}

// Sweep runs combinations of axes over d, each with the config of raw
// (the YAML file named name) with the combination's values written in,
// one single-threaded engine per combination and up to o.Workers at
// once; d is read by all of them and changed by none. A combination
// whose config is invalid, or whose run fails, becomes a row with its
// error and the sweep goes on. Rows come back ranked by o.RankBy.
func Sweep(ctx context.Context, name string, raw []byte, lookupEnv func(string) (string, bool), axes []Axis, d *Data, o SweepOptions) (*SweepResult, error) {
	rank, err := metricNamed(o.RankBy)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// A path that cannot be set fails every combination alike: refuse
	// the sweep rather than fill a table with one error.
	if _, err := withValues(&doc, axes, combination(axes, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	picked, total, size, err := selectCombinations(axes, o)
	if err != nil {
		return nil, err
	}
	res := &SweepResult{Axes: axes, Total: total, Grid: size, RankBy: rank.Name, Shard: o.Shard}
	res.Rows = runCombinations(ctx, picked, o, func(i int) SweepRow {
		c := combination(axes, i)
		row := SweepRow{Combination: i + 1, Values: c}
		data, err := withValues(&doc, axes, c)
		if err == nil {
			row.Config, err = config.Load(fmt.Sprintf("%s with %s", name, describe(axes, c)), data, lookupEnv)
		}
		if err != nil {
			row.Err = err
			return row
		}
		r, err := runGuarded(ctx, row.Config, d)
		if err != nil {
			row.Err = err
			return row
		}
		row.Summary = Summarize(r)
		row.NotPlaced = r.NotPlacedTotal()
		return row
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rankRows(res.Rows, rank)
	return res, nil
}

// runCombinations calls one for each of picked on o.Workers goroutines,
// reporting progress, and returns the rows in picked's order.
func runCombinations(ctx context.Context, picked []int, o SweepOptions, one func(int) SweepRow) []SweepRow {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rows := make([]SweepRow, len(picked))
	next := make(chan int)
	var done atomic.Int64
	var mu sync.Mutex // orders the progress calls
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				rows[k] = one(picked[k])
				n := done.Add(1)
				if o.Progress != nil {
					mu.Lock()
					o.Progress(int(n), len(picked))
					mu.Unlock()
				}
			}
		}()
	}
	for k := range picked {
		select {
		case next <- k:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return rows
}

// runGuarded is Run without the charts (a sweep's rows need only the
// headline figures; the best combination is run again for its reports),
// with a panic turned into the combination's error, so that one
// combination that trips a bug does not end the sweep.
func runGuarded(ctx context.Context, cfg *config.Config, d *Data) (r *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("the run failed: %v", p)
		}
	}()
	return runWith(ctx, cfg, d, nil, false)
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

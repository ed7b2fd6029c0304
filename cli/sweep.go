package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tradebot/tradebot/backtest"
	"github.com/tradebot/tradebot/internal/echo"
)

// sweepFlags are the backtest flags that shape a sweep.
type sweepFlags struct {
	workers     int
	rankBy      string
	random      int
	seed        uint64
	shard       string
	walkForward string
	// noReports skips the best combination's reports.
	noReports bool
	// prog is the program's name, in the commands the messages suggest.
	prog string
}

func (s *sweepFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&s.workers, "workers", 0, "parallel runs in a sweep (default: every core)")
	fs.StringVar(&s.rankBy, "rank-by", "pnl", "metric the sweep ranks by: pnl, final_equity, sharpe, sortino, win_rate, trades, max_drawdown, max_drawdown_pct, fees")
	fs.IntVar(&s.random, "random", 0, "run this many combinations drawn at random from the --sweep grid instead of all")
	fs.Uint64Var(&s.seed, "seed", 1, "seed of the --random draw (the same seed draws the same combinations)")
	fs.StringVar(&s.shard, "shard", "", "run only slice K of N of the sweep (K/N, e.g. 2/8); combine the slices with '"+s.prog+" sweep merge'")
	fs.StringVar(&s.walkForward, "walk-forward", "", "walk-forward test: IN/OUT in-sample and out-of-sample window lengths (e.g. 21d/7d)")
}

// set reports whether a sweep-only flag was given.
func (s *sweepFlags) set(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "rank-by", "random", "seed", "shard", "walk-forward":
			given = true
		}
	})
	return given
}

// runSweep runs a sweep (or a walk-forward test) over data parsed once
// and shared by every run, and writes its table, sweep.csv, sweep.json and
// the best combination's reports in out/best.
func runSweep(ctx context.Context, stdout, stderr io.Writer, cfgName string, raw []byte, spec string, f sweepFlags,
	data []string, lo backtest.LoadOptions, out string) error {
	axes, err := backtest.ParseSweep(spec)
	if err != nil {
		return usageErrorf("--sweep: %v", err)
	}
	o := backtest.SweepOptions{Workers: f.workers, RankBy: f.rankBy, Random: f.random, Seed: f.seed}
	if f.random < 0 {
		return usageErrorf("--random %d: want a positive number of combinations", f.random)
	}
	if !knownMetric(f.rankBy) {
		return usageErrorf("--rank-by %q: want one of %s", echo.Cut(f.rankBy), strings.Join(metricNames(), ", "))
	}
	if f.shard != "" {
		if o.Shard, err = parseShardFlag(f.shard, os.LookupEnv); err != nil {
			return usageErrorf("--shard %v", err)
		}
	}
	// Read before the data, which takes a while to load: a typo is told
	// at once.
	var wf backtest.WalkForwardOptions
	if f.walkForward != "" {
		if wf, err = backtest.ParseWalkForward(f.walkForward); err != nil {
			return usageErrorf("--walk-forward %v", err)
		}
	}
	d, err := backtest.Load(data, lo)
	if err != nil {
		return err
	}
	if bar := backtest.ProgressBar(stderr, "sweep"); bar != nil {
		o.Progress = bar
	}
	if f.walkForward != "" {
		windows, err := backtest.WalkForward(ctx, cfgName, raw, os.LookupEnv, axes, d, o, wf)
		if err != nil {
			return err
		}
		backtest.PrintWalkForward(stdout, axes, o.RankBy, windows)
		return backtest.WriteWalkForward(out, axes, o.RankBy, windows)
	}
	res, err := backtest.Sweep(ctx, cfgName, raw, os.LookupEnv, axes, d, o)
	if err != nil {
		return err
	}
	backtest.PrintSweep(stdout, res)
	if err := backtest.WriteSweep(out, res); err != nil {
		return err
	}
	// A slice writes its own best's reports too: merging the slices
	// takes the whole sweep's best from the slice that holds it.
	wrote := false
	if !f.noReports {
		if wrote, err = backtest.WriteBestReports(ctx, out, res, d); err != nil {
			return err
		}
	}
	if o.Shard.N > 1 {
		fmt.Fprintf(stdout, "slice %s in %s; combine the slices with: %s sweep merge --out DIR DIR1 DIR2 ...\n", o.Shard, out, f.prog)
		return nil
	}
	if !wrote && !f.noReports {
		return fmt.Errorf("every combination failed; the errors are in %s", filepath.Join(out, backtest.SweepCSV))
	}
	if wrote {
		fmt.Fprintf(stdout, "sweep.csv in %s; the best combination's reports in %s\n", out, filepath.Join(out, backtest.SweepBest))
	}
	return nil
}

// jobIndexEnv is the variable a Kubernetes Indexed Job sets to the pod's
// completion index, from 0.
const jobIndexEnv = "JOB_COMPLETION_INDEX"

// parseShardFlag parses --shard: K/N, or job/N for slice
// JOB_COMPLETION_INDEX+1 of N, so that every pod of an Indexed Job runs
// its own slice with the same arguments (the image has no shell to add 1).
func parseShardFlag(v string, lookupEnv func(string) (string, bool)) (backtest.Shard, error) {
	if n, ok := strings.CutPrefix(v, "job/"); ok {
		idx, set := lookupEnv(jobIndexEnv)
		if !set {
			return backtest.Shard{}, fmt.Errorf("%q takes the slice from %s, which is not set (a Kubernetes Indexed Job sets it)", v, jobIndexEnv)
		}
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 {
			return backtest.Shard{}, fmt.Errorf("%s=%q is not an index from 0", jobIndexEnv, idx)
		}
		v = strconv.Itoa(i+1) + "/" + n
	}
	return backtest.ParseShard(v)
}

// sliceDirs returns dir itself if it holds a sweep, else those of its
// subdirectories that do, sorted.
func sliceDirs(dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dir, backtest.SweepJSON)); err == nil {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), backtest.SweepJSON)); e.IsDir() && err == nil {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no sweep slice (no %s in it or its subdirectories)", dir, backtest.SweepJSON)
	}
	return out, nil
}

// runSweepCommand is 'tradebot sweep merge': it combines the slices of a
// sharded sweep into the table and files of the whole sweep.
func runSweepCommand(prog string, args []string, stdout, stderr io.Writer) error {
	usage := "usage: " + prog + " sweep merge --out DIR SLICE_DIR...\n\n" +
		"merge combines the slices of a sweep run with --shard K/N into one sweep.csv and sweep.json,\n" +
		"and copies the best combination's reports (best/) from the slice that ran it."
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			fmt.Fprintln(stdout, usage)
			return nil
		}
	}
	if len(args) == 0 || args[0] != "merge" {
		fmt.Fprintln(stderr, usage)
		if len(args) == 0 {
			return usageErrorf("sweep needs a subcommand: %s sweep merge --out DIR SLICE_DIR...", prog)
		}
		return usageErrorf("sweep %q: the sweep subcommand is merge (%s sweep merge --out DIR SLICE_DIR...)", echo.Cut(args[0]), prog)
	}
	fs := newFlagSet("sweep merge", stderr)
	out := fs.String("out", "", "directory for the merged sweep.csv, sweep.json and best/")
	args = args[1:]
	var dirs []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *out == "" || len(dirs) == 0 {
		return usageErrorf("sweep merge needs --out and the directories of every slice")
	}
	if len(dirs) == 1 {
		// One directory holding the slices (as the Kubernetes Job
		// writes them) stands for its subdirectories.
		subs, err := sliceDirs(dirs[0])
		if err != nil {
			return err
		}
		dirs = subs
	}
	res, err := backtest.MergeSweeps(dirs)
	if err != nil {
		return err
	}
	backtest.PrintSweep(stdout, res)
	if err := backtest.WriteSweep(*out, res); err != nil {
		return err
	}
	from, err := backtest.CopyBestReports(*out, res)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d slices into %s\n", len(dirs), *out)
	if from != "" {
		fmt.Fprintf(stdout, "the best combination's reports (from %s) in %s\n", from, filepath.Join(*out, backtest.SweepBest))
	} else if _, ok := res.Best(); ok {
		fmt.Fprintf(stdout, "no best combination's reports: the slice that ran it was run with --report none\n")
	}
	return nil
}

// knownMetric reports whether a sweep can rank by name: a mistyped
// --rank-by is a command-line mistake, told before any data is read.
func knownMetric(name string) bool {
	for _, m := range backtest.Metrics {
		if m.Name == name {
			return true
		}
	}
	return false
}

// metricNames are the names --rank-by takes.
func metricNames() []string {
	names := make([]string, len(backtest.Metrics))
	for i, m := range backtest.Metrics {
		names[i] = m.Name
	}
	return names
}

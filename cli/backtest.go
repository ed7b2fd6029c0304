package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/backtest"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/marketdata"
)

// multiFlag collects a flag given several times (--data a --data b) or
// once with commas.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*m = append(*m, s)
		}
	}
	return nil
}

// parseTime accepts RFC 3339 or a bare UTC date; empty is no bound.
func parseTime(flagName, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageErrorf("--%s %q: want RFC 3339 (2024-01-02T15:04:05Z), 2024-01-02T15:04 or a date (2024-01-02), in UTC", flagName, echo.Cut(v))
}

// checkRange refuses a --from that is not before --to; either may be
// unset (zero).
func checkRange(from, to time.Time) error {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return usageErrorf("--from %s is not before --to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return nil
}

func runBacktest(prog string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backtest", stderr)
	cfgPath := fs.String("config", "", "config file whose strategies, risk and paper account are tested (default: the embedded example)")
	var data multiFlag
	fs.Var(&data, "data", "market data file (any format marketdata reads, or \"bundled\"); repeat or comma-separate for several")
	fromFlag := fs.String("from", "", "first instant to test (RFC 3339 or YYYY-MM-DD, UTC)")
	toFlag := fs.String("to", "", "end of the test, exclusive")
	out := fs.String("out", "", "directory for summary.json, trades.csv, report.html (and sweep.csv)")
	sweep := fs.String("sweep", "", `parameter grid, e.g. "btc-sma.params.fast=3,5,8;btc-sma.params.slow=10,20"`)
	product := fs.String("product", "", "product of candle files that do not name one (e.g. BTC-USD)")
	path := fs.String("candle-path", "low-first", "order of prices inside a candle: low-first (pessimistic for longs) or nearer-first")
	so := sweepFlags{prog: prog}
	so.register(fs)
	report := fs.String("report", "full", "report files written to --out: full (summary.json, trades.csv, report.html), summary (no report.html) or none")
	reorder := fs.Bool("reorder", false, "sort each data file's ticks by time instead of refusing a file that goes back in time (holds the file in memory)")
	// --data a.csv b.csv --out r: words that are not flags are data
	// files, wherever they stand.
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		data = append(data, rest[0])
		args = rest[1:]
	}
	reports, err := backtest.ParseReports(*report)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if *sweep != "" && *out == "" && len(data) > 0 {
		return usageErrorf("a sweep needs --out, the directory of its sweep.csv and sweep.json")
	}
	if len(data) == 0 || (*out == "" && reports != backtest.ReportsNone) {
		return usageErrorf("backtest needs --data and --out (--out may be left out with --report none)")
	}
	from, err := parseTime("from", *fromFlag)
	if err != nil {
		return err
	}
	to, err := parseTime("to", *toFlag)
	if err != nil {
		return err
	}
	if err := checkRange(from, to); err != nil {
		return err
	}
	lo := backtest.LoadOptions{Product: *product, From: from, To: to, Reorder: *reorder}
	switch *path {
	case "low-first":
		lo.Path = marketdata.PathLowFirst
	case "nearer-first":
		lo.Path = marketdata.PathNearerFirst
	default:
		return usageErrorf("--candle-path %q: want low-first or nearer-first", *path)
	}
	cfgName, raw, err := configBytes(*cfgPath)
	if err != nil {
		return err
	}
	cfg, err := config.Load(cfgName, raw, os.LookupEnv)
	if err != nil {
		return err
	}
	// The data before --from warms the strategies up: their bars and
	// indicators are ready at --from, as after a live start's history.
	if lo.WarmUp, err = backtest.WarmUpPeriod(cfg); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *sweep != "" {
		// --report none leaves a sweep with its table only: no best/.
		so.noReports = reports == backtest.ReportsNone
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		return runSweep(ctx, stdout, stderr, cfgName, raw, *sweep, so, data, lo, *out)
	}
	if so.set(fs) {
		return usageErrorf("--rank-by, --random, --seed, --shard and --walk-forward go with --sweep")
	}
	// One run reads the files as it goes, in bounded memory.
	d, err := backtest.Stream(data, lo)
	if err != nil {
		return err
	}
	res, err := backtest.Run(ctx, cfg, d, backtest.RunOptions{Progress: backtest.ProgressBar(stderr, "backtest"), Reports: reports})
	if err != nil {
		return err
	}
	res.Config = cfgName
	s, err := reports.Write(*out, res)
	if err != nil {
		return err
	}
	// The summary's warnings say, once per strategy and cause with the
	// count, which entries were not placed: a run that stopped trading
	// for lack of funds must say so.
	backtest.PrintSummary(stdout, s)
	if reports != backtest.ReportsNone {
		fmt.Fprintf(stdout, "reports in %s\n", *out)
	}
	return nil
}

// configBytes returns the config file's name and bytes, or the embedded
// example's; a sweep needs the bytes to rewrite parameters. A file that
// cannot be read is a mistake on the command line (exit 2), named by its
// flag as every command says it.
func configBytes(path string) (string, []byte, error) {
	if path == "" {
		return "config.example.yaml (embedded)", tradebot.ExampleConfig, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, usageErrorf("--config %s: %s", echo.Cut(path), echo.FileReason(err))
	}
	return path, b, nil
}

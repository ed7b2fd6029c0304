// Command tradebot is an automated trading daemon for Coinbase Advanced
// Trade. It runs strategies from a YAML file live, on paper, or over
// history; see README.md.
//
//	tradebot run [--config FILE]     run the daemon (default: the embedded example, paper trading)
//	tradebot check --config FILE     validate a config without trading
//	tradebot positions [--config FILE | --journal PATH] [--format table|csv|json]
//	                                 print the open positions in the journal
//	tradebot trades [--config FILE | --journal PATH] [--format ...]
//	                                 print the closed round trips in the journal
//	tradebot journal salvage DAMAGED NEW
//	                                 copy the readable rows of a damaged journal
//	tradebot strategies              list the strategy types, their parameters and defaults, and the indicators
//	tradebot health [--url URL]      exit 0 if a running daemon is ready (container HEALTHCHECK)
//	tradebot version                 print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/daemon"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/strategy"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitUsage is the exit code for a wrong command line or config.
const exitUsage = 2

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "run":
		err = runDaemon(rest, stdout, stderr)
	case "check":
		err = check(rest, stdout, stderr)
	case "backtest":
		err = runBacktest(rest, stdout, stderr)
	case "sweep":
		err = runSweepCommand(rest, stdout, stderr)
	case "download":
		err = runDownload(rest, stdout, stderr)
	case "record":
		err = runRecord(rest, stdout, stderr)
	case "positions":
		err = positions(rest, stdout, stderr)
	case "trades":
		err = trades(rest, stdout, stderr)
	case "journal":
		err = journalCmd(rest, stdout, stderr)
	case "strategies":
		strategy.WriteCatalog(stdout)
	case "health":
		err = health(rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "tradebot", version)
	case "help", "-h", "--help":
		usage(stdout)
	default:
		fmt.Fprintf(stderr, "tradebot: unknown command %q\n\n", cmd)
		usage(stderr)
		return exitUsage
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "tradebot:", err)
		var cfgErr *config.Error
		if errors.As(err, &cfgErr) || isUsage(err) || errors.Is(err, errUsage) {
			return exitUsage
		}
		return 1
	}
	return 0
}

// errUsage marks a usage error made with fmt.Errorf's %w; usageErrorf
// is the way that reads better.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprint(w, `tradebot: an automated trading daemon for Coinbase Advanced Trade

Commands:
  run         run the daemon (without --config: paper trading on the bundled recording)
  check       validate a config file and list every problem (live mode: also the key, portfolio and products)
  backtest    run the config's strategies over recorded data (--data FILE --out DIR [--sweep SPEC])
  sweep       sweep merge --out DIR SLICE...: combine the slices of a sweep run with --shard K/N
  download    download Coinbase candles into a file backtest reads (resumable)
  record      record the live Coinbase market feed into a recording
  positions   print the open positions in the journal
  trades      print the closed round trips in the journal
  journal     journal salvage DAMAGED NEW: copy what is readable from a damaged journal
  strategies  list the strategy types, their parameters and defaults, and the indicators
  health      exit 0 if a running daemon is ready (--url, default `+defaultHealthURL+`), for container health checks
  version     print the version

Run 'tradebot COMMAND -h' for a command's flags.
`)
}

// loadConfig reads the config file, or the embedded example when path is
// empty.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Load("config.example.yaml (embedded)", tradebot.ExampleConfig, os.LookupEnv)
	}
	return config.LoadFile(path)
}

func runDaemon(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the embedded config.example.yaml)")
	logFormat := fs.String("log.format", "", "log format: auto, text or json (overrides the config)")
	var web metrics.ServerConfig
	web.RegisterFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	switch *logFormat {
	case "", "auto", "text", "json":
	default:
		return usageErrorf("--log.format %q: want auto, text or json", clip(*logFormat))
	}
	listenSet, webSet := false, false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "web.listen-address":
			listenSet = true
		case "web.config.file":
			webSet = true
		}
	})
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *logFormat != "" {
		cfg.Log.Format = *logFormat
	}
	log := daemon.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	opts := daemon.Options{Config: cfg, Log: log, Version: version}
	if listenSet {
		opts.ListenAddress = web.ListenAddress
	}
	if webSet {
		opts.WebConfigFile = web.WebConfigFile
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return daemon.Run(ctx, opts)
}

func check(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file to check (default: the embedded example)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "config OK: mode %s, %d strategy instance(s)\n", cfg.Mode, len(cfg.Strategies))
	if cfg.Mode != config.ModeLive {
		return nil
	}
	// Live mode: the key is checked against Coinbase as `run` would check
	// it (permissions, portfolio, products, clock), but nothing is traded.
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, checkTimeout)
	defer cancelTimeout()
	_, err = daemon.CheckLive(ctx, cfg, daemon.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level), stdout)
	return err
}

// checkTimeout bounds `tradebot check` in live mode: a few REST calls.
const checkTimeout = 30 * time.Second

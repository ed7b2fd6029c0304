// Package cli is the tradebot command line as a library: every
// subcommand (run, check, backtest, sweep, download, record, positions,
// trades, journal, strategies, health, version) behind one call. The
// tradebot binary is a main function calling Main; a Go program of its
// own, which registers its strategy types with strategy.Register first,
// gets the whole command line for them the same way:
//
//	func main() {
//		strategy.Register(strategy.Type{Name: "my_strategy", ...})
//		cli.Main()
//	}
//
// Its config then says `type: my_strategy`, and `backtest`, `check`,
// `run`, `strategies` and the rest know the type (docs/STRATEGIES.md).
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
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/daemon"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/strategy"
)

// Version is what `version` prints and what the daemon reports in its
// log and metrics. A release sets it at build time:
//
//	go build -ldflags "-X github.com/tradebot/tradebot/cli.Version=v1.2.3"
var Version = "dev"

// Main runs the process's command line (os.Args) with its standard output
// and error, and exits with Run's code. Register strategy types before
// calling it.
func Main() {
	os.Exit(Run(os.Args, os.Stdout, os.Stderr))
}

// Run runs one command line and returns the process's exit code: 0 on
// success, 1 when the command failed, 2 for a mistake on the command line
// or in the config. args is laid out as os.Args: args[0] is the program as
// the user ran it, whose base name starts every error message and the
// usage; args[1] is the subcommand. The subcommands that run until
// stopped (run, record, download, a backtest) stop cleanly on SIGINT or
// SIGTERM.
func Run(args []string, stdout, stderr io.Writer) int {
	prog := "tradebot"
	if len(args) > 0 {
		if base := strings.TrimSuffix(filepath.Base(args[0]), ".exe"); base != "" && base != "." && base != string(filepath.Separator) {
			prog = base
		}
		args = args[1:]
	}
	return dispatch(prog, args, stdout, stderr)
}

// exitUsage is the exit code for a wrong command line or config.
const exitUsage = 2

// dispatch runs the subcommand args[0] of the program prog.
func dispatch(prog string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr, prog)
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
		err = runBacktest(prog, rest, stdout, stderr)
	case "sweep":
		err = runSweepCommand(prog, rest, stdout, stderr)
	case "download":
		err = runDownload(rest, stdout, stderr)
	case "record":
		err = runRecord(rest, stdout, stderr)
	case "positions":
		err = positions(rest, stdout, stderr)
	case "trades":
		err = trades(rest, stdout, stderr)
	case "journal":
		err = journalCmd(prog, rest, stdout, stderr)
	case "strategies":
		strategy.WriteCatalog(stdout)
	case "health":
		err = health(prog, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, prog, Version)
	case "help", "-h", "--help":
		usage(stdout, prog)
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", prog, clip(cmd))
		usage(stderr, prog)
		return exitUsage
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
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

// usage prints the list of commands; prog is the program's name.
func usage(w io.Writer, prog string) {
	fmt.Fprint(w, prog+`: an automated trading daemon for Coinbase Advanced Trade

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

Run '`+prog+` COMMAND -h' for a command's flags.
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
	opts := daemon.Options{Config: cfg, Log: log, Version: Version}
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

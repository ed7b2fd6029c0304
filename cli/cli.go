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
// `tradebot help` lists the commands and `tradebot COMMAND -h` their
// flags; README.md describes each.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/echo"
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
// usage, and names the program in the daemon's start-up line and in the
// commands a damaged journal's advice gives; args[1] is the subcommand. The subcommands that run until
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
		err = runDaemon(prog, rest, stdout, stderr)
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
		err = positions(prog, rest, stdout, stderr)
	case "trades":
		err = trades(prog, rest, stdout, stderr)
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
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", prog, echo.Cut(cmd))
		usage(stderr, prog)
		return exitUsage
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		// Redact is the last net: an error built from a value no message
		// cut (a library's text) may still quote a key pasted astray.
		fmt.Fprintf(stderr, "%s: %s\n", prog, echo.Redact(err.Error()))
		var cfgErr *config.Error
		if errors.As(err, &cfgErr) || isUsage(err) {
			return exitUsage
		}
		return 1
	}
	return 0
}

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
  health      exit 0 if a running daemon answers --url (default `+defaultHealthURL+`: it serves and its loops turn)
  version     print the version

Run '`+prog+` COMMAND -h' for a command's flags.
`)
}

package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
)

// usageError is a mistake on the command line (a missing or bad flag, a
// stray argument): run prints its message and exits 2, as flag does.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf formats a usage error. The message names the flag or
// argument as the user typed it; values echoed in it go through echo.Cut.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// isUsage reports whether err is a command-line mistake.
func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// newFlagSet returns the flag set of a command, writing its --help and
// messages to stderr (the flag package's default is the process's own
// stderr, which a caller of Run did not give), and whose --help lists its
// flags under the command's name (the flag package's own says "Usage of
// backtest:").
func newFlagSet(command string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "flags of %s (-name or --name):\n", command)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a subcommand's flags; a flag it does not know or
// cannot read is a usage error (exit 2), --help is flag.ErrHelp (exit 0).
//
// The flag package's own text for a mistake is followed by every flag's
// defaults; the user gets one line in their words instead, naming the
// flag as they typed it and where the list is.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	}
	return &usageError{msg: flagMistake(fs, err)}
}

// flagMistake says in the user's words what flag.Parse refused: the
// flag package names a flag with one dash, the docs and --help with two.
func flagMistake(fs *flag.FlagSet, err error) string {
	command, msg := fs.Name(), err.Error()
	hint := " ('" + command + " --help' lists them)"
	if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag --" + echo.Cut(strings.TrimPrefix(rest, "-")) + " for " + command + hint
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "--" + echo.Cut(strings.TrimPrefix(rest, "-")) + " needs a value"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		// invalid boolean value "x" for -name: reason
		if v, f, ok := strings.Cut(rest, " for -"); ok {
			name, _, _ := strings.Cut(f, ":")
			return fmt.Sprintf("--%s=%s: want true or false", name, echo.Cut(v))
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		// invalid value "x" for flag -name: reason
		if v, f, ok := strings.Cut(rest, " for flag -"); ok {
			name, why, _ := strings.Cut(f, ": ")
			if want := flagWants(fs.Lookup(name)); want != "" && why == "parse error" {
				why = "want " + want
			}
			return fmt.Sprintf("--%s %s: %s", name, echo.Cut(v), why)
		}
	}
	return echo.Cut(msg) + " for " + command + hint
}

// flagWants says what a flag of the flag package's own types takes: its
// message for a value it cannot read is only "parse error".
func flagWants(f *flag.Flag) string {
	if f == nil {
		return ""
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case time.Duration:
		return "a duration such as 30s, 5m or 1h"
	case int, int64:
		return "a whole number"
	case uint, uint64:
		return "a whole number, 0 or more"
	case float64:
		return "a number"
	}
	return ""
}

// noArgs refuses arguments after a command that takes none.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageErrorf("%s takes no arguments, got %q", fs.Name(), echo.Cut(strings.Join(fs.Args(), " ")))
	}
	return nil
}

package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// usageError is a mistake on the command line (a missing or bad flag, a
// stray argument): run prints its message and exits 2, as flag does.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf formats a usage error. The message names the flag or
// argument as the user typed it; values echoed in it go through clip.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// isUsage reports whether err is a command-line mistake.
func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// maxEcho bounds how much of a value an error message repeats, so that a
// pasted file or a runaway argument does not flood the terminal.
const maxEcho = 80

// clip cuts s to maxEcho characters (runes, so UTF-8 stays whole), marking
// the cut with an ellipsis.
func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxEcho {
		return s
	}
	return string(r[:maxEcho-1]) + "…"
}

// parseFlags parses a subcommand's flags; a flag it does not know or
// cannot read is a usage error (exit 2), --help is flag.ErrHelp (exit 0).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{msg: err.Error()}
}

// noArgs refuses arguments after a command that takes none.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageErrorf("%s takes no arguments, got %q", fs.Name(), clip(strings.Join(fs.Args(), " ")))
	}
	return nil
}

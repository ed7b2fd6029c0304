package daemon

import (
	"io"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

// NewLogger returns the daemon's logger: readable text on a terminal,
// JSON lines otherwise (or as format says: "text", "json", "auto"). It
// hides key material in what it writes (redactingHandler).
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(&redactingHandler{inner: slog.NewTextHandler(w, opts)})
	}
	return slog.New(&redactingHandler{inner: slog.NewJSONHandler(w, opts), json: true})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

package daemon

import (
	"io"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"

	"github.com/tradebot/tradebot/internal/echo"
)

// NewLogger returns the daemon's logger: readable text on a terminal,
// JSON lines otherwise (or as format says: "text", "json", "auto").
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: redactAttr}
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// redactAttr hides key material in a log line's message and values: an
// error that quotes a path or a value the user mistyped (a private key
// pasted into paper.recording) must not write the key to the log.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	var text string
	switch a.Value.Kind() {
	case slog.KindString:
		text = a.Value.String()
	case slog.KindAny:
		err, ok := a.Value.Any().(error)
		if !ok {
			return a
		}
		text = err.Error()
	default:
		return a
	}
	if r := echo.Redact(text); r != text {
		a.Value = slog.StringValue(r)
	}
	return a
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

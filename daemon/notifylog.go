package daemon

import (
	"context"
	"log/slog"
	"strings"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/notify"
)

// errorNotifier is the daemon's log handler when a webhook is configured:
// every record at ERROR level (a protective order the venue refused, a
// journal that cannot write, a feed that stopped) is also sent as an
// error notification, its message and attributes in one line, with key
// material redacted as the log's own handler redacts it (docs/INVARIANTS.md
// invariant 7). The notifier logs its own failures at WARN with
// the handler it was given, so a failing webhook cannot feed itself.
type errorNotifier struct {
	next   slog.Handler
	notify func(notify.Event) bool
	// attrs are those of With, already formatted as " key=value".
	attrs  string
	prefix string // group prefix of later keys, "group."
}

// maxErrorText bounds an error notification's text; the log has the rest.
const maxErrorText = 1000

func (h *errorNotifier) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *errorNotifier) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		b.WriteString(h.attrs)
		r.Attrs(func(a slog.Attr) bool {
			writeAttr(&b, h.prefix, a)
			return b.Len() < maxErrorText
		})
		// The log's handler redacts as it writes; this text is built
		// from the record before that, so it is redacted here.
		text := echo.Redact(b.String())
		if len(text) > maxErrorText {
			text = strings.ToValidUTF8(text[:maxErrorText], "") + "…"
		}
		h.notify(notify.ErrorEvent(text))
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *errorNotifier) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		writeAttr(&b, h.prefix, a)
	}
	c.attrs = b.String()
	c.next = h.next.WithAttrs(attrs)
	return &c
}

func (h *errorNotifier) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	c.next = h.next.WithGroup(name)
	return &c
}

// writeAttr appends " key=value", groups flattened to "group.key".
func writeAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			writeAttr(b, p, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	if a.Value.Kind() == slog.KindAny {
		if bs, ok := byteSlice(a.Value.Any()); ok {
			// As the text it holds, which the redaction reads:
			// Value.String writes bytes (and a named byte slice type)
			// as decimal numbers ("[45 45 …]"), a key that anyone can
			// decode back and no redaction sees. Bytes nested in a value
			// logged whole stay numbers, as the log's handler leaves
			// them base64 (redactlog.go).
			b.Write(bs)
			return
		}
	}
	b.WriteString(a.Value.String())
}

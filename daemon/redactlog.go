package daemon

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/internal/echo"
)

// redactingHandler is the daemon's log handler: slog's JSON or text
// handler behind a check that no line shows key material (docs/INVARIANTS.md
// invariant 7). A key pasted into the wrong setting reaches the log through
// an error that quotes the setting, a message, or a value logged whole, so
// every part of a record that is written as text is looked at: the
// message, strings, errors, values logged with slog.Any (as the handler
// writes them: JSON, MarshalText, %+v), what a LogValuer resolves to, and
// the members of groups, in records and in With's attributes alike; a
// byte slice logged whole, which JSON writes as base64, is looked at as
// the text it holds. Not looked at: keys and group names (the code's
// names), numbers, booleans, durations and times (no text), and a byte
// slice inside a struct or map logged whole in JSON, which
// encoding/json writes as base64: it is hidden only when that base64
// ends in padding as a bare key does, since finding it otherwise means
// decoding every long string of every value logged whole.
//
// A record holding nothing that looks like a key, nearly every record, is
// handed on as it is. The check was slog's ReplaceAttr, but that makes
// the handler take its slow way for every record (the level, for one, is
// JSON-encoded through reflection): a third more instructions for the
// entry line written before each order (docs/BENCHMARKS.md).
type redactingHandler struct {
	inner slog.Handler
	json  bool // inner writes JSON, else slog's text format
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.recordNeedsRewrite(r) {
		return h.inner.Handle(ctx, r)
	}
	c := slog.NewRecord(r.Time, r.Level, echo.Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		c.AddAttrs(h.redactAttr(a))
		return true
	})
	return h.inner.Handle(ctx, c)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if slices.ContainsFunc(attrs, func(a slog.Attr) bool { return h.valueNeedsRewrite(a.Value) }) {
		redacted := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			redacted[i] = h.redactAttr(a)
		}
		attrs = redacted
	}
	return &redactingHandler{inner: h.inner.WithAttrs(attrs), json: h.json}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{inner: h.inner.WithGroup(name), json: h.json}
}

// recordNeedsRewrite reports whether a record must be rewritten before it
// is written: part of it looks like a key, or it holds a LogValuer, which
// is resolved once, in the rewrite, rather than here and again by the
// handler.
func (h *redactingHandler) recordNeedsRewrite(r slog.Record) bool {
	if echo.LooksLikeKey(r.Message) {
		return true
	}
	dirty := false
	r.Attrs(func(a slog.Attr) bool {
		dirty = h.valueNeedsRewrite(a.Value)
		return !dirty
	})
	return dirty
}

func (h *redactingHandler) valueNeedsRewrite(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindString:
		return echo.LooksLikeKey(v.String())
	case slog.KindLogValuer:
		return true
	case slog.KindGroup:
		for _, a := range v.Group() {
			if h.valueNeedsRewrite(a.Value) {
				return true
			}
		}
		return false
	case slog.KindAny:
		return h.anyShowsKey(v.Any())
	default: // numbers, booleans, durations, times
		return false
	}
}

// redactAttr returns an attribute with its value resolved and every part
// that looks like a key hidden.
func (h *redactingHandler) redactAttr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(echo.Redact(a.Value.String()))
	case slog.KindGroup:
		members := a.Value.Group()
		redacted := make([]slog.Attr, len(members))
		for i, m := range members {
			redacted[i] = h.redactAttr(m)
		}
		a.Value = slog.GroupValue(redacted...)
	case slog.KindAny:
		if h.anyShowsKey(a.Value.Any()) {
			a.Value = h.redactAny(a.Value.Any())
		}
	}
	return a
}

// plainText returns the text the handler writes for a value of one of
// the types that the log holds on every order, without formatting it:
// a decimal (digits only: "" is returned) or a string or number type with
// no method that prints it (exchange.Side, exchange.OrderType: written as
// their string). ok is false for every other value.
func plainText(a any) (s string, ok bool) {
	if _, ok := a.(decimal.Decimal); ok {
		return "", true
	}
	switch a.(type) {
	case error, fmt.Stringer, fmt.Formatter, encoding.TextMarshaler, json.Marshaler:
		return "", false
	}
	v := reflect.ValueOf(a)
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "", true
	}
	return "", false
}

// anyShowsKey reports whether a value logged with slog.Any shows key
// material as the handler writes it.
func (h *redactingHandler) anyShowsKey(a any) bool {
	if s, ok := plainText(a); ok {
		return echo.LooksLikeKey(s)
	}
	text, isJSON := h.anyText(a)
	if echo.LooksLikeKey(text) {
		return true
	}
	// An escape (\n, \t, \u000b) glues a letter to what follows it, a
	// key's base64 for one: the JSON's strings are looked at unescaped.
	if !isJSON || !strings.Contains(text, `\`) {
		return false
	}
	tree, ok := decodeJSON(text)
	if !ok {
		return false
	}
	_, dirty := redactJSON(tree)
	return dirty
}

// redactAny returns what to write for a value logged with slog.Any that
// shows key material. The text format writes one string (MarshalText, a
// byte slice as text, or %+v, which calls Error and String), redacted as a
// string. The JSON format writes an error's message, redacted as a string,
// or the value's JSON, whose strings (map keys included) are redacted
// where they stand, so the line keeps its shape.
func (h *redactingHandler) redactAny(a any) slog.Value {
	if s, ok := plainText(a); ok {
		return slog.StringValue(echo.Redact(s))
	}
	text, isJSON := h.anyText(a)
	if isJSON {
		if tree, ok := decodeJSON(text); ok {
			tree, _ = redactJSON(tree)
			return slog.AnyValue(tree)
		}
	}
	return slog.StringValue(echo.Redact(text))
}

// anyText is the text the handler writes for a value logged with
// slog.Any; isJSON says it is JSON (the JSON format's value other than an
// error), to be read as such.
func (h *redactingHandler) anyText(a any) (text string, isJSON bool) {
	if !h.json {
		return textOf(a), false
	}
	if err, ok := a.(error); ok {
		if _, ok := a.(json.Marshaler); !ok {
			return guardedText(a, err.Error), false
		}
	}
	// JSON writes bytes as base64, which shows a key to whoever decodes
	// it: they are looked at, and if need be written, as text.
	_, jm := a.(json.Marshaler)
	_, tm := a.(encoding.TextMarshaler)
	if bs, ok := byteSlice(a); ok && !jm && !tm {
		return string(bs), false
	}
	return jsonOf(a)
}

// byteSlice returns a value's bytes if it is a byte slice, of a named
// type or not, as slog's text handler tells one.
func byteSlice(a any) ([]byte, bool) {
	if t := reflect.TypeOf(a); t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return reflect.ValueOf(a).Bytes(), true
	}
	return nil, false
}

// decodeJSON decodes the JSON of a value, its numbers kept as written.
func decodeJSON(text string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, false
	}
	return tree, true
}

// redactJSON hides key material in the strings of a decoded JSON value.
func redactJSON(v any) (any, bool) {
	switch v := v.(type) {
	case string:
		r := echo.Redact(v)
		return r, r != v
	case []any:
		dirty := false
		for i, e := range v {
			r, d := redactJSON(e)
			v[i], dirty = r, dirty || d
		}
		return v, dirty
	case map[string]any:
		dirty := false
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, d := redactJSON(e)
			rk := echo.Redact(k)
			out[rk], dirty = r, dirty || d || rk != k
		}
		return out, dirty
	}
	return v, false
}

// jsonOf is what slog's JSON handler writes for a value: its JSON, HTML
// not escaped (ok), or the encoder's error or the value's panic.
func jsonOf(a any) (text string, ok bool) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	text = guardedText(a, func() string {
		if err := enc.Encode(a); err != nil {
			return "!ERROR:" + err.Error()
		}
		ok = true
		return strings.TrimSuffix(buf.String(), "\n")
	})
	return text, ok
}

// textOf is the text slog's text handler writes for a value of KindAny.
func textOf(a any) string {
	return guardedText(a, func() string {
		if tm, ok := a.(encoding.TextMarshaler); ok {
			b, err := tm.MarshalText()
			if err != nil {
				return "!ERROR:" + err.Error()
			}
			return string(b)
		}
		if bs, ok := byteSlice(a); ok {
			return string(bs)
		}
		return fmt.Sprintf("%+v", a)
	})
}

// guardedText calls format, which calls a value's own methods; when one
// panics, it returns what slog writes then ("<nil>" for a nil pointer,
// else the panic).
func guardedText(a any, format func() string) (s string) {
	defer func() {
		if r := recover(); r != nil {
			if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && v.IsNil() {
				s = "<nil>"
				return
			}
			s = fmt.Sprintf("!PANIC: %v", r)
		}
	}()
	return format()
}

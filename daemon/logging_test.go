package daemon

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testkeys"
	"github.com/tradebot/tradebot/notify"
)

// TestTheLoggerHidesAKeyInAnyValue: a private key pasted into a setting
// that later reaches an error (paper.recording: "open -----BEGIN EC
// PRIVATE KEY-----...: no such file") or a message is not written to the
// log, in either format, and the line keeps its other words.
func TestTheLoggerHidesAKeyInAnyValue(t *testing.T) {
	secrets := testSecrets(t)
	for _, format := range []string{"text", "json"} {
		for _, s := range secrets {
			for _, form := range s.Forms {
				var buf bytes.Buffer
				log := NewLogger(&buf, format, "info")
				log.Error("market data feed stopped "+form, "error", errors.New("open "+form+": no such file or directory"), "path", form)
				out := buf.String()
				if piece := leaks(out, secrets); piece != "" {
					t.Fatalf("%s log shows %q of a private key: %s", format, piece, out)
				}
				if !strings.Contains(out, "no such file or directory") || !strings.Contains(out, "market data feed stopped") {
					t.Errorf("%s log lost the words around the key: %s", format, out)
				}
			}
		}
	}
}

// TestAnErrorNotificationHidesAKey: the webhook's error events are built
// from the log record before the log's handler redacts it, so a key in an
// ERROR line (a paper.recording holding a pasted key that failed to open)
// went to Slack or Telegram whole.
func TestAnErrorNotificationHidesAKey(t *testing.T) {
	secrets := testSecrets(t)
	for _, s := range secrets {
		for _, form := range s.Forms {
			var sent []notify.Event
			var out bytes.Buffer
			log := slog.New(&errorNotifier{next: NewLogger(&out, "json", "info").Handler(),
				notify: func(e notify.Event) bool { sent = append(sent, e); return true }})
			log.Error("market data feed stopped", "error", errors.New("open "+form+": no such file or directory"))
			if len(sent) != 1 {
				t.Fatalf("%d events for one ERROR line", len(sent))
			}
			if piece := leaks(sent[0].Text, secrets); piece != "" {
				t.Fatalf("the error event shows %q of a private key: %s", piece, sent[0].Text)
			}
			if !strings.Contains(sent[0].Text, "no such file or directory") {
				t.Errorf("the event lost the words around the key: %s", sent[0].Text)
			}
		}
	}
}

// TestAnErrorNotificationHidesAKeyInBytes: bytes logged at ERROR reach
// the webhook as the text they hold, redacted, not as decimal numbers
// that decode back to the key.
func TestAnErrorNotificationHidesAKeyInBytes(t *testing.T) {
	secrets := testSecrets(t)
	for _, s := range secrets {
		for _, form := range s.Forms {
			var sent []notify.Event
			log := slog.New(&errorNotifier{next: slog.DiscardHandler,
				notify: func(e notify.Event) bool { sent = append(sent, e); return true }})
			log.Error("webhook refused", "body", []byte("kept "+form), "raw", json.RawMessage("kept "+form))
			if len(sent) != 1 {
				t.Fatalf("%d events for one ERROR line", len(sent))
			}
			text := sent[0].Text
			numbers := strings.Trim(fmt.Sprint([]byte(form)), "[]")
			if piece := leaks(text, secrets); piece != "" || strings.Contains(text, numbers[:min(len(numbers), 60)]) {
				t.Fatalf("the error event shows a private key: %s", text)
			}
			if !strings.Contains(text, "body=kept") || !strings.Contains(text, "raw=kept") {
				t.Errorf("the event lost the words around the key: %s", text)
			}
		}
	}
}

// keyHolder prints what it holds through String, as a type logged whole
// with slog.Any might.
type keyHolder struct{ text string }

func (k keyHolder) String() string { return "holder of " + k.text }

// keyValuer resolves to a group holding its text, as a LogValuer might.
type keyValuer struct{ text string }

func (k keyValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("path", k.text), slog.Int("n", 1))
}

// namedText is a string type without methods, as exchange.Side is.
type namedText string

// TestTheLoggerHidesAKeyInEveryKindOfValue: a key reaches the log not only
// in strings and errors but in whatever is logged whole (a slice of
// settings, a struct, a Stringer, bytes, a map's keys), in what a
// LogValuer resolves to, in groups and in With's attributes, and in a
// message on a line with nothing else key-like (which the handler would
// otherwise pass on untouched); in every case, and in both formats, the
// line shows none of it, keeps the words around it, and a JSON line stays
// JSON.
func TestTheLoggerHidesAKeyInEveryKindOfValue(t *testing.T) {
	secrets := testSecrets(t)
	cases := map[string]func(log *slog.Logger, key string){
		"message":       func(log *slog.Logger, key string) { log.Info("kept " + key) },
		"slice of any":  func(log *slog.Logger, key string) { log.Info("kept", "v", []any{"kept", key}) },
		"strings":       func(log *slog.Logger, key string) { log.Info("kept", "v", []string{"kept", key}) },
		"after newline": func(log *slog.Logger, key string) { log.Info("kept", "v", []string{"kept:\n" + key}) },
		"after tab":     func(log *slog.Logger, key string) { log.Info("kept", "v", []string{"kept:\t" + key}) },
		"struct": func(log *slog.Logger, key string) {
			log.Info("kept", "v", struct{ Name, Path string }{"kept", key})
		},
		"stringer":    func(log *slog.Logger, key string) { log.Info("kept", "v", keyHolder{key}) },
		"bytes":       func(log *slog.Logger, key string) { log.Info("kept", "v", []byte("kept "+key)) },
		"named":       func(log *slog.Logger, key string) { log.Info("kept", "v", namedText("kept "+key)) },
		"map key":     func(log *slog.Logger, key string) { log.Info("kept", "v", map[string]int{key: 1, "kept": 2}) },
		"log valuer":  func(log *slog.Logger, key string) { log.Info("kept", "v", keyValuer{key}) },
		"group":       func(log *slog.Logger, key string) { log.Info("kept", slog.Group("g", "a", "kept", "b", key)) },
		"with":        func(log *slog.Logger, key string) { log.With("path", key).Info("kept") },
		"with valuer": func(log *slog.Logger, key string) { log.With("v", keyValuer{key}).Info("kept") },
		"with group": func(log *slog.Logger, key string) {
			log.WithGroup("g").With("path", key).Info("kept", "error", errors.New(key))
		},
		"wrapped error": func(log *slog.Logger, key string) {
			log.Info("kept", "v", struct{ Err error }{errors.New(key)})
		},
	}
	for _, format := range []string{"text", "json"} {
		for name, logIt := range cases {
			for _, s := range secrets {
				for _, form := range s.Forms {
					var buf bytes.Buffer
					logIt(NewLogger(&buf, format, "info"), form)
					out := buf.String()
					if piece := leaks(out, secrets); piece != "" {
						t.Fatalf("%s, %s: the log shows %q of a private key: %s", format, name, piece, out)
					}
					if !strings.Contains(out, "kept") {
						t.Errorf("%s, %s: the line lost the words around the key: %s", format, name, out)
					}
					if format == "json" {
						if piece := leaksDecoded(t, buf.Bytes(), secrets); piece != "" {
							t.Fatalf("json, %s: the log shows %q of a private key in base64: %s", name, piece, out)
						}
					}
				}
			}
		}
	}
}

// leaksDecoded returns a piece of a key that a JSON line's string values
// show once decoded from base64 (as encoding/json writes bytes), failing
// the test if the line is not JSON.
func leaksDecoded(t *testing.T, line []byte, secrets []testkeys.Key) string {
	t.Helper()
	var fields map[string]any
	if err := json.Unmarshal(line, &fields); err != nil {
		t.Fatalf("not a JSON line: %v: %s", err, line)
	}
	for _, v := range fields {
		if s, ok := v.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				if piece := leaks(string(b), secrets); piece != "" {
					return piece
				}
			}
		}
	}
	return ""
}

// TestTheLoggerWritesALineWithoutAKeyAsSlogDoes: a record with nothing to
// hide (nearly every record) is handed to slog's handler as it is, values
// of every kind written as slog writes them.
func TestTheLoggerWritesALineWithoutAKeyAsSlogDoes(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	r := slog.NewRecord(t0, slog.LevelInfo, "entry", 0)
	r.AddAttrs(slog.String("strategy", "sma-btc"), slog.Any("type", exchange.Market),
		slog.Any("quote_size", decimal.RequireFromString("100.50")), slog.Int("n", 3),
		slog.Any("products", []string{"BTC-USD", "ETH-USD"}), slog.Any("error", errors.New("dial tcp: refused")),
		slog.Group("g", slog.Duration("d", time.Second), slog.Any("named", namedText("a\nb"))),
		slog.Any("holder", keyHolder{"nothing"}), slog.Any("bytes", []byte("abc")))
	for _, format := range []string{"text", "json"} {
		var got, want bytes.Buffer
		h := NewLogger(&got, format, "info").Handler().WithAttrs([]slog.Attr{slog.String("instance", "a")}).WithGroup("x")
		var plain slog.Handler = slog.NewJSONHandler(&want, nil)
		if format == "text" {
			plain = slog.NewTextHandler(&want, nil)
		}
		plain = plain.WithAttrs([]slog.Attr{slog.String("instance", "a")}).WithGroup("x")
		if err := h.Handle(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		if err := plain.Handle(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", format, got.String(), want.String())
		}
	}
}

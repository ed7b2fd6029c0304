package daemon

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

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

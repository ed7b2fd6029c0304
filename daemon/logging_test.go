package daemon

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestTheLoggerHidesAKeyInAnyValue: a private key pasted into a setting
// that later reaches an error (paper.recording: "open -----BEGIN EC
// PRIVATE KEY-----...: no such file") or a message is not written to the
// log, in either format, and the line keeps its other words.
func TestTheLoggerHidesAKeyInAnyValue(t *testing.T) {
	secrets := testSecrets(t)
	for _, format := range []string{"text", "json"} {
		for _, s := range secrets {
			for _, form := range s.forms {
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

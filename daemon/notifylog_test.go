package daemon

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/notify"
)

// An ERROR log line becomes one error event with its message and every
// attribute (those of With and groups included), cut to maxErrorText; lower
// levels send nothing, and the log itself is unchanged.
func TestErrorLogLinesBecomeErrorEvents(t *testing.T) {
	var sent []notify.Event
	var out bytes.Buffer
	log := slog.New(&errorNotifier{next: slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}),
		notify: func(e notify.Event) bool { sent = append(sent, e); return true }})

	log.Info("entry", "strategy", "s")
	log.Warn("feed reconnecting")
	log.With("strategy", "btc-sma").WithGroup("order").Error("venue refused the resting exit",
		"reason", "INSUFFICIENT_FUND", "error", errors.New("order rejected"))
	log.Error("journal commit failed", "error", strings.Repeat("x", 5000))

	if len(sent) != 2 {
		t.Fatalf("%d events for 2 ERROR lines: %v", len(sent), sent)
	}
	want := "venue refused the resting exit strategy=btc-sma order.reason=INSUFFICIENT_FUND order.error=order rejected"
	if sent[0].Kind != notify.KindError || sent[0].Text != want {
		t.Errorf("event %q, want %q", sent[0].Text, want)
	}
	if n := len(sent[1].Text); n > maxErrorText+len("…") || !strings.HasPrefix(sent[1].Text, "journal commit failed error=xxx") {
		t.Errorf("long error event is %d bytes: %.60q", n, sent[1].Text)
	}
	if strings.Contains(out.String(), "msg=entry") || !strings.Contains(out.String(), "feed reconnecting") ||
		!strings.Contains(out.String(), "order.reason=INSUFFICIENT_FUND") {
		t.Errorf("the log lost or gained lines:\n%s", out.String())
	}
}

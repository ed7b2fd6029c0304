package notify_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tradebot/tradebot/notify"
)

// chatReceiver is a chat service's webhook endpoint on loopback: it checks
// each request against the shape the service documents and answers as the
// service does, 400 for a request it would refuse.
type chatReceiver struct {
	t *testing.T
	// path is the only path the service answers (a Telegram bot's
	// /bot<token>/sendMessage); check validates a decoded body.
	path  string
	check func(body map[string]any) error
	ok    func(w http.ResponseWriter)

	mu     sync.Mutex
	bodies []map[string]any
}

func (c *chatReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	fail := func(why string) {
		c.t.Errorf("%s %s: %s: %s", r.Method, r.URL.Path, why, raw)
		w.WriteHeader(http.StatusBadRequest)
	}
	if r.Method != http.MethodPost || r.URL.Path != c.path {
		fail("wrong method or path")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		fail("Content-Type " + ct)
		return
	}
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		fail("body is not a JSON object")
		return
	}
	if err := c.check(body); err != nil {
		fail(err.Error())
		return
	}
	c.mu.Lock()
	c.bodies = append(c.bodies, body)
	c.mu.Unlock()
	c.ok(w)
}

func (c *chatReceiver) received() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.bodies...)
}

type errText string

func (e errText) Error() string { return string(e) }

// onlyKeys refuses a body with keys other than those allowed and without
// those required.
func onlyKeys(body map[string]any, required []string, allowed ...string) error {
	for _, k := range required {
		if _, ok := body[k]; !ok {
			return errText("missing " + k)
		}
	}
	for k := range body {
		if !contains(required, k) && !contains(allowed, k) {
			return errText("unexpected field " + k)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// allEvents are one event of every kind, with markup characters in the
// texts that each format must escape.
func allEvents() []notify.Event {
	return []notify.Event{
		notify.FillEvent("sma", fill),
		notify.ExitEvent(roundTrip),
		notify.KillSwitchEvent(true, "http: <operator> & co"),
		notify.TradingStateEvent("ACTIVE", "REDUCING", "max_consecutive_losses", "8 losses in a row"),
		notify.ErrorEvent("journal commit failed: disk full @everyone " + strings.Repeat("x", 5000)),
	}
}

func TestChatFormatsSendTheDocumentedRequestShape(t *testing.T) {
	const token = "123456:ABC-SECRET"
	tests := []struct {
		format notify.Format
		chatID string
		path   string
		check  func(body map[string]any) error
		ok     func(w http.ResponseWriter)
		// text returns the message text of a body.
		text func(body map[string]any) string
	}{
		{
			// https://core.telegram.org/bots/api#sendmessage
			format: notify.FormatTelegram, chatID: "-1001234567890", path: "/bot" + token + "/sendMessage",
			check: func(b map[string]any) error {
				if err := onlyKeys(b, []string{"chat_id", "text"}, "parse_mode", "disable_web_page_preview"); err != nil {
					return err
				}
				if id, ok := b["chat_id"].(json.Number); !ok || id.String() != "-1001234567890" {
					return errText("chat_id is not the chat's number")
				}
				if b["parse_mode"] != "HTML" {
					return errText("parse_mode is not HTML")
				}
				text := b["text"].(string)
				if n := utf8.RuneCountInString(telegramVisible(text)); n == 0 || n > 4096 {
					return errText("text must be 1-4096 characters after entity parsing")
				}
				return telegramHTMLValid(text)
			},
			ok: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1}}`)
			},
			text: func(b map[string]any) string { return b["text"].(string) },
		},
		{
			// https://api.slack.com/messaging/webhooks
			format: notify.FormatSlack, path: "/services/T000/B000/" + token,
			check: func(b map[string]any) error {
				if err := onlyKeys(b, []string{"text"}); err != nil {
					return err
				}
				text := b["text"].(string)
				if strings.ContainsAny(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(text), "<>&") {
					return errText("text has an unescaped control character")
				}
				return nil
			},
			ok:   func(w http.ResponseWriter) { _, _ = io.WriteString(w, "ok") },
			text: func(b map[string]any) string { return b["text"].(string) },
		},
		{
			// https://discord.com/developers/docs/resources/webhook#execute-webhook
			format: notify.FormatDiscord, path: "/api/webhooks/1/" + token,
			check: func(b map[string]any) error {
				if err := onlyKeys(b, []string{"content"}, "allowed_mentions"); err != nil {
					return err
				}
				if n := utf8.RuneCountInString(b["content"].(string)); n == 0 || n > 2000 {
					return errText("content must be 1-2000 characters")
				}
				am, _ := b["allowed_mentions"].(map[string]any)
				if p, ok := am["parse"].([]any); !ok || len(p) != 0 {
					return errText("allowed_mentions must parse no mentions")
				}
				return nil
			},
			ok:   func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			text: func(b map[string]any) string { return b["content"].(string) },
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			rcv := &chatReceiver{t: t, path: tt.path, check: tt.check, ok: tt.ok}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			var logs syncLog
			w, err := notify.NewWebhook(notify.Config{URL: srv.URL + tt.path, Format: tt.format, ChatID: tt.chatID,
				Now: func() time.Time { return wall }, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			stop := start(t, w)
			events := allEvents()
			for _, e := range events {
				w.Notify(e)
			}
			eventually(t, "every event delivered or refused", func() bool { return w.Delivered()+w.Failed() == uint64(len(events)) })
			stop()
			got := rcv.received()
			if len(got) != len(events) || w.Failed() != 0 {
				t.Fatalf("%d of %d events accepted, %d failed; log: %s", len(got), len(events), w.Failed(), logs.String())
			}
			for i, body := range got {
				text := tt.text(body)
				if !strings.Contains(text, string(events[i].Kind)) || !strings.Contains(text, "2026-12-06T19:30:01Z") {
					t.Errorf("message %d %q lacks its kind or its UTC wall time", i, text)
				}
			}
			if exit := tt.text(got[1]); !strings.Contains(exit, "49900.1") || !strings.Contains(exit, "-0.10") || !strings.Contains(exit, "stop_loss") {
				t.Errorf("exit message %q lacks the exit price, the PnL or the reason", exit)
			}
			if strings.Contains(logs.String(), token) {
				t.Errorf("the log carries the token: %s", logs.String())
			}
		})
	}
}

func TestTelegramNeedsAChatIDAndFormatsAreChecked(t *testing.T) {
	if _, err := notify.NewWebhook(notify.Config{URL: "https://api.telegram.org/botX/sendMessage", Format: notify.FormatTelegram}); err == nil {
		t.Error("telegram without a chat id was accepted")
	}
	if _, err := notify.NewWebhook(notify.Config{URL: "https://hooks.example/x", Format: "teams"}); err == nil || !strings.Contains(err.Error(), `"teams"`) {
		t.Errorf("unknown format: err = %v, want one naming it", err)
	}
}

// telegramVisible is text as Telegram shows it: tags removed, entities
// counted as one character.
func telegramVisible(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return b.String()
			}
			i += j
		case '&':
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				return b.String()
			}
			b.WriteByte('&')
			i += j
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// telegramHTMLValid checks what Telegram's HTML parse mode refuses: tags
// other than the supported ones, unclosed tags, and bare & < >.
func telegramHTMLValid(s string) error {
	var open []string
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return errText("unclosed <")
			}
			tag := s[i+1 : i+j]
			i += j
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				if len(open) == 0 || open[len(open)-1] != name {
					return errText("mismatched </" + name + ">")
				}
				open = open[:len(open)-1]
				continue
			}
			if !contains([]string{"b", "i", "code", "pre"}, tag) {
				return errText("unsupported tag <" + tag + ">")
			}
			open = append(open, tag)
		case '>':
			return errText("bare >")
		case '&':
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				return errText("bare &")
			}
			ent := s[i : i+j+1]
			if !contains([]string{"&lt;", "&gt;", "&amp;", "&quot;"}, ent) && !strings.HasPrefix(ent, "&#") {
				return errText("unsupported entity " + ent)
			}
			i += j
		}
	}
	if len(open) > 0 {
		return errText("unclosed <" + open[len(open)-1] + ">")
	}
	return nil
}

// syncLog is a log buffer safe for the Run goroutine and the test.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

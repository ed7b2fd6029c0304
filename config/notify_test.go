package config

import (
	"errors"
	"strings"
	"testing"
)

func TestNotifyBlockIsCheckedWithoutEchoingTheURL(t *testing.T) {
	const doc = `strategies:
  - name: a
    type: breakout
    product: BTC-USD
    size: {quote: 100}
    exits: {stop_loss: {percent: 1}}
notify:
  webhook_url: ftp://hooks.example/SECRET-TOKEN
  format: teams
  events: [fill, fills]
`
	_, err := Load("n.yaml", []byte(doc), noEnv)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	for _, want := range []string{"line 8: notify.webhook_url", "line 9: notify.format", `"teams"`, "line 10: notify.events[1]", `"fills"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Errorf("the error echoes the webhook URL:\n%v", err)
	}

	telegram := strings.Replace(doc, "ftp://hooks.example/SECRET-TOKEN", "https://api.telegram.org/botX/sendMessage", 1)
	telegram = strings.Replace(telegram, "format: teams", "format: telegram", 1)
	telegram = strings.Replace(telegram, "[fill, fills]", "[fill, exit]", 1)
	if _, err := Load("t.yaml", []byte(telegram), noEnv); err == nil || !strings.Contains(err.Error(), "notify.chat_id") {
		t.Errorf("telegram without chat_id: %v, want a notify.chat_id problem", err)
	}
	if _, err := Load("t.yaml", []byte(telegram+"  chat_id: \"-100123\"\n"), noEnv); err != nil {
		t.Errorf("a complete telegram block: %v", err)
	}
}

package config

import (
	"errors"
	"strings"
	"testing"
)

// oneStrategy is the smallest valid strategies block, ahead of a notify
// block under test.
const oneStrategy = `strategies:
  - name: a
    type: breakout
    product: BTC-USD
    size: {quote: 100}
    exits: {stop_loss: {percent: 1}}
`

func TestNotifyBlockIsCheckedWithoutEchoingTheURL(t *testing.T) {
	const doc = oneStrategy + `notify:
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

// A mistake in the notify block shows while the webhook URL is still
// empty (notifications off), not only once it is set: a typo in the
// format, the chat id or an event waits for no URL. A telegram block
// without chat id is fine while off, since an unset environment variable
// may leave both empty.
func TestNotifyMistakesShowWhileTheURLIsEmpty(t *testing.T) {
	_, err := Load("n.yaml", []byte(oneStrategy+`notify:
  webhook_url: ""
  format: telegarm
  chat_id: "12345x"
  events: [fill, exits]
`), noEnv)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	for _, want := range []string{`line 9: notify.format: must be one of json, telegram, slack or discord, got "telegarm"`,
		`line 10: notify.chat_id: must be the chat's number (-1001234567890) or @channelname, got "12345x"`,
		`line 11: notify.events[1]: must be one of fill, exit, trading_state, kill_switch or error, got "exits"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, chat := range []string{`""`, `"-1001234567890"`, `"@my_channel"`} {
		if _, err := Load("n.yaml", []byte(oneStrategy+"notify:\n  format: telegram\n  chat_id: "+chat+"\n  events: [exit]\n"), noEnv); err != nil {
			t.Errorf("telegram, chat_id %s, no URL: %v", chat, err)
		}
	}
}

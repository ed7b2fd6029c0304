package config

import (
	"fmt"
	"net/url"
	"regexp"
	"sync"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/notify"
)

// validate checks the notify block. The format, chat id and events are
// checked even while the URL is empty, so that a typo shows before the
// URL is set rather than when it is; only the need for a chat id waits
// for the URL, since a block switched off by an unset environment
// variable may leave both empty. The URL is never echoed: it usually
// carries a token.
func (n Notify) validate() []error {
	var errs []error
	if n.WebhookURL != "" {
		if u, err := url.Parse(n.WebhookURL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("notify.webhook_url: must be an absolute http or https URL"))
		}
	}
	format, err := notify.ParseFormat(n.Format)
	if err != nil {
		errs = append(errs, fmt.Errorf("notify.format: must be one of json, telegram, slack or discord, got %q", echo.Cut(n.Format)))
	}
	switch {
	case n.ChatID != "" && !telegramChatID().MatchString(n.ChatID):
		errs = append(errs, fmt.Errorf("notify.chat_id: must be the chat's number (-1001234567890) or @channelname, got %q", echo.Cut(n.ChatID)))
	case n.ChatID == "" && format == notify.FormatTelegram && n.WebhookURL != "":
		errs = append(errs, fmt.Errorf("notify.chat_id: the telegram format needs the chat's id (a number, or @channelname)"))
	}
	for i, e := range n.Events {
		if _, err := notify.ParseKind(e); err != nil {
			errs = append(errs, fmt.Errorf("notify.events[%d]: must be one of fill, exit, trading_state, kill_switch or error, got %q", i, echo.Cut(e)))
		}
	}
	return errs
}

// telegramChatID is what the Bot API takes as a chat_id: a chat's number
// (negative for groups and channels) or a public channel's @username.
// Compiled at first use (see instanceName).
var telegramChatID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(-?[0-9]+|@[A-Za-z0-9_]+)$`) })

package config

import (
	"fmt"
	"net/url"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/notify"
)

// validate checks the notify block. The URL is never echoed: it usually
// carries a token.
func (n Notify) validate() []error {
	var errs []error
	if n.WebhookURL == "" {
		return nil
	}
	if u, err := url.Parse(n.WebhookURL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("notify.webhook_url: must be an absolute http or https URL"))
	}
	format, err := notify.ParseFormat(n.Format)
	if err != nil {
		errs = append(errs, fmt.Errorf("notify.format: must be one of json, telegram, slack or discord, got %q", echo.Cut(n.Format)))
	}
	if format == notify.FormatTelegram && n.ChatID == "" {
		errs = append(errs, fmt.Errorf("notify.chat_id: the telegram format needs the chat's id (a number, or @channelname)"))
	}
	for i, e := range n.Events {
		if _, err := notify.ParseKind(e); err != nil {
			errs = append(errs, fmt.Errorf("notify.events[%d]: must be one of fill, exit, trading_state, kill_switch or error, got %q", i, echo.Cut(e)))
		}
	}
	return errs
}

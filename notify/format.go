package notify

import (
	"encoding/json"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
)

// Format is the shape of the request body a webhook expects.
type Format string

// Formats of webhook bodies.
const (
	// FormatJSON posts the Event itself: every field, for programs.
	FormatJSON Format = "json"
	// FormatTelegram posts a Telegram Bot API sendMessage request
	// ({"chat_id", "text", "parse_mode": "HTML"}) to
	// https://api.telegram.org/bot<token>/sendMessage.
	FormatTelegram Format = "telegram"
	// FormatSlack posts {"text"} as a Slack incoming webhook expects (and
	// Mattermost and Rocket.Chat accept).
	FormatSlack Format = "slack"
	// FormatDiscord posts {"content"} as a Discord webhook expects.
	FormatDiscord Format = "discord"
)

// Formats lists every format, for validating configuration.
var Formats = []Format{FormatJSON, FormatTelegram, FormatSlack, FormatDiscord}

// ParseFormat returns the format named s ("" is json), or an error naming
// s and the formats there are.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return FormatJSON, nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("notify format %q: want one of %v", s, Formats)
}

// Message lengths the chat services accept; longer texts are cut short.
const (
	telegramMaxText = 4096
	discordMaxText  = 2000
	slackMaxText    = 3000
)

// telegramMessage is the Bot API's sendMessage request.
type telegramMessage struct {
	// ChatID is a number or "@channelusername".
	ChatID                any    `json:"chat_id"`
	Text                  string `json:"text"`
	ParseMode             string `json:"parse_mode"`
	DisableWebPagePreview bool   `json:"disable_web_page_preview"`
}

// slackMessage is a Slack incoming webhook's body.
type slackMessage struct {
	Text string `json:"text"`
}

// discordMessage is a Discord webhook's execute request. AllowedMentions
// with no parse types keeps an @everyone inside a reason from pinging.
type discordMessage struct {
	Content         string          `json:"content"`
	AllowedMentions allowedMentions `json:"allowed_mentions"`
}

type allowedMentions struct {
	Parse []string `json:"parse"`
}

// encode returns the request body of e in format f.
func encode(f Format, chatID string, e Event) ([]byte, error) {
	switch f {
	case FormatTelegram:
		// Cut before escaping, so that no entity or tag is cut in two;
		// Telegram counts the text after parsing its markup.
		text := "<b>" + html.EscapeString(string(e.Kind)) + "</b> " + html.EscapeString(echo.CutTo(e.Text, telegramMaxText-64)) +
			"\n<i>" + e.Time.Format(time.RFC3339) + "</i>"
		return json.Marshal(telegramMessage{ChatID: telegramChatID(chatID), ParseMode: "HTML",
			Text: text, DisableWebPagePreview: true})
	case FormatSlack:
		// Slack's markup: &, < and > are control characters, escaped as
		// entities; *bold*.
		text := "*" + slackEscape(string(e.Kind)) + "* " + slackEscape(echo.CutTo(e.Text, slackMaxText-64)) + " (" + e.Time.Format(time.RFC3339) + ")"
		return json.Marshal(slackMessage{Text: text})
	case FormatDiscord:
		text := "**" + string(e.Kind) + "** " + echo.CutTo(e.Text, discordMaxText-64) + " (" + e.Time.Format(time.RFC3339) + ")"
		return json.Marshal(discordMessage{Content: text, AllowedMentions: allowedMentions{Parse: []string{}}})
	default:
		return json.Marshal(e)
	}
}

// telegramChatID sends a numeric chat id as a number, as the Bot API
// documents it, and a channel's @username as a string.
func telegramChatID(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }

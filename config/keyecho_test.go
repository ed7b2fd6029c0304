package config

import (
	"strings"
	"testing"

	"github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/internal/testkeys"
)

// TestAKeyPastedIntoAnyFieldIsNotEchoed pastes private keys into every
// text field of the example config, the ways a user pastes them (a
// quoted string with \n as in the key file, a YAML block, a bare base64
// seed), and checks that the problem it makes shows no piece of the
// key. The first 80 characters of a SEC1 PEM, which an
// echo cut to 80 used to show, hold most of the secret scalar.
func TestAKeyPastedIntoAnyFieldIsNotEchoed(t *testing.T) {
	keys := testkeys.Generate(t)
	example := string(tradebot.ExampleConfig)
	fields := []struct{ line, field string }{
		{"mode: paper", "mode"},
		{"  format: auto", "log.format"},
		{"  level: info", "log.level"},
		{"  listen_address: 127.0.0.1:9464", "web.listen_address"},
		{"shutdown_timeout: 10s", "shutdown_timeout"},
		{"  feed: replay", "paper.feed"},
		{"  recording: bundled", "paper.recording"},
		{"  time_zone: UTC", "risk.time_zone"},
		{"  signal: SIGUSR1", "kill_switch.signal"},
		{`  file: ""`, "kill_switch.file"},
		{"  host_names: []", "kill_switch.host_names"},
		{"  - name: btc-sma", "strategies[0].name"},
		{"    product: BTC-USDT", "strategies[0].product"},
		{"    type: sma_cross", "strategies[0].type"},
	}
	for _, f := range fields {
		for i, key := range allForms(keys) {
			for _, style := range []string{"quoted", "block"} {
				if style == "block" && !strings.Contains(key, "\n") {
					continue
				}
				doc := pasteKey(t, example, f.line, key, style)
				_, err := Load("tradebot.yaml", []byte(doc), noEnv)
				if err == nil {
					continue // a base64 seed is a valid file name
				}
				msg := err.Error()
				if p := testkeys.Leak(msg, keys, 16); p != "" {
					t.Errorf("%s holding key form %d (%s): the problem shows %q of the key:\n%s", f.field, i, style, p, msg)
				}
			}
		}
	}
}

// allForms lists every form of every key.
func allForms(keys []testkeys.Key) []string {
	var forms []string
	for _, k := range keys {
		forms = append(forms, k.Forms...)
	}
	return forms
}

// pasteKey replaces the value on the line that starts with line (its
// key kept) with key, written in style.
func pasteKey(t *testing.T, doc, line, key, style string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+line)
	if i < 0 {
		t.Fatalf("the example has no line %q", line)
	}
	start := i + 1
	end := strings.IndexByte(doc[start:], '\n') + start
	head, _, _ := strings.Cut(line, ": ")
	indent := strings.Repeat(" ", len(head)-len(strings.TrimLeft(head, " -"))+2)
	var value string
	if style == "quoted" {
		value = `"` + strings.ReplaceAll(strings.TrimSpace(key), "\n", `\n`) + `"`
	} else {
		value = "|\n" + indent + strings.ReplaceAll(strings.TrimSpace(key), "\n", "\n"+indent)
	}
	return doc[:start] + head + ": " + value + doc[end:]
}

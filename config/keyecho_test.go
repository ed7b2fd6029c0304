package config

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/tradebot/tradebot"
)

// keyForms returns private keys as Coinbase hands them out (SEC1 and
// PKCS8 PEM, Ed25519 seed and seed+public key in base64) and the lines of
// base64 each is made of, the secret a message must not show.
func keyForms(t *testing.T) (forms []string, body []string) {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, b := range []*pem.Block{{Type: "EC PRIVATE KEY", Bytes: sec1}, {Type: "PRIVATE KEY", Bytes: pkcs8}} {
		text := string(pem.EncodeToMemory(b))
		forms = append(forms, text)
		for _, l := range strings.Split(text, "\n") {
			if l != "" && !strings.HasPrefix(l, "-----") {
				body = append(body, l)
			}
		}
	}
	seed := base64.StdEncoding.EncodeToString(ed.Seed())
	whole := base64.StdEncoding.EncodeToString(ed)
	return append(forms, seed, whole), append(body, seed, whole)
}

// leakedPiece returns a 16-character piece of a key's base64 found in
// out, or "". 16 characters are 12 bytes of key.
func leakedPiece(out string, body []string) string {
	const n = 16
	for _, line := range body {
		for i := 0; i+n <= len(line); i++ {
			if strings.Contains(out, line[i:i+n]) {
				return line[i : i+n]
			}
		}
	}
	return ""
}

// TestAKeyPastedIntoAnyFieldIsNotEchoed pastes private keys into every
// text field of the example config, the ways a user pastes them (a
// quoted string with \n as in the key file, a YAML block, a bare base64
// seed), and checks that the problem it makes names the field and shows
// no piece of the key. The first 80 characters of a SEC1 PEM, which an
// echo cut to 80 used to show, hold most of the secret scalar.
func TestAKeyPastedIntoAnyFieldIsNotEchoed(t *testing.T) {
	forms, body := keyForms(t)
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
		for i, key := range forms {
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
				if p := leakedPiece(msg, body); p != "" {
					t.Errorf("%s holding key form %d (%s): the problem shows %q of the key:\n%s", f.field, i, style, p, msg)
				}
			}
		}
	}
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

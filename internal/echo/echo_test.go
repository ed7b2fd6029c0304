package echo

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCutKeepsShortValuesWhole(t *testing.T) {
	for _, s := range []string{"", "abc", strings.Repeat("x", Limit), strings.Repeat("é", Limit)} {
		if got := Cut(s); got != s {
			t.Errorf("Cut(%d chars) = %q, want it unchanged", utf8.RuneCountInString(s), got)
		}
	}
}

func TestCutShortensLongValuesToTheLimitOnACharacterBoundary(t *testing.T) {
	for _, s := range []string{strings.Repeat("x", 10000), strings.Repeat("€", 81), "a" + strings.Repeat("日本", 100)} {
		got := Cut(s)
		if n := utf8.RuneCountInString(got); n != Limit {
			t.Errorf("Cut of %d chars kept %d, want %d", utf8.RuneCountInString(s), n, Limit)
		}
		if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Errorf("Cut = %q: want valid UTF-8 ending in an ellipsis", got)
		}
	}
}

func TestCutToSmallBounds(t *testing.T) {
	if got := CutTo("abcdef", 3); got != "ab…" {
		t.Errorf("CutTo(abcdef, 3) = %q, want ab…", got)
	}
	if got := CutTo("abcdef", 0); got != "…" {
		t.Errorf("CutTo(abcdef, 0) = %q, want …", got)
	}
}

func FuzzCut(f *testing.F) {
	f.Add("plain", 80)
	f.Add(strings.Repeat("€", 200), 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n > 1000 || n < -5 {
			return
		}
		got := CutTo(s, n)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("CutTo broke UTF-8: %q", got)
		}
		if utf8.RuneCountInString(got) > max(n, 1) && got != s {
			t.Fatalf("CutTo(%q, %d) = %q: longer than %d", s, n, got, n)
		}
	})
}

// keyTexts are private keys as a user might paste them: a SEC1 PEM
// (fixed for the test, never used anywhere), the same with its newlines
// quoted as a JSON key file writes them, or folded to spaces as YAML
// folds them, and an Ed25519 seed in base64.
var keyTexts = []string{
	"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIEDE3ngBoeU0Nb22kR5pX/2panhLMhWjth74NvlgBP2CoAoGCCqGSM49\nAwEHoUQDQgAESEebSQBWtbTyqBiPe2dxCJcGoqjo477QpYOvozr3Zmx+gXcuXeIJ\n9fMCnTiLmcdozqHW0WrhG5UMAoDlYyKt3A==\n-----END EC PRIVATE KEY-----\n",
	`-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIEDE3ngBoeU0Nb22kR5pX/2panhLMhWjth74NvlgBP2CoAoGCCqGSM49\nAwEHoUQDQgAESEebSQBWtbTyqBiPe2dxCJcGoqjo477QpYOvozr3Zmx+gXcuXeIJ\n9fMCnTiLmcdozqHW0WrhG5UMAoDlYyKt3A==\n-----END EC PRIVATE KEY-----\n`,
	"-----BEGIN EC PRIVATE KEY----- MHcCAQEEIEDE3ngBoeU0Nb22kR5pX/2panhLMhWjth74NvlgBP2CoAoGCCqGSM49 AwEHoUQDQgAESEebSQBWtbTyqBiPe2dxCJcGoqjo477QpYOvozr3Zmx+gXcuXeIJ 9fMCnTiLmcdozqHW0WrhG5UMAoDlYyKt3A== -----END EC PRIVATE KEY-----",
	"nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
	// A PEM cut before its END line, as a message echoing 400 bytes has it.
	"-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2",
	// A PEM body's first line alone, unpadded (it holds the whole private
	// scalar of a SEC1 key), bare and pasted after a directory.
	"MHcCAQEEIEDE3ngBoeU0Nb22kR5pX/2panhLMhWjth74NvlgBP2CoAoGCCqGSM49",
	"/etc/tradebot/MHcCAQEEIEDE3ngBoeU0Nb22kR5pX/2panhLMhWjth74NvlgBP2CoAoGCCqGSM49",
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2",
}

// keyPieces are 12-character pieces of keyTexts' base64 bodies, of which
// no echo may show one.
var keyPieces = []string{"MHcCAQEEIEDE", "ngBoeU0Nb22k", "AwEHoUQDQgAE", "9fMCnTiLmcdo", "nWGxne/9WmC6", "BG0wawIBAQQg"}

func TestCutAndRedactNeverShowKeyMaterial(t *testing.T) {
	for i, key := range keyTexts {
		for _, text := range []string{key, "got " + strconv.Quote(key), "open " + key + ": no such file or directory"} {
			for name, got := range map[string]string{"Cut": Cut(text), "CutTo 400": CutTo(text, 400), "Redact": Redact(text)} {
				for _, p := range keyPieces {
					if strings.Contains(got, p) {
						t.Errorf("key %d: %s shows %q: %q", i, name, p, got)
					}
				}
				if !strings.Contains(got, hidden) {
					t.Errorf("key %d: %s = %q, want the note that a key was hidden", i, name, got)
				}
			}
		}
	}
	if got := Redact("open " + keyTexts[2] + ": no such file or directory"); !strings.HasSuffix(got, ": no such file or directory") || !strings.HasPrefix(got, "open ") {
		t.Errorf("Redact = %q: want the words around the key kept", got)
	}
}

// TestCutAndRedactKeepOrdinaryValues: what messages echo every day is not
// taken for a key.
func TestCutAndRedactKeepOrdinaryValues(t *testing.T) {
	for _, s := range []string{
		"BTC-USDT", "btc-sma-1796613409948", "organizations/4b5a6978-aaaa-bbbb-cccc-000000000001/apiKeys/4b5a6978-dddd-eeee-ffff-000000000002",
		"/var/lib/tradebot/state/journal.db", "/home/alice/recordings/BTCUSDT/2024/08/08/trades.tbrec.gz",
		"https://api.coinbase.com/api/v3/brokerage", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"rsi(14) < 30 and close > sma(50)", strings.Repeat("x", 100), "0123456789012345678901234567890123456789012345678",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ",
		// Go test directories are long runs of base64's alphabet.
		"/tmp/TestCheckFindsWhatRunWouldRefuse2651210311/001/state-is-a-file",
		"/tmp/TestRunRefusesADamagedJournaloverwritten_header3329901003/001/journal.db",
	} {
		if got := Redact(s); got != s {
			t.Errorf("Redact(%q) = %q, want it unchanged", s, got)
		}
		if got := Cut(s); strings.Contains(got, hidden) {
			t.Errorf("Cut(%q) = %q, want it echoed", s, got)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, k := range keyTexts {
		f.Add(k)
	}
	f.Add("plain text")
	f.Fuzz(func(t *testing.T, s string) {
		got := Redact(s)
		if LooksLikeKey(got) {
			t.Fatalf("Redact(%q) = %q still looks like a key", s, got)
		}
	})
}

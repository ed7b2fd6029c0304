package echo

import (
	"encoding/base64"
	"regexp"
	"strings"
	"sync"
)

// hidden replaces a value or a part of a message that looks like a
// private key. It names the problem so the user knows where to look.
const hidden = "[what looks like a private key, not shown]"

// minKeyRun is the shortest run of base64 taken for key material: an
// Ed25519 seed is 44 characters.
const minKeyRun = 44

// The patterns are compiled at first use: echo is imported by every
// command, and Redact needs them only once a message looks like a key.
var (
	// pemBlock is PEM armour with what follows it up to its END line: the
	// body as it appears raw, with its newlines quoted (\n, as a JSON key
	// file writes them, quoted again by %q), or folded into spaces by YAML.
	pemBlock = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*(?:-----)?[A-Za-z0-9+/=\s\\]*(?:-----END[A-Z0-9 ]*(?:-----)?)?`)
	})
	// base64Run is a candidate for a bare key: base64 characters only.
	base64Run = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[A-Za-z0-9+/]{40,}={0,2}`) })
)

// LooksLikeKey reports whether a value, echoed whole or in part, would
// show key material: whether Redact would change it. The daemon's logger
// asks it of every string it writes, so it scans by hand rather than with
// base64Run.
func LooksLikeKey(s string) bool {
	if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, "-----BEGIN") {
		return true
	}
	if len(s) < minKeyRun {
		return false
	}
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isBase64(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			end := i // the padding, up to two "=", belongs to the run
			for end < len(s) && end-i < 2 && s[end] == '=' {
				end++
			}
			if keyLikeRun(s[start:end]) {
				return true
			}
		}
		start = -1
	}
	return false
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// keyLikeRun reports whether a run of base64 characters is a key as
// Coinbase hands out bare ones: an Ed25519 seed (44 characters) or seed
// and public key (88), and a legacy API secret (88), all padded with "=";
// or a PEM body, whole or a line of it, which is not padded but holds the
// start of a private key's DER (derKeyStart). A path or a name is
// base64's alphabet too, but never ends in padding.
func keyLikeRun(run string) bool {
	if len(run) < minKeyRun {
		return false
	}
	if derKeyStart(run) {
		return true
	}
	if !strings.HasSuffix(run, "=") {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(run)
	return err == nil
}

// derKeyPrefixes are how the base64 body of every private key Coinbase
// hands out as PEM begins: SEC1 EC P-256 ("EC PRIVATE KEY"), PKCS#8 EC
// P-256 and PKCS#8 Ed25519 ("PRIVATE KEY"). A body line pasted alone has
// no padding, and the first one of a SEC1 key holds the whole private
// scalar.
var derKeyPrefixes = []string{"MHcCAQEE", "MIGHAgEA", "MC4CAQAw"}

// derKeyStart reports whether a run of base64 holds the start of a
// private key's DER body: anywhere in it, since a path's "/" is base64
// too ("/etc/MHcCAQEE...").
func derKeyStart(run string) bool {
	for _, p := range derKeyPrefixes {
		if strings.Contains(run, p) {
			return true
		}
	}
	return false
}

// Redact returns a message with every part that looks like key material
// replaced by a note: a PEM block (whole or cut), or a bare base64 key.
// It is the net under messages built from values that were not passed
// through Cut (a library's error, a value formatted whole).
func Redact(msg string) string {
	if !LooksLikeKey(msg) {
		return msg
	}
	msg = pemBlock().ReplaceAllString(msg, hidden)
	msg = strings.ReplaceAll(msg, "PRIVATE KEY", "[key type]")
	return base64Run().ReplaceAllStringFunc(msg, func(run string) string {
		if keyLikeRun(run) {
			return hidden
		}
		return run
	})
}

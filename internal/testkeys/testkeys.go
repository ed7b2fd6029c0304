// Package testkeys makes fresh private keys of every kind Coinbase hands
// out, in the forms a user pastes them, for tests that check a key is
// never printed.
package testkeys

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
)

// Key is one private key as a user may paste it, and the material that
// must never be printed: its base64, without armour or line breaks.
type Key struct {
	Forms    []string // the texts a user might put in a field
	Material string
}

// Generate makes one key of every kind: a SEC1 PEM, a PKCS8 PEM of ECDSA
// P-256 and of Ed25519 (each as downloaded, with \n escapes as in the
// JSON key file, and trimmed), and an Ed25519 seed and seed with public
// key in base64.
func Generate(t testing.TB) []Key {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(ed)
	seed := base64.StdEncoding.EncodeToString(ed.Seed())
	full := base64.StdEncoding.EncodeToString(ed)
	return []Key{
		pemKey("EC PRIVATE KEY", sec1),
		pemKey("PRIVATE KEY", pkcs8),
		pemKey("PRIVATE KEY", edPKCS8),
		{Forms: []string{seed}, Material: seed},
		{Forms: []string{full}, Material: full},
	}
}

func pemKey(typ string, der []byte) Key {
	text := string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	return Key{
		Forms:    []string{text, strings.ReplaceAll(text, "\n", `\n`), strings.TrimSpace(text)},
		Material: base64.StdEncoding.EncodeToString(der),
	}
}

// Leak returns the first piece of n characters of a key's material found
// in out, after removing what printing adds (line breaks, \n escapes,
// quotes, blanks), or "".
func Leak(out string, keys []Key, n int) string {
	norm := strings.NewReplacer(`\\n`, "", `\n`, "", "\n", "", "\r", "", " ", "", `"`, "", `\`, "").Replace(out)
	for _, k := range keys {
		m := strings.TrimRight(k.Material, "=")
		for i := 0; i+n <= len(m); i++ {
			if strings.Contains(norm, m[i:i+n]) {
				return m[i : i+n]
			}
		}
	}
	return ""
}

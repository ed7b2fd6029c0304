package coinbase

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewCredentialsReadsEveryKeyFormatCoinbaseHandsOut(t *testing.T) {
	sec1, _ := newTestKey(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ec)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalECPrivateKey(p384)
	tests := []struct {
		name, key, wantAlg, wantErr string
	}{
		{"SEC1 PEM", sec1, "ES256", ""},
		{"SEC1 PEM with literal \\n escapes", strings.ReplaceAll(sec1, "\n", `\n`), "ES256", ""},
		// As pastes change a PEM's lines: CRLF (Windows), \r\n escaped
		// (an environment variable written there), every line indented
		// (a YAML block or manifest), lines folded into spaces (a one-line
		// .env value, YAML's >), blanks around it and after each line.
		{"SEC1 PEM with CRLF line ends", strings.ReplaceAll(sec1, "\n", "\r\n"), "ES256", ""},
		{"SEC1 PEM with literal \\r\\n escapes", strings.ReplaceAll(sec1, "\n", `\r\n`), "ES256", ""},
		{"SEC1 PEM indented", "    " + strings.ReplaceAll(strings.TrimSpace(sec1), "\n", "\n    "), "ES256", ""},
		{"SEC1 PEM on one line", strings.ReplaceAll(strings.TrimSpace(sec1), "\n", " "), "ES256", ""},
		{"SEC1 PEM with blanks", "\n\t " + strings.ReplaceAll(sec1, "\n", " \t\n") + "\n\n", "ES256", ""},
		{"PEM whose END names another type", strings.Replace(sec1, "END EC PRIVATE KEY", "END PRIVATE KEY", 1), "", "neither PEM nor base64"},
		{"PKCS8 ECDSA", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecPKCS8})), "ES256", ""},
		{"PKCS8 Ed25519", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edPKCS8})), "EdDSA", ""},
		{"raw base64 Ed25519 seed", base64.StdEncoding.EncodeToString(edKey.Seed()), "EdDSA", ""},
		{"raw base64 Ed25519 seed and public key", base64.StdEncoding.EncodeToString(edKey), "EdDSA", ""},
		{"P-384 is refused", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p384DER})), "", "P-256"},
		{"empty", "", "", "empty"},
		{"garbage", "not a key at all!", "", "neither PEM nor base64"},
		{"wrong length", base64.StdEncoding.EncodeToString([]byte("short")), "", "5 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCredentials(testKeyName, tt.key)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if tt.key != "" && strings.Contains(err.Error(), tt.key) {
					t.Fatalf("error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Algorithm() != tt.wantAlg {
				t.Fatalf("alg %s, want %s", c.Algorithm(), tt.wantAlg)
			}
			tok, err := c.RESTToken("GET api.coinbase.com/api/v3/brokerage/accounts", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyJWT(tok, c.PublicKey(), testKeyName, "GET api.coinbase.com/api/v3/brokerage/accounts", time.Now()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadKeyFileReadsTheCDPDownload(t *testing.T) {
	pemText, _ := newTestKey(t)
	b, _ := json.Marshal(map[string]any{"name": testKeyName, "privateKey": pemText, "nickname": "bot", "scopes": []string{"rat#view", "rat#trade"}})
	path := filepath.Join(t.TempDir(), "cdp_api_key.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyName() != testKeyName {
		t.Fatalf("name %q", c.KeyName())
	}
	if w, err := KeyFileWarning(path); err != nil || w != "" {
		t.Fatalf("mode 600: warning %q, err %v", w, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := KeyFileWarning(path)
	if err != nil || !strings.Contains(w, "chmod 600 "+path) {
		t.Fatalf("mode 644: warning %q, err %v; want the chmod fix", w, err)
	}
	// A broken file must not echo its content, which holds the key.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"name": "x", "privateKey": `+pemText[:40]), 0o600)
	if _, err := LoadKeyFile(bad); err == nil || strings.Contains(err.Error(), "BEGIN") {
		t.Fatalf("err = %v", err)
	}
}

// A key file path that cannot be read is echoed cut, as every value a
// message quotes, with the reason in words: os's errors quote the path
// whole (a 300-character path once came back whole, after "stat").
func TestAMissingKeyFileIsNamedCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), strings.Repeat("k", 200), "cdp_api_key.json")
	for what, err := range map[string]error{
		"LoadKeyFile":    func() error { _, err := LoadKeyFile(path); return err }(),
		"KeyFileWarning": func() error { _, err := KeyFileWarning(path); return err }(),
	} {
		if err == nil || strings.Contains(err.Error(), path) || !strings.HasSuffix(err.Error(), ": no such file") ||
			strings.Contains(err.Error(), "stat ") || strings.Contains(err.Error(), "open ") {
			t.Errorf("%s of a missing file at a long path: %v; want it cut, then \"no such file\"", what, err)
		}
	}
	// A directory opens, and its read fails: the same words, not os's
	// "read <the whole path>".
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(dir); err == nil || strings.Contains(err.Error(), dir) || !strings.HasSuffix(err.Error(), ": is a directory") {
		t.Errorf("LoadKeyFile of a directory at a long path: %v; want it cut, then \"is a directory\"", err)
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	pemText, _ := newTestKey(t)
	t.Setenv(EnvKeyName, testKeyName)
	t.Setenv(EnvPrivateKey, strings.ReplaceAll(pemText, "\n", `\n`))
	c, ok, err := CredentialsFromEnv()
	if err != nil || !ok || c.KeyName() != testKeyName {
		t.Fatalf("c %v ok %v err %v", c, ok, err)
	}
	t.Setenv(EnvKeyName, "")
	if _, ok, err := CredentialsFromEnv(); !ok || err == nil || strings.Contains(err.Error(), "BEGIN") {
		t.Fatalf("half-set variables: ok %v err %v", ok, err)
	}
	t.Setenv(EnvPrivateKey, "")
	if _, ok, err := CredentialsFromEnv(); ok || err != nil {
		t.Fatalf("unset: ok %v err %v", ok, err)
	}
}

// TestCredentialsNeverPrintThePrivateKey prints credentials every way a
// careless caller might and checks that no part of the key appears.
func TestCredentialsNeverPrintThePrivateKey(t *testing.T) {
	pemText, c := newTestKey(t)
	block, _ := pem.Decode([]byte(pemText))
	k, _ := x509.ParseECPrivateKey(block.Bytes)
	scalar, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{
		pemText[40:80],
		new(big.Int).SetBytes(scalar).String(), // how %v of the key's numbers would print
		fmt.Sprintf("%x", scalar),
		base64.StdEncoding.EncodeToString(block.Bytes)[10:40],
	}
	type holder struct {
		Name  string
		Creds *Credentials
		creds *Credentials
		inner Credentials
	}
	h := holder{Name: "cfg", Creds: c, creds: c, inner: *c}
	client, err := NewClient(Config{Credentials: c})
	if err != nil {
		t.Fatal(err)
	}
	feed, err := NewFeed(FeedConfig{Credentials: c, User: true})
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, v := range []any{client, *client, Config{Credentials: c}, feed, FeedConfig{Credentials: c}} {
		outs = append(outs, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v))
	}
	for _, v := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(v, c), fmt.Sprintf(v, h), fmt.Sprintf(v, *c), fmt.Sprintf(v, []any{c}))
	}
	for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		l := slog.New(newHandler(&buf))
		l.Info("creds", "c", c, "h", h, "any", any(c))
		outs = append(outs, buf.String())
	}
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	wrapped := fmt.Errorf("connect with %v: %w", c, errors.New("refused"))
	outs = append(outs, wrapped.Error(), fmt.Sprintf("%+v", wrapped))
	for _, out := range outs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Fatalf("output reveals the private key: %s", out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(c), testKeyName) {
		t.Fatalf("String should name the key: %s", c)
	}
}

package coinbase

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// decodeJWTPart decodes a header or claims segment without verifying.
func decodeJWTPart(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRESTTokenCarriesTheDocumentedHeaderAndClaims(t *testing.T) {
	_, c := newTestKey(t)
	now := time.Unix(1_700_000_000, 0)
	uri := RequestURI("GET", "api.coinbase.com", "/api/v3/brokerage/accounts")
	tok, err := c.RESTToken(uri, now)
	if err != nil {
		t.Fatal(err)
	}
	h := decodeJWTPart(t, tok, 0)
	if h["alg"] != "ES256" || h["kid"] != testKeyName || h["typ"] != "JWT" {
		t.Fatalf("header %v", h)
	}
	if n, _ := h["nonce"].(string); len(n) != 32 || strings.Trim(n, "0123456789abcdef") != "" {
		t.Fatalf("nonce %q is not 16 random bytes in hex", h["nonce"])
	}
	cl := decodeJWTPart(t, tok, 1)
	want := map[string]any{"sub": testKeyName, "iss": "cdp", "nbf": 1_700_000_000.0, "exp": 1_700_000_120.0,
		"uri": "GET api.coinbase.com/api/v3/brokerage/accounts"}
	for k, v := range want {
		if cl[k] != v {
			t.Errorf("claim %s = %v, want %v", k, cl[k], v)
		}
	}
	if len(cl) != len(want) {
		t.Errorf("claims %v, want exactly %v", cl, want)
	}
	tok2, _ := c.RESTToken(uri, now)
	if decodeJWTPart(t, tok2, 0)["nonce"] == h["nonce"] {
		t.Fatal("two tokens share a nonce")
	}
	ws, _ := c.WSToken(now)
	if _, ok := decodeJWTPart(t, ws, 1)["uri"]; ok {
		t.Fatal("a WebSocket token must not carry uri")
	}
}

func TestVerifyJWTRefusesWhatCoinbaseRefuses(t *testing.T) {
	_, c := newTestKey(t)
	_, other := newTestKey(t)
	now := time.Unix(1_700_000_000, 0)
	uri := "POST api.coinbase.com/api/v3/brokerage/orders"
	good, _ := c.RESTToken(uri, now)
	ws, _ := c.WSToken(now)
	forged, _ := other.RESTToken(uri, now)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name    string
		token   string
		key     any
		keyName string
		uri     string
		at      time.Time
		wantErr string
	}{
		{"valid", good, c.PublicKey(), testKeyName, uri, now.Add(time.Minute), ""},
		{"valid websocket token", ws, c.PublicKey(), testKeyName, "", now, ""},
		{"expired", good, c.PublicKey(), testKeyName, uri, now.Add(3 * time.Minute), "expired"},
		{"not yet valid", good, c.PublicKey(), testKeyName, uri, now.Add(-time.Minute), "not valid yet"},
		{"wrong uri", good, c.PublicKey(), testKeyName, "GET api.coinbase.com/api/v3/brokerage/orders", now, "uri"},
		{"websocket token used for REST", ws, c.PublicKey(), testKeyName, uri, now, "uri"},
		{"wrong key name", good, c.PublicKey(), "organizations/x/apiKeys/y", uri, now, "kid"},
		{"signed by another key", forged, c.PublicKey(), testKeyName, uri, now, "signature"},
		{"verified with another key", good, &otherKey.PublicKey, testKeyName, uri, now, "signature"},
		{"garbage", "a.b.c", c.PublicKey(), testKeyName, uri, now, "coinbase jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyJWT(tt.token, tt.key, tt.keyName, tt.uri, tt.at)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func BenchmarkRESTTokenES256(b *testing.B) {
	_, c := newTestKey(b)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.RESTToken("GET api.coinbase.com/api/v3/brokerage/accounts", now); err != nil {
			b.Fatal(err)
		}
	}
}

package coinbase

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/tradebot/tradebot/internal/testenv"
)

const testKeyName = "organizations/0f1e2d3c/apiKeys/4b5a6978"

// newTestKey returns a fresh P-256 key as a SEC1 PEM, the way the CDP
// portal hands it out, and credentials made from it.
func newTestKey(t testing.TB) (string, *Credentials) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	c, err := NewCredentials(testKeyName, pemText)
	if err != nil {
		t.Fatal(err)
	}
	return pemText, c
}

// sample returns a payload from testdata (copied from ../shared, see
// testdata/SOURCES.md).
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sharedSample reads a payload from ../shared/coinbase/samples, skipping
// (or failing under TRADEBOT_REQUIRE_ALL) when ../shared is absent.
func sharedSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedFile(t, "coinbase/samples/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

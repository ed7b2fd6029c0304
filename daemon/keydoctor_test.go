package daemon

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/internal/emutest"
)

// skewedClock is the emulator's clock off the machine's by d.
type skewedClock struct{ d time.Duration }

func (s skewedClock) Now() time.Time { return time.Now().Add(s.d) }

// doctorCase is one way a key can be wrong, made in the emulator.
type doctorCase struct {
	name string
	// key changes the key the emulator knows; keyFile what the user has.
	key     func(k *emulator.Key)
	keyFile func(t *testing.T, k emulator.Key, kf emulator.KeyFile) []byte
	opts    func(o *emulator.Options)
	cfg     func(c *config.Config)
	// want are what the output must say; fail is the step that fails ("" for none).
	fail string
	want []string
}

func runDoctor(t *testing.T, tc doctorCase) string {
	t.Helper()
	k, kf, err := emulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if tc.key != nil {
		tc.key(&k)
	}
	opts := emulator.Options{Keys: []emulator.Key{k}}
	if tc.opts != nil {
		tc.opts(&opts)
	}
	e := emutest.Start(t, opts)
	ctx := context.Background()
	var body []byte
	if tc.keyFile != nil {
		body = tc.keyFile(t, k, kf)
	} else {
		body, _ = json.Marshal(kf)
	}
	path := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{coinbase.EnvKeyName, coinbase.EnvPrivateKey, coinbase.EnvKeyFile, "CREDENTIALS_DIRECTORY"} {
		t.Setenv(v, "")
	}
	cfg := config.Default()
	cfg.Mode = config.ModeLive
	cfg.Coinbase.RESTURL = e.RESTURL()
	cfg.Coinbase.KeyFile = path
	cfg.Strategies = []config.Strategy{{Name: "btc", Product: "BTC-USD"}, {Name: "btc2", Product: "BTC-USD"}}
	if tc.cfg != nil {
		tc.cfg(cfg)
	}
	var out bytes.Buffer
	_, err = CheckLive(ctx, cfg, slog.New(slog.DiscardHandler), &out)
	text := out.String()
	switch {
	case tc.fail == "" && err != nil:
		t.Fatalf("unexpected failure %v; output:\n%s", err, text)
	case tc.fail != "" && (err == nil || !strings.Contains(text, "FAIL  "+tc.fail)):
		t.Fatalf("want step %q to fail, got %v; output:\n%s", tc.fail, err, text)
	}
	for _, w := range tc.want {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "PRIVATE KEY") || leaks(text, nil) != "" {
		t.Errorf("output shows a key:\n%s", text)
	}
	return text
}

// TestKeyDoctorDiagnosesEveryFailure: `tradebot check` in live mode,
// against the emulator made to fail each way a key can.
func TestKeyDoctorDiagnosesEveryFailure(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	cases := []doctorCase{
		{name: "a good ECDSA key", want: []string{"ok    key", "CDP key, ECDSA", "ok    clock", "ok    authentication",
			"view and trade, no transfer", emulator.DefaultPortfolioUUID, "ok    products", "BTC-USD (base increment"}},
		{name: "a good Ed25519 key", key: func(k *emulator.Key) { k.PublicKey = edPub },
			keyFile: func(t *testing.T, k emulator.Key, _ emulator.KeyFile) []byte {
				b, _ := json.Marshal(emulator.KeyFile{Name: k.Name, PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}))})
				return b
			}, want: []string{"CDP key, Ed25519", "ok    products"}},
		{name: "not a key file", keyFile: func(*testing.T, emulator.Key, emulator.KeyFile) []byte { return []byte("apiKey=abc\n") },
			fail: "key", want: []string{"not a JSON object with name and privateKey"}},
		{name: "a legacy API key", keyFile: func(*testing.T, emulator.Key, emulator.KeyFile) []byte {
			return []byte(`{"apiKey": "` + legacyKey + `", "secret": "` + legacySecret + `", "passphrase": "hunter2"}`)
		}, fail: "key", want: []string{"legacy API key", "CDP API key"}},
		{name: "a legacy key in the CDP fields", keyFile: func(*testing.T, emulator.Key, emulator.KeyFile) []byte {
			return []byte(`{"name": "` + legacyKey + `", "privateKey": "` + legacySecret + `"}`)
		}, fail: "key", want: []string{"legacy API key"}},
		{name: "name and privateKey swapped", keyFile: func(_ *testing.T, _ emulator.Key, kf emulator.KeyFile) []byte {
			b, _ := json.Marshal(map[string]string{"name": kf.PrivateKey, "privateKey": kf.Name})
			return b
		}, fail: "key", want: []string{"swapped"}},
		{name: "a clock a little off", opts: func(o *emulator.Options) { o.Clock = skewedClock{10 * time.Second} },
			want: []string{"(warning: more than 5s)", "warning: the local clock is", "ok    products"}},
		{name: "a clock far off", opts: func(o *emulator.Options) { o.Clock = skewedClock{-5 * time.Minute} },
			fail: "clock", want: []string{"beyond a JWT's two minutes", "chrony"}},
		{name: "a revoked key", key: func(k *emulator.Key) { k.Revoked = true },
			fail: "authentication", want: []string{"HTTP 401", "revoked or deleted"}},
		{name: "a key not active yet", key: func(k *emulator.Key) { k.ActiveFrom = time.Now().Add(47 * time.Hour) },
			fail: "authentication", want: []string{"48 hours"}},
		{name: "an address off the IP allow-list", key: func(k *emulator.Key) { k.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} },
			fail: "authentication", want: []string{"IP allow-list"}},
		{name: "an address on the IP allow-list", key: func(k *emulator.Key) { k.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} },
			want: []string{"ok    authentication"}},
		{name: "a key name from another key", keyFile: func(_ *testing.T, _ emulator.Key, kf emulator.KeyFile) []byte {
			other, _, _ := emulator.GenerateKey()
			b, _ := json.Marshal(emulator.KeyFile{Name: other.Name, PrivateKey: kf.PrivateKey})
			return b
		}, fail: "authentication", want: []string{"the key name does not belong to the private key"}},
		{name: "a view-only key", key: func(k *emulator.Key) { k.CanTrade = false },
			fail: "permissions", want: []string{"cannot trade"}},
		{name: "a key without view", key: func(k *emulator.Key) { k.CanView = false },
			fail: "permissions", want: []string{"view permission"}},
		{name: "a key that can transfer", key: func(k *emulator.Key) { k.CanTransfer = true },
			fail: "permissions", want: []string{"transfer", "allow_transfer_permission"}},
		{name: "transfer accepted by the config", key: func(k *emulator.Key) { k.CanTransfer = true },
			cfg:  func(c *config.Config) { c.Coinbase.AllowTransferPermission = true },
			want: []string{"transfer accepted by coinbase.allow_transfer_permission", "ok    products"}},
		{name: "a key bound to another portfolio", key: func(k *emulator.Key) { k.PortfolioUUID = "11111111-2222-3333-4444-555555555555" },
			want: []string{"ok    portfolio", "11111111-2222-3333-4444-555555555555"}},
		{name: "a product not listed", cfg: func(c *config.Config) { c.Strategies[1].Product = "DOGE-USD" },
			fail: "products", want: []string{"DOGE-USD"}},
		{name: "a product that does not trade now", opts: func(o *emulator.Options) {
			ps := emulator.DefaultProducts()
			for i := range ps {
				ps[i].CancelOnly = ps[i].ID == "BTC-USD"
			}
			o.Products = ps
		}, fail: "products", want: []string{"does not accept orders"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runDoctor(t, tc) })
	}
}

package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/internal/testkeys"
)

const (
	testKeyName  = "organizations/0f1e2d3c-aaaa-bbbb-cccc-000000000001/apiKeys/4b5a6978-dddd-eeee-ffff-000000000002"
	legacyKey    = "AbCdEfGh12345678"
	legacySecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw=="
)

// testSecrets makes one key of every kind Coinbase hands out, plus the
// secret of a legacy API key.
func testSecrets(t *testing.T) []testkeys.Key {
	t.Helper()
	return append(testkeys.Generate(t), testkeys.Key{Forms: []string{legacySecret}, Material: legacySecret})
}

// leaks returns the first 20-character piece of a secret found in out.
func leaks(out string, secrets []testkeys.Key) string { return testkeys.Leak(out, secrets, 20) }

// TestCredentialLoaderNeverPrintsAPrivateKey puts private keys (every
// kind, pasted every way) and names in every field the loader reads: the
// key file's name, id and privateKey, the config's key_name and
// private_key, the two environment variables, swapped or not, and checks
// that no error, log line or printing of the credentials holds any
// 20-character piece of a key.
func TestCredentialLoaderNeverPrintsAPrivateKey(t *testing.T) {
	secrets := testSecrets(t)
	values := []string{"", testKeyName, legacyKey, "4b5a6978-dddd-eeee-ffff-000000000002", "not a key at all"}
	for _, s := range secrets {
		values = append(values, s.Forms...)
	}
	for _, v := range []string{coinbase.EnvKeyName, coinbase.EnvPrivateKey, coinbase.EnvKeyFile, "CREDENTIALS_DIRECTORY"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		pick := func(label string) string { return rapid.SampledFrom(values).Draw(rt, label) }
		var cfg config.Coinbase
		switch rapid.IntRange(0, 3).Draw(rt, "source") {
		case 0: // key file
			n++
			path := filepath.Join(dir, fmt.Sprintf("key-%d.json", n))
			kf := map[string]string{}
			for _, f := range []string{"name", "id", "privateKey", "secret", "passphrase"} {
				if v := pick(f); v != "" {
					kf[f] = v
				}
			}
			b, _ := json.Marshal(kf)
			mode := rapid.SampledFrom([]os.FileMode{0o600, 0o644}).Draw(rt, "mode")
			if err := os.WriteFile(path, b, mode); err != nil {
				rt.Fatal(err)
			}
			os.Chmod(path, mode)
			if rapid.Bool().Draw(rt, "from env") {
				os.Setenv(coinbase.EnvKeyFile, path)
				defer os.Setenv(coinbase.EnvKeyFile, "")
			} else {
				cfg.KeyFile = path
			}
			cfg.AllowInsecureKeyFile = rapid.Bool().Draw(rt, "allow insecure")
		case 1: // config
			cfg.KeyName, cfg.PrivateKey = pick("key_name"), config.Secret(pick("private_key"))
		default: // environment
			os.Setenv(coinbase.EnvKeyName, pick(coinbase.EnvKeyName))
			os.Setenv(coinbase.EnvPrivateKey, pick(coinbase.EnvPrivateKey))
			defer os.Setenv(coinbase.EnvKeyName, "")
			defer os.Setenv(coinbase.EnvPrivateKey, "")
		}
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		creds, err := LoadCredentials(cfg, log)
		outs := []string{logs.String()}
		if err != nil {
			outs = append(outs, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		} else {
			j, _ := json.Marshal(creds)
			outs = append(outs, fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds), string(j),
				coinbase.DisplayKeyName(creds.KeyName()))
			log.Info("loaded", "creds", creds)
			outs = append(outs, logs.String())
		}
		for _, out := range outs {
			if piece := leaks(out, secrets); piece != "" {
				rt.Fatalf("printed %q of a private key in: %s", piece, out)
			}
		}
	})
}

// TestSwappedFieldsAreNamedNotPrinted: the two mistakes the issue found
// print the whole PEM no more and say what is wrong.
func TestSwappedFieldsAreNamedNotPrinted(t *testing.T) {
	secrets := testSecrets(t)
	pemText := secrets[0].Forms[0]
	for _, v := range []string{coinbase.EnvKeyFile, "CREDENTIALS_DIRECTORY"} {
		t.Setenv(v, "")
	}
	path := filepath.Join(t.TempDir(), "key.json")
	b, _ := json.Marshal(map[string]string{"name": pemText, "privateKey": testKeyName})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCredentials(config.Coinbase{KeyFile: path}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "swapped") || leaks(err.Error(), secrets) != "" {
		t.Errorf("key file with name and privateKey swapped: %v", err)
	}
	t.Setenv(coinbase.EnvKeyName, pemText)
	t.Setenv(coinbase.EnvPrivateKey, testKeyName)
	_, err = LoadCredentials(config.Coinbase{}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "swapped") || leaks(err.Error(), secrets) != "" {
		t.Errorf("environment variables swapped: %v", err)
	}
}

// writeKeyFile writes a CDP key file with mode and returns its path.
func writeKeyFile(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	pemText := testSecrets(t)[0].Forms[0]
	b, _ := json.Marshal(map[string]string{"name": testKeyName, "privateKey": pemText})
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKeyFileOthersCanReadIsRefusedUnlessAllowed(t *testing.T) {
	for _, v := range []string{coinbase.EnvKeyName, coinbase.EnvPrivateKey, coinbase.EnvKeyFile, "CREDENTIALS_DIRECTORY"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		path := writeKeyFile(t, dir, fmt.Sprintf("key-%o.json", mode), mode)
		_, err := LoadCredentials(config.Coinbase{KeyFile: path}, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "allow_insecure_key_file") {
			t.Errorf("mode %o: %v, want a refusal naming chmod 600 and allow_insecure_key_file", mode, err)
		}
		var logs bytes.Buffer
		c, err := LoadCredentials(config.Coinbase{KeyFile: path, AllowInsecureKeyFile: true}, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil || c.KeyName() != testKeyName || !strings.Contains(logs.String(), "allow_insecure_key_file") {
			t.Errorf("mode %o with allow_insecure_key_file: %v, log %q", mode, err, logs.String())
		}
	}
	if _, err := LoadCredentials(config.Coinbase{KeyFile: writeKeyFile(t, dir, "ok.json", 0o600)}, slog.New(slog.DiscardHandler)); err != nil {
		t.Errorf("mode 600: %v", err)
	}
}

// TestCredentialSources: the key is found where operators keep it.
func TestCredentialSources(t *testing.T) {
	pemText := testSecrets(t)[0].Forms[0]
	dir := t.TempDir()
	secretMount := filepath.Join(dir, "run", "secrets")
	credDir := filepath.Join(dir, "credentials")
	for _, d := range []string{secretMount, credDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		env  map[string]string
		cfg  config.Coinbase
	}{
		{"config key_file", nil, config.Coinbase{KeyFile: writeKeyFile(t, dir, "cfg.json", 0o600)}},
		{"config key_name and private_key", nil, config.Coinbase{KeyName: testKeyName, PrivateKey: config.Secret(pemText)}},
		{"environment variables", map[string]string{coinbase.EnvKeyName: testKeyName, coinbase.EnvPrivateKey: strings.ReplaceAll(pemText, "\n", `\n`)}, config.Coinbase{}},
		{"Docker or Kubernetes secret file", map[string]string{coinbase.EnvKeyFile: writeKeyFile(t, secretMount, "coinbase-key", 0o400)}, config.Coinbase{}},
		{"systemd credential", map[string]string{"CREDENTIALS_DIRECTORY": filepath.Dir(writeKeyFile(t, credDir, SystemdCredentialName, 0o400))}, config.Coinbase{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{coinbase.EnvKeyName, coinbase.EnvPrivateKey, coinbase.EnvKeyFile, "CREDENTIALS_DIRECTORY"} {
				t.Setenv(v, tc.env[v])
			}
			c, err := LoadCredentials(tc.cfg, slog.New(slog.DiscardHandler))
			if err != nil || c.KeyName() != testKeyName {
				t.Fatalf("%v, %v", c, err)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		for _, v := range []string{coinbase.EnvKeyName, coinbase.EnvPrivateKey, coinbase.EnvKeyFile, "CREDENTIALS_DIRECTORY"} {
			t.Setenv(v, "")
		}
		_, err := LoadCredentials(config.Coinbase{}, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "LoadCredential") || !strings.Contains(err.Error(), coinbase.EnvKeyFile) {
			t.Errorf("no key anywhere: %v", err)
		}
	})
}

// TestAKeyPastedAsTheKeyFilePathIsNotPrinted puts each private key,
// whole in every form and the first line of its PEM body alone, where
// the key file's path goes (coinbase.key_file and COINBASE_API_KEY_FILE),
// and checks that neither the error nor `tradebot check`'s report shows
// any of it. Every message about a key file names its path and os's
// errors quote it whole: check's report printed a whole PEM, and a body
// line, which is not padded, was printed everywhere (the first line of a
// SEC1 PEM holds the whole private scalar).
func TestAKeyPastedAsTheKeyFilePathIsNotPrinted(t *testing.T) {
	secrets := testSecrets(t)
	for _, v := range []string{coinbase.EnvKeyName, coinbase.EnvPrivateKey, coinbase.EnvKeyFile, "CREDENTIALS_DIRECTORY"} {
		t.Setenv(v, "")
	}
	var pasted []string
	for _, s := range secrets {
		for _, f := range s.Forms {
			pasted = append(pasted, f)
			if lines := strings.Split(f, "\n"); strings.HasPrefix(f, "-----BEGIN") && len(lines) > 1 {
				pasted = append(pasted, lines[1])
			}
		}
	}
	for i, p := range pasted {
		for _, fromEnv := range []bool{false, true} {
			cfg := &config.Config{Mode: config.ModeLive}
			if fromEnv {
				t.Setenv(coinbase.EnvKeyFile, p)
			} else {
				t.Setenv(coinbase.EnvKeyFile, "")
				cfg.Coinbase.KeyFile = p
			}
			var logs, report bytes.Buffer
			_, err := CheckLive(t.Context(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)), &report)
			if err == nil {
				t.Fatalf("pasted text %d as the key file: no error", i)
			}
			for where, out := range map[string]string{"error": err.Error(), "report": report.String(), "log": logs.String()} {
				if piece := leaks(out, secrets); piece != "" {
					t.Errorf("pasted text %d as the key file (from the environment: %v): the %s shows %q: %s", i, fromEnv, where, piece, out)
				}
			}
		}
	}
}

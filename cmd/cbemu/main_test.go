package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/exchange/coinbase"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// started runs cbemu with args until the test ends and returns the URLs
// it printed.
func started(t *testing.T, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, io.Discard)
		pw.CloseWithError(errors.Join(err, io.EOF))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	urls := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if ok {
			urls[k] = v
		}
		if k == "key_file" {
			break
		}
	}
	if urls["rest_url"] == "" {
		t.Fatalf("cbemu printed no URLs (%v)", sc.Err())
	}
	return urls
}

func TestCbemuWritesAKeyTheClientCanUseAndPrintsTheURLs(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), "cdp_api_key.json")
	urls := started(t, "--key-file", keyPath, "--recording", "bundled", "--speed", "0", "--balances", "USD=500,BTC=0.5")
	st, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	for _, k := range []string{"market_data_url", "user_url"} {
		if !strings.HasPrefix(urls[k], "ws://127.0.0.1:") {
			t.Errorf("%s = %q", k, urls[k])
		}
	}
	creds, err := coinbase.LoadKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c, err := coinbase.NewClient(coinbase.Config{BaseURL: urls["rest_url"], Credentials: creds, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	perms, err := c.KeyPermissions(ctx)
	if err != nil || !perms.CanTrade || perms.CanTransfer {
		t.Fatalf("permissions %+v, %v", perms, err)
	}
	bals, err := c.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, b := range bals {
		got[b.Currency] = b.Available.String()
	}
	if got["USD"] != "500" || got["BTC"] != "0.5" {
		t.Errorf("balances %v, want USD 500 and BTC 0.5", got)
	}
	// The bundled recording is replayed into BTC-USD as fast as possible.
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := c.GetProduct(ctx, "BTC-USD")
		if err == nil && p.Price.IsPositive() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no BTC-USD price from the replay: %+v, %v", p, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCbemuReusesAKeyFileAndCanReportTransfer(t *testing.T) {
	keyPath := filepath.Join(t.TempDir(), "key.json")
	started(t, "--key-file", keyPath, "--recording", "none")
	urls := started(t, "--key-file", keyPath, "--recording", "none", "--can-transfer")
	creds, err := coinbase.LoadKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c, err := coinbase.NewClient(coinbase.Config{BaseURL: urls["rest_url"], Credentials: creds, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	perms, err := c.KeyPermissions(context.Background())
	if err != nil || !perms.CanTransfer {
		t.Fatalf("permissions %+v, %v; want can_transfer", perms, err)
	}
}

func TestCbemuRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no key file", []string{"--recording", "none"}, "--key-file is required"},
		{"bad balance", []string{"--key-file", filepath.Join(dir, "k1"), "--balances", "USD=-1"}, "--balances"},
		{"bad mirror", []string{"--key-file", filepath.Join(dir, "k2"), "--mirror", "BTC-USDT"}, "--mirror"},
		{"fill cap without partial fills", []string{"--key-file", filepath.Join(dir, "k4"), "--max-fill-size", "0.002"}, "--max-fill-size needs --partial-fills"},
		{"bad fill cap", []string{"--key-file", filepath.Join(dir, "k5"), "--partial-fills", "--max-fill-size", "-1"}, "--max-fill-size"},
		{"negative queue time", []string{"--key-file", filepath.Join(dir, "k6"), "--queue-for", "-1s"}, "--queue-for"},
		{"missing recording", []string{"--key-file", filepath.Join(dir, "k3"), "--recording", filepath.Join(dir, "nope.tbrec")}, "--recording"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run %v: %v, want an error about %s", tc.args, err, tc.want)
			}
		})
	}
}

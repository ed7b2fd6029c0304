package metrics_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/internal/testcert"
	"github.com/tradebot/tradebot/metrics"
)

func TestWebConfigWithTLSServesHTTPSOnly(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, pool := testcert.Write(t, dir)
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte("tls_server_config:\n  cert_file: "+certPath+"\n  key_file: "+keyPath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := metrics.Listen(metrics.ServerConfig{ListenAddress: "127.0.0.1:0", WebConfigFile: webConfig})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v", err)
		}
	}()
	addr := s.Addr().String()

	tlsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	resp, err := tlsClient.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTPS /healthz = %d, want 200", resp.StatusCode)
	}

	plain := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err = plain.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP /healthz answered 200 on a TLS-only server")
		}
	}
}

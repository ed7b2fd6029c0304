package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tradebot/tradebot/internal/testcert"
	"github.com/tradebot/tradebot/metrics"
)

// serveTLS serves a daemon's HTTP endpoints on loopback behind a web
// config with TLS (exporter-toolkit), with a self-signed certificate for
// hosts, until the test ends. It returns the readiness URL and the
// certificate's path.
func serveTLS(t *testing.T, hosts ...string) (readyURL, certPath string) {
	t.Helper()
	return serveWebConfig(t, "", hosts...)
}

// serveWebConfig is serveTLS with more lines in the web config.
func serveWebConfig(t *testing.T, extra string, hosts ...string) (readyURL, certPath string) {
	t.Helper()
	dir := t.TempDir()
	certPath, keyPath, _ := testcert.Write(t, dir, hosts...)
	webConfig := filepath.Join(dir, "web.yml")
	doc := "tls_server_config:\n  cert_file: " + certPath + "\n  key_file: " + keyPath + "\n" + extra
	if err := os.WriteFile(webConfig, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _ := serveHTTP(t, metrics.ServerConfig{WebConfigFile: webConfig})
	return "https://" + addr + "/readyz", certPath
}

// serveHTTP serves a daemon's HTTP endpoints as cfg says, on a free
// loopback port, until stop is called or the test ends.
func serveHTTP(t *testing.T, cfg metrics.ServerConfig) (addr string, stop func()) {
	t.Helper()
	cfg.ListenAddress = "127.0.0.1:0"
	srv, err := metrics.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(ctx)
	}()
	stop = func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return srv.Addr().String(), stop
}

// A daemon served over TLS with a self-signed certificate is checked by
// trusting that certificate with --ca, and refused without it, with
// advice naming the flag.
func TestHealthChecksADaemonServedOverSelfSignedTLS(t *testing.T) {
	u, cert := serveTLS(t)
	checkHealth(t, []healthCase{
		{"without --ca", []string{"--url", u}, 1, "", "give it with --ca FILE"},
		{"with --ca", []string{"--url", u, "--ca", cert}, 0, "ready", ""},
		{"another certificate", []string{"--url", u, "--ca", otherCert(t)}, 1, "", "does not hold the certificate or the CA that signed it"},
	})
}

// healthCase is one `health` command line and what it must do.
type healthCase struct {
	name   string
	args   []string
	code   int
	stdout string // the whole output, trimmed
	stderr string // a part of the error output
}

// checkHealth runs each case's `health` and checks its exit code and
// output, and that no password of the tests shows.
func checkHealth(t *testing.T, cases []healthCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"health"}, c.args...), &stdout, &stderr)
			if code != c.code || strings.TrimSpace(stdout.String()) != c.stdout || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("health %q: exit %d, stdout %q, stderr %q; want %d, %q and a message saying %q",
					c.args, code, stdout.String(), stderr.String(), c.code, c.stdout, c.stderr)
			}
			if strings.Contains(stderr.String(), testPassword) {
				t.Errorf("the password shows in %q", stderr.String())
			}
		})
	}
}

// A certificate for the daemon's name, checked on 127.0.0.1 as a
// container's HEALTHCHECK does, needs that name with --server-name.
func TestHealthChecksACertificateForAnotherNameWithServerName(t *testing.T) {
	u, cert := serveTLS(t, "bot.example.internal")
	checkHealth(t, []healthCase{
		{"without --server-name", []string{"--url", u, "--ca", cert}, 1, "", "give the name the certificate is for with --server-name NAME"},
		{"with --server-name", []string{"--url", u, "--ca", cert, "--server-name", "bot.example.internal"}, 0, "ready", ""},
	})
}

// otherCert writes a self-signed certificate the daemon does not use.
func otherCert(t *testing.T) string {
	cert, _, _ := testcert.Write(t, t.TempDir())
	return cert
}

func TestHealthRefusesBadTLSFlagsAsUsage(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--ca", notPEM, "--url", "https://127.0.0.1:9464/readyz"}, "no PEM certificate in it"},
		{[]string{"--ca", filepath.Join(dir, "absent.pem"), "--url", "https://127.0.0.1:9464/readyz"}, "absent.pem: no such file"},
		{[]string{"--ca", notPEM}, "--ca is for an https:// URL"},
		{[]string{"--server-name", "bot"}, "--server-name is for an https:// URL"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"health"}, c.args...), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.says) {
			t.Errorf("health %q: exit %d, stderr %q; want %d saying %q", c.args, code, stderr.String(), exitUsage, c.says)
		}
	}
}

// testPassword is the basic-auth password of the tests' daemon.
const testPassword = "s3cret-pass"

// The web config's documented example asks for a user: health gives it,
// the password read from a file, and says which flags when it lacks one.
func TestHealthGivesTheBasicAuthUserOfTheWebConfig(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, cert := serveWebConfig(t, "basic_auth_users:\n  docker: "+string(hash)+"\n")
	dir := t.TempDir()
	right, wrong := filepath.Join(dir, "right"), filepath.Join(dir, "wrong")
	if err := os.WriteFile(right, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrong, []byte("guess\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkHealth(t, []healthCase{
		{"no user", []string{"--url", u, "--ca", cert}, 1, "", "give --user NAME --password-file FILE"},
		{"the user", []string{"--url", u, "--ca", cert, "--user", "docker", "--password-file", right}, 0, "ready", ""},
		{"a wrong password", []string{"--url", u, "--ca", cert, "--user", "docker", "--password-file", wrong}, 1, "", "HTTP 401"},
		{"a user without a password", []string{"--url", u, "--ca", cert, "--user", "docker"}, exitUsage, "", "--user and --password-file go together"},
	})
}

// A password typed in place of its file is not echoed, whole or in part,
// whatever its length: the error names the flag and what went wrong.
func TestHealthDoesNotEchoAPasswordGivenAsThePasswordFile(t *testing.T) {
	long := "tb-Kq9vX2mZ7pL4rT8wY1nB6cF3hJ5dS0aE" + strings.Repeat("Vu7Gx4Rz2Mq8Lp5Wn3Hc9Yb6Tf1Kd0Js", 3)
	for _, secret := range []string{long, "hunter2-Correct-Horse!", long + "/Xy"} {
		for _, args := range [][]string{
			{"health", "--user", "docker", "--password-file", secret},
			{"health", "--user", "docker", "--password-file=" + secret, "--url", "http://127.0.0.1:1/healthz"},
		} {
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != exitUsage || !strings.Contains(out, "--password-file: no such file or directory") {
				t.Errorf("health --password-file (a %d-char password): exit %d, %q; want %d naming the flag", len(secret), code, out, exitUsage)
			}
			for i := 0; i+12 <= len(secret); i++ {
				if strings.Contains(out, secret[i:i+12]) {
					t.Fatalf("health --password-file: the output %q shows part of the password %q", out, secret[i:i+12])
				}
			}
		}
	}
}

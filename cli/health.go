package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
)

// defaultHealthURL is the liveness endpoint of a daemon started with the
// image's CMD (--web.listen-address 0.0.0.0:9464), seen from inside the
// container: what a check that may lead to a restart must ask (see health).
const defaultHealthURL = "http://127.0.0.1:9464/healthz"

// healthFlags are the flags of `health`.
type healthFlags struct {
	url          string
	timeout      time.Duration
	ca           string // PEM file of the certificates to trust for https
	serverName   string // the name the daemon's certificate is for
	user         string // basic-auth user, with the password in passwordFile
	passwordFile string
}

// health asks a running daemon's /healthz or /readyz, for container health
// checks and probes: the distroless image has no shell or curl to do it.
// It returns nil (exit 0) on a 2xx answer and an error (exit 1) otherwise,
// naming what the daemon said.
//
// The default asks /healthz, whether the process serves and its
// strategies' loops turn (a loop stuck for loop_stall_after fails it, and
// a restart mends that), because the
// consumers of a container's health (Swarm, an autoheal container, a
// Kubernetes liveness probe) restart what fails it, and a restart mends
// nothing /readyz reports: a HALTED daemon restarts HALTED (the journal
// and the trading_state file beside it keep the state, a full disk
// notwithstanding), or, without a state_dir, forgets a halt a human must
// look at. /readyz, whether the daemon trades, is for alerting and
// readiness only.
func health(prog string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("health", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+prog+" health [--url URL] [--timeout DURATION] [--ca FILE] [--server-name NAME] [--user NAME --password-file FILE]")
		fmt.Fprintln(stderr, "Exits 0 when the daemon answers the URL with 2xx, 1 otherwise (with what it said).")
		fmt.Fprintln(stderr, "The default URL, /healthz, asks whether the daemon serves and its strategies' loops turn: the container HEALTHCHECK and liveness probe.")
		fmt.Fprintln(stderr, "--url .../readyz asks whether it trades (fails while HALTED, a feed is stale, the journal cannot write):")
		fmt.Fprintln(stderr, "for alerting and readiness only, never for a restart, which mends none of these.")
		fs.PrintDefaults()
	}
	var f healthFlags
	fs.StringVar(&f.url, "url", defaultHealthURL, "the daemon's /healthz URL (is it serving, are its loops turning: for a liveness check), or its /readyz URL (is it trading: for alerting and readiness, not for restarts)")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	fs.StringVar(&f.ca, "ca", "", "for an https:// URL: trust the certificates in this PEM file (the daemon's self-signed certificate, or the CA that signed it) instead of the system's")
	fs.StringVar(&f.user, "user", "", "basic-auth user, when the web config has basic_auth_users (the password comes from --password-file)")
	fs.StringVar(&f.passwordFile, "password-file", "", "file holding --user's password (one line; never given on the command line, where ps shows it)")
	fs.StringVar(&f.serverName, "server-name", "", "for an https:// URL: the name the daemon's certificate is for, when it is not the URL's host (e.g. the URL says 127.0.0.1)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--url %q is not an http:// or https:// URL", echo.Cut(f.url))
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout %s must be positive", f.timeout)
	}
	client, err := f.client(u)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return usageErrorf("--url %q: %v", echo.Cut(f.url), err)
	}
	if err := f.authorize(req); err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("no answer from %s: %v%s", u.Redacted(), err, tlsAdvice(err, f))
	}
	defer resp.Body.Close()
	// The first line says why: "ready", or "not ready: <reason>".
	line, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	line = echo.Cut(strings.TrimSpace(line))
	if resp.StatusCode == http.StatusUnauthorized && f.user == "" {
		return fmt.Errorf("%s answered HTTP 401: %s (the web config asks for a user: give --user NAME --password-file FILE)", u.Redacted(), line)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered HTTP %d: %s", u.Redacted(), resp.StatusCode, line)
	}
	fmt.Fprintln(stdout, line)
	return nil
}

// client is the HTTP client for u: the default transport's settings,
// with the trusted certificates and server name the flags give for TLS.
func (f healthFlags) client(u *url.URL) (*http.Client, error) {
	if u.Scheme != "https" {
		for _, fl := range [][2]string{{"--ca", f.ca}, {"--server-name", f.serverName}} {
			if fl[1] != "" {
				return nil, usageErrorf("%s is for an https:// URL; --url %q is plain HTTP", fl[0], echo.Cut(f.url))
			}
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.serverName}
	if f.ca != "" {
		pem, err := os.ReadFile(f.ca)
		if err != nil {
			return nil, usageErrorf("--ca %s: %v", echo.Cut(f.ca), withoutPath(err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErrorf("--ca %s: no PEM certificate in it (want the -----BEGIN CERTIFICATE----- file the web config's cert_file names, or its CA's)", echo.Cut(f.ca))
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr}, nil
}

// authorize sets the basic-auth credentials the flags give on req. The
// password is read from a file, so that it shows neither in ps nor in a
// Dockerfile, and no message repeats it.
func (f healthFlags) authorize(req *http.Request) error {
	if (f.user == "") != (f.passwordFile == "") {
		return usageErrorf("--user and --password-file go together")
	}
	if f.user == "" {
		return nil
	}
	b, err := os.ReadFile(f.passwordFile)
	if err != nil {
		// The value is not echoed, not even cut short: a file that cannot
		// be read may be no file at all but the password itself, typed
		// in place of its file, and most passwords are shorter than a cut.
		return usageErrorf("--password-file: %v (the value given is not repeated here, in case it is the password itself: give the path of a file holding it)", withoutPath(err))
	}
	password := strings.TrimRight(string(b), "\r\n")
	if password == "" {
		return usageErrorf("--password-file %s is empty", echo.Cut(f.passwordFile))
	}
	req.SetBasicAuth(f.user, password)
	return nil
}

// withoutPath is a file error without its path, which the message names
// once, cut short.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// tlsAdvice says which flag mends a certificate the client refused, or
// nothing for another error.
func tlsAdvice(err error, f healthFlags) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown) && f.ca == "":
		return " (a self-signed certificate or a private CA: give it with --ca FILE)"
	case errors.As(err, &unknown):
		return fmt.Sprintf(" (%s does not hold the certificate or the CA that signed it)", echo.Cut(f.ca))
	case errors.As(err, &host):
		return " (give the name the certificate is for with --server-name NAME)"
	}
	return ""
}

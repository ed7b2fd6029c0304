package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
)

// defaultHealthURL is the readiness endpoint of a daemon started with the
// image's CMD (--web.listen-address 0.0.0.0:9464), seen from inside the
// container.
const defaultHealthURL = "http://127.0.0.1:9464/readyz"

// health asks a running daemon whether it is ready, for container health
// checks: the distroless image has no shell or curl to do it. It returns
// nil (exit 0) on a 2xx answer and an error (exit 1) otherwise, naming
// what the daemon said.
func health(prog string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("health")
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+prog+" health [--url URL] [--timeout DURATION]")
		fmt.Fprintln(stderr, "Exits 0 when the daemon answers the URL with 2xx, 1 otherwise (a container HEALTHCHECK).")
		fs.PrintDefaults()
	}
	rawURL := fs.String("url", defaultHealthURL, "the daemon's /readyz (or /healthz) URL")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--url %q is not an http:// or https:// URL", echo.Cut(*rawURL))
	}
	if *timeout <= 0 {
		return usageErrorf("--timeout %s must be positive", *timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return usageErrorf("--url %q: %v", echo.Cut(*rawURL), err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no answer from %s: %v", u.Redacted(), err)
	}
	defer resp.Body.Close()
	// The first line says why: "ready", or "not ready: <reason>".
	line, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	line = echo.Cut(strings.TrimSpace(line))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered HTTP %d: %s", u.Redacted(), resp.StatusCode, line)
	}
	fmt.Fprintln(stdout, line)
	return nil
}

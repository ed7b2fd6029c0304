package backtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/internal/testenv"
)

// chartIDs are the charts report.html must show.
var chartIDs = []string{"equity", "drawdown", "price"}

// renderInChromium opens page in headless Chromium and returns the DOM
// after its scripts ran and the browser's log (console messages appear
// there as INFO:CONSOLE lines).
func renderInChromium(t *testing.T, page string) (dom, log string) {
	t.Helper()
	bin := testenv.Program(t, "chromium", "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--no-first-run", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

// chartProblems lists the charts without a canvas and every console
// message of the page.
func chartProblems(dom, log string) []string {
	var out []string
	for _, m := range consoleLine.FindAllString(log, -1) {
		out = append(out, "console: "+m)
	}
	for _, id := range chartIDs {
		i := strings.Index(dom, `id="`+id+`"`)
		if i < 0 {
			out = append(out, "no element "+id)
			continue
		}
		rest := dom[i:]
		if j := strings.Index(rest[1:], `class="container"`); j >= 0 {
			rest = rest[:j+1]
		}
		if !strings.Contains(rest, "<canvas") {
			out = append(out, "chart "+id+" has no canvas")
		}
	}
	return out
}

func TestReportRendersInHeadlessChromium(t *testing.T) {
	dir := t.TempDir()
	runBundled(t, dir)
	page := filepath.Join(dir, "report.html")
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`<script[^>]+src=`).Match(b) {
		t.Fatalf("report.html loads a script from elsewhere; it must work offline")
	}
	dom, log := renderInChromium(t, page)
	if p := chartProblems(dom, log); len(p) > 0 {
		t.Fatalf("report.html does not render:\n%s", strings.Join(p, "\n"))
	}

	// The check itself catches a chart whose script fails.
	broken := filepath.Join(dir, "broken.html")
	bad := bytes.Replace(b, []byte("setOption(option_price)"), []byte("setOption(option_missing)"), 1)
	if err := os.WriteFile(broken, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := chartProblems(renderInChromium(t, broken)); len(p) == 0 {
		t.Fatalf("a page whose price chart throws passed the check")
	}
}

// Package testenv finds what some tests need from outside the repository
// (the read-only ../shared folder, programs such as promtool or chromium)
// and skips those tests with a clear message where it is absent, as on a
// user's fresh machine. CI sets TRADEBOT_REQUIRE_ALL=1, which turns every
// such skip into a failure, so that CI never skips silently.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireAllVariable names the environment variable that makes a missing
// outside dependency fail a test instead of skipping it.
const RequireAllVariable = "TRADEBOT_REQUIRE_ALL"

// RepoRoot returns the repository's root folder (the one with go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Shared returns the path of the ../shared folder beside the repository,
// or skips the test (fails it under TRADEBOT_REQUIRE_ALL) when it is absent.
// TRADEBOT_SHARED overrides the location.
func Shared(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TRADEBOT_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "DESIGN.md")); err != nil {
		missing(t, "the ../shared folder (market data and Coinbase samples) is not at "+dir+"; set TRADEBOT_SHARED to its path")
	}
	return dir
}

// SharedFile returns the path of a file below ../shared, skipping as Shared
// does when it is absent.
func SharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Shared(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(t, "shared file "+rel+" is missing: "+err.Error())
	}
	return p
}

// Program returns the path of an outside program, or skips the test (fails
// it under TRADEBOT_REQUIRE_ALL) with the Debian package that provides it.
func Program(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is not installed (apt-get install -y "+debianPackage+")")
	}
	return p
}

// Unavailable skips the test because the machine cannot give it what it
// needs (why, in words that say what to do), or fails it under
// TRADEBOT_REQUIRE_ALL.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	missing(t, why)
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireAllVariable) != "" {
		t.Fatalf("%s, and %s is set, so this is a failure rather than a skip", why, RequireAllVariable)
	}
	t.Skip(why)
}

// BuildTradebot compiles ./cmd/tradebot into dir and returns the binary's
// path, for tests that run the daemon as users do (a separate process
// that can be signalled and killed). race builds it with the race
// detector.
func BuildTradebot(dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "tradebot")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/tradebot")...)
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/tradebot: %v\n%s", err, out)
	}
	return bin, nil
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTheBinaryIsTheCommandLineUnderItsOwnName builds this command, the
// way the README and the Dockerfile do, under another file name: main
// hands os.Args to package cli whole, so the commands work and every
// message names the program as the user ran it. (The commands themselves
// are tested in package cli.)
func TestTheBinaryIsTheCommandLineUnderItsOwnName(t *testing.T) {
	testenv.Program(t, "go", "golang-go")
	dir := t.TempDir()
	bin, err := testenv.BuildTradebot(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "mybot")
	if err := os.Rename(bin, renamed); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(renamed, "check").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "config OK: mode paper") {
		t.Errorf("mybot check (the embedded example): %v\n%s", err, out)
	}
	out, err = exec.Command(renamed, "frobnicate").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 ||
		!strings.HasPrefix(string(out), `mybot: unknown command "frobnicate"`) || strings.Contains(string(out), "tradebot") {
		t.Errorf("mybot frobnicate: %v, want exit 2 and messages naming mybot only:\n%s", err, out)
	}
}

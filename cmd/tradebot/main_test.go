package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot"
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

	// A damaged journal's advice names the commands as mybot, whether
	// the daemon or a reader finds the damage.
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(state, "journal.db")
	if err := os.WriteFile(damaged, []byte("not a journal at all, a damaged one"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "mybot.yaml")
	doc := strings.Replace(string(tradebot.ExampleConfig), `state_dir: ""`, "state_dir: "+state, 1)
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"run", "--config", cfg, "--web.listen-address", "127.0.0.1:0"}, {"positions", "--journal", damaged}} {
		out, err = exec.Command(renamed, args...).CombinedOutput()
		msg := strings.ReplaceAll(string(out), damaged, "DAMAGED") // a temporary directory's name may say anything
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(msg, "journal is damaged") ||
			!strings.Contains(msg, "stop mybot,") || !strings.Contains(msg, "(mybot journal salvage DAMAGED NEW)") ||
			strings.Contains(msg, "tradebot") {
			t.Errorf("mybot %s on a damaged journal: %v, want exit 1 and advice naming mybot only:\n%s", args[0], err, out)
		}
	}

	// The daemon's start-up line names mybot too.
	run := exec.Command(renamed, "run", "--log.format", "json", "--web.listen-address", "127.0.0.1:0")
	stderr, err := run.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	startLine := regexp.MustCompile(`"msg":"([^"]*) started"`)
	started := make(chan string, 1)
	read := make(chan struct{}) // the reader reached the end of the daemon's stderr
	go func(started chan<- string) {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := startLine.FindStringSubmatch(sc.Text()); m != nil && started != nil {
				started <- m[1]
				started = nil
			}
		}
		if started != nil {
			close(started)
		}
	}(started)
	select {
	case name := <-started:
		if name != "mybot" {
			t.Errorf(`mybot run: the start-up line says %q started, want mybot`, name)
		}
	case <-time.After(time.Minute):
		t.Error("mybot run: no start-up line within a minute")
	}
	_ = run.Process.Signal(syscall.SIGTERM)
	// Wait closes the pipe: the reader must be done with it first.
	<-read
	if err := run.Wait(); err != nil {
		t.Errorf("mybot run stopped by SIGTERM: %v", err)
	}
}

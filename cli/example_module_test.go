package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/internal/testenv"
)

// TestExampleModuleGetsEveryCommandForItsOwnStrategy builds
// examples/mystrategy, a Go module of its own (its go.mod replaces
// tradebot with this repository) that registers a strategy type,
// momentum, and calls Main, as a user's module would: its binary lists
// the type, checks a config using it in its own name, and backtests it
// on the bundled recording with trades made by the type's own rules,
// paper-trades it with run into a journal that trades and positions read;
// the module's own tests (a backtest through Run in their process) pass.
//
// The build is offline (GOPROXY=off) and read-only (-mod=readonly): the
// module's go.mod and go.sum must be as `go mod tidy` leaves them, since
// that is what a user who builds it gets.
func TestExampleModuleGetsEveryCommandForItsOwnStrategy(t *testing.T) {
	goBin := testenv.Program(t, "go", "golang-go")
	dir := filepath.Join(testenv.RepoRoot(), "examples", "mystrategy")
	bin := filepath.Join(t.TempDir(), "mystrategy")
	goCmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in examples/mystrategy: %v\n%s\n(if go.mod or go.sum is out of date with the repository's: cd examples/mystrategy && go mod tidy)",
				strings.Join(args, " "), err, out)
		}
	}
	goCmd("build", "-o", bin, ".")
	// The module's own tests: a user's strategy is tested the same way.
	goCmd("test", ".")
	runBin := func(wantCode int, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("mystrategy %q: %v", args, err)
		}
		if code != wantCode {
			t.Fatalf("mystrategy %q: exit %d, want %d\n%s", args, code, wantCode, out)
		}
		return string(out)
	}

	if out := runBin(0, "strategies"); !strings.Contains(out, "momentum\n") ||
		!strings.Contains(out, "threshold") || !strings.Contains(out, "ema_cross") {
		t.Errorf("mystrategy strategies lists neither its own type with its parameters nor the catalog's:\n%s", out)
	}
	if out := runBin(0, "check", "--config", "momentum.yaml"); !strings.Contains(out, "config OK: mode paper, 1 strategy instance(s)") {
		t.Errorf("mystrategy check --config momentum.yaml:\n%s", out)
	}
	if out := runBin(0, "version"); out != "mystrategy "+Version+"\n" {
		t.Errorf("mystrategy version printed %q", out)
	}

	// The type's own Validate speaks through check, with the line, in
	// the program's name.
	cfg, err := os.ReadFile(filepath.Join(dir, "momentum.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(cfg), "period: 6", "period: 0, perod: 3", 1)
	if bad == string(cfg) {
		t.Fatal("momentum.yaml no longer says period: 6")
	}
	badPath := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runBin(exitUsage, "check", "--config", badPath)
	for _, want := range []string{"mystrategy: config " + badPath, "params.period: must be at least 1, got 0",
		"params.perod: unknown field (known: interval, period, threshold, trend)", "line 13"} {
		if !strings.Contains(out, want) {
			t.Errorf("mystrategy check of a bad momentum config lacks %q:\n%s", want, out)
		}
	}

	reports := t.TempDir()
	runBin(0, "backtest", "--config", "momentum.yaml", "--data", "bundled", "--out", reports)
	var summary struct {
		Strategies []string `json:"strategies"`
		Trades     int      `json:"trades"`
	}
	b, err := os.ReadFile(filepath.Join(reports, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Trades == 0 || len(summary.Strategies) != 1 || summary.Strategies[0] != "btc-momentum" {
		t.Fatalf("backtest of momentum.yaml: strategies %v, %d trades; want btc-momentum trading", summary.Strategies, summary.Trades)
	}
	trades, err := os.ReadFile(filepath.Join(reports, "trades.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The entries and exits are the type's own: its reasons.
	if !strings.Contains(string(trades), "in 6 bars,momentum lost") {
		t.Errorf("trades.csv has no round trip entered and left by momentum's rules:\n%s", trades)
	}

	// The daemon runs the type too: paper trading the same recording in
	// lockstep (the backtest's trades), into a journal that trades and
	// positions read.
	state := t.TempDir()
	runCfg := strings.Replace(string(cfg), "paper:\n", "state_dir: "+state+"\nweb: {listen_address: 127.0.0.1:0}\n"+
		"paper:\n  speed: 0\n  lockstep: true\n  exit_at_end: true\n", 1)
	runPath := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(runPath, []byte(runCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	runBin(0, "run", "--config", runPath, "--log.format", "json")
	journaled := runBin(0, "trades", "--config", runPath, "--format", "csv")
	if n := strings.Count(journaled, ",momentum lost,"); n != summary.Trades {
		t.Errorf("mystrategy run journaled %d round trips left by momentum, the backtest %d:\n%s", n, summary.Trades, journaled)
	}
	runBin(0, "positions", "--config", runPath)
}

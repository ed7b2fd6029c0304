package daemon

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/risk"
)

// TestAHaltOnlyTheStateFileHoldsRestartsHalted: a halt recorded in the
// trading-state file but not in the journal (which could not store it: a
// full disk, e2e/live.TestAHaltByAFullDiskSurvivesARestart) starts the
// daemon HALTED with its rule and reason, refusing entries; the resume
// rewrites the file, and the next start is ACTIVE.
func TestAHaltOnlyTheStateFileHoldsRestartsHalted(t *testing.T) {
	stateDir := t.TempDir()
	cfg := func() *config.Config {
		return busyExample(t, 20, func(c *config.Config) { c.StateDir = stateDir })
	}
	sf, err := risk.OpenStateFile(filepath.Join(stateDir, stateFileName))
	if err != nil {
		t.Fatal(err)
	}
	reason := "the journal cannot write (intent: database or disk is full); free the disk holding state_dir, then resume trading"
	if err := sf.Record(risk.StateInfo{State: risk.Halted, Rule: risk.RuleJournal, Reason: reason, Since: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	sf.Close()

	r := startDaemon(t, cfg())
	if st, rule := r.state(); st != "HALTED" || rule != risk.RuleJournal {
		t.Fatalf("GET /killswitch says %s by %q, want HALTED by journal", st, rule)
	}
	if _, body := r.request(http.MethodGet, "/killswitch"); !strings.Contains(body, "database or disk is full") {
		t.Errorf("GET /killswitch = %s, want the recorded reason", body)
	}
	if n := count(r.records(), isMsg("trading state restored from the trading-state file (the journal could not store it)")); n != 1 {
		t.Errorf("%d records say the state came from the file, want 1", n)
	}
	r.waitFor("an entry refused by the halt", 20*time.Second, func() bool {
		return count(r.records(), func(m map[string]any) bool {
			return m["msg"] == "risk guard refused order" && m["rule"] == risk.RuleJournal && m["purpose"] == "entry"
		}) > 0
	})
	if n := count(r.records(), entryFilled); n > 0 {
		t.Fatalf("%d entries filled while HALTED", n)
	}
	if code, body := r.request(http.MethodPost, "/killswitch?resume=true"); code != http.StatusOK {
		t.Fatalf("POST ?resume=true: %d %s", code, body)
	}
	r.stop()

	again := startDaemon(t, cfg())
	if st, rule := again.state(); st != "ACTIVE" {
		t.Fatalf("after the resume and a restart GET /killswitch says %s by %q, want ACTIVE", st, rule)
	}
}

// TestADamagedStateFileStartsHalted: a trading-state file that does not
// read back (torn by a crash) may have held a halt: the daemon starts
// HALTED (rule journal) naming the file, until the operator resumes.
func TestADamagedStateFileStartsHalted(t *testing.T) {
	stateDir := t.TempDir()
	path := filepath.Join(stateDir, stateFileName)
	if err := os.WriteFile(path, []byte(strings.Repeat("x", risk.StateFileSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, busyExample(t, 20, func(c *config.Config) { c.StateDir = stateDir }))
	if st, rule := r.state(); st != "HALTED" || rule != risk.RuleJournal {
		t.Fatalf("GET /killswitch says %s by %q, want HALTED by journal", st, rule)
	}
	if _, body := r.request(http.MethodGet, "/killswitch"); !strings.Contains(body, stateFileName) {
		t.Errorf("GET /killswitch = %s, want the reason to name the file", body)
	}
}

package live

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/risk"
)

// killSwitch asks the daemon's /killswitch: GET for the state, POST (with
// the control header) to change it.
func (d *daemon) killSwitch(method, query string) risk.StateInfo {
	d.t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(d.metrics, "/metrics")+"/killswitch"+query, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("X-Tradebot-Control", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var info risk.StateInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		d.t.Fatalf("/killswitch %s%s: %v", method, query, err)
	}
	return info
}

// TestAHaltByAFullDiskSurvivesARestart runs the daemon with its state_dir
// on a real tmpfs and fills it: the journal cannot write, trading goes
// HALTED (rule journal), and the journal cannot store that halt either.
// The daemon is stopped, the disk freed, and the daemon started again: it
// must come back HALTED by the journal rule, with the reason, and refuse
// the entries its strategy asks for, until the operator resumes; then the
// state file holds ACTIVE. It used to start ACTIVE and trade, until the
// journal failed again.
func TestAHaltByAFullDiskSurvivesARestart(t *testing.T) {
	state := fullDisk(t)
	e := startEmulator(t, emuOptions{})
	stateDir := filepath.Join(state, "state")
	cfgPath := liveConfigIn(t, e, stateDir)
	d := startDaemon(t, cfgPath)
	if info := d.killSwitch(http.MethodGet, ""); info.State != risk.Active {
		t.Fatalf("the first start is %+v, want ACTIVE", info)
	}
	filler := fill(t, state)
	waitFor(t, 90*time.Second, "the journal failing and trading HALTED by it", func() bool {
		v, ok := d.scrape().sum("tradebot_journal_writable")
		return ok && v == 0 && d.killSwitch(http.MethodGet, "").Rule == risk.RuleJournal
	})
	halt := d.killSwitch(http.MethodGet, "")
	if halt.State != risk.Halted || !strings.Contains(halt.Reason, "journal cannot write") {
		t.Fatalf("the journal's failure set %+v, want HALTED saying the journal cannot write", halt)
	}
	if len(d.logLines("journal: saving the trading state failed")) == 0 {
		t.Fatalf("the journal stored the halt: the disk is not full enough for this test\n%s", tail(d.output()))
	}
	// The stop may not exit 0 with the journal failing; its code is not
	// what this test is about.
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon did not stop within 30s\n%s", tail(d.output()))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}

	buys := len(e.Sim().Orders())
	r := startDaemon(t, cfgPath)
	info := r.killSwitch(http.MethodGet, "")
	if info.State != risk.Halted || info.Rule != risk.RuleJournal || info.Reason != halt.Reason {
		t.Fatalf("the restart with the disk freed is %+v, want the halt %+v", info, halt)
	}
	if v, ok := r.scrape().sum(`tradebot_trading_state`, `state="HALTED"`); !ok || v != 1 {
		t.Errorf("tradebot_trading_state{state=\"HALTED\"} is %v after the restart, want 1", v)
	}
	waitFor(t, 90*time.Second, "an entry the strategy asks for, refused by the halt", func() bool {
		for _, l := range r.logLines("risk guard refused order") {
			if l["purpose"] == "entry" && l["rule"] == risk.RuleJournal {
				return true
			}
		}
		return false
	})
	if n := len(e.Sim().Orders()); n != buys {
		t.Fatalf("the restarted daemon placed %d orders while HALTED\n%s", n-buys, tail(r.output()))
	}

	if got := r.killSwitch(http.MethodPost, "?resume=true"); got.State != risk.Active {
		t.Fatalf("resume answered %+v", got)
	}
	sf, err := risk.OpenStateFile(filepath.Join(stateDir, "trading_state"))
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	if rec, ok, err := sf.Read(); err != nil || !ok || rec.State != risk.Active {
		t.Errorf("after the resume the trading-state file holds %+v (ok=%v, err=%v), want ACTIVE", rec, ok, err)
	}
}

package journal

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/clock"
)

func TestInstanceAndRiskStateSurviveAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	saves := []struct{ exit, strat string }{{`{"stop":"1"}`, "s1"}, {`{"stop":"2","trail":"0.5"}`, "s2"}}
	for _, s := range saves {
		if err := j.SaveInstanceState("sma-btc", []byte(s.exit), []byte(s.strat)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.SaveInstanceState("no-strategy-state", []byte(`{}`), nil); err != nil {
		t.Fatal(err)
	}
	if err := j.SaveRisk("default", []byte(`{"daily_loss":"12.5"}`)); err != nil {
		t.Fatal(err)
	}
	j.Close()

	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	exit, strat, err := j.InstanceState("sma-btc")
	if err != nil || string(exit) != saves[1].exit || string(strat) != saves[1].strat {
		t.Fatalf("InstanceState = %q %q %v; want the last save", exit, strat, err)
	}
	exit, strat, err = j.InstanceState("no-strategy-state")
	if err != nil || string(exit) != "{}" || strat != nil {
		t.Fatalf("InstanceState without strategy state = %q %q %v", exit, strat, err)
	}
	exit, strat, err = j.InstanceState("never-saved")
	if err != nil || exit != nil || strat != nil {
		t.Fatalf("InstanceState of an unknown instance = %q %q %v; want nils", exit, strat, err)
	}
	risk, err := j.Risk("default")
	if err != nil || string(risk) != `{"daily_loss":"12.5"}` {
		t.Fatalf("Risk = %q %v", risk, err)
	}
	if risk, err := j.Risk("other"); err != nil || risk != nil {
		t.Fatalf("Risk of an unknown account = %q %v", risk, err)
	}
}

func TestReconciliationLogKeepsTheNewest(t *testing.T) {
	j := openTemp(t)
	c := clock.NewSim(t0)
	j.UseClock(c)
	for i, s := range []string{"clean", "2 orders unknown to the venue", "clean"} {
		c.Set(t0.Add(time.Duration(i) * time.Minute))
		if err := j.RecordReconciliation(Reconciliation{Summary: s, Problems: len(s) % 2, Report: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := j.Reconciliations(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Summary != "2 orders unknown to the venue" || !recs[1].Time.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("newest two = %+v", recs)
	}
}

package daemon

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/journal"
)

// Every reconciliation pass but a minutely one that found everything in
// order leaves a row in the journal's reconciliations table, which
// docs/JOURNAL.md documents: nothing wrote it before.
func TestAReconciliationPassLeavesARowInTheJournal(t *testing.T) {
	w := newLiveWorld(t, false)
	r := startDaemon(t, w.config("exchange"), reconcileEveryOf(time.Hour))
	var got []journal.Reconciliation
	r.waitFor("the first reconciliation in the journal", 30*time.Second, func() bool {
		got = w.reconciliations()
		return len(got) > 0
	})
	r.stop()
	rec := got[0]
	var p passReport
	if err := json.Unmarshal(rec.Report, &p); err != nil {
		t.Fatalf("report %q: %v", rec.Report, err)
	}
	if p.Reason != "start" || !p.Complete || rec.Problems != 0 || rec.Time.IsZero() {
		t.Errorf("the first pass's row %+v (report %+v), want a complete start pass without problems", rec, p)
	}
	if rec.Summary == "" {
		t.Error("the row has no summary")
	}
}

// reconciliations reads the journal's reconciliations, oldest first.
func (w *liveWorld) reconciliations() []journal.Reconciliation {
	w.t.Helper()
	j, err := journal.OpenReadOnlyWith(filepath.Join(w.stateDir, "journal.db"), journal.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	defer j.Close()
	got, err := j.Reconciliations(0)
	if err != nil {
		w.t.Fatal(err)
	}
	return got
}

package journal

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SaveInstanceState stores an instance's exit and strategy state; see
// Batch.SaveInstanceState.
func (j *Journal) SaveInstanceState(instance string, exitState, strategyState []byte) error {
	return j.single(j.normal, func(b *Batch) error { return b.SaveInstanceState(instance, exitState, strategyState) })
}

// SaveInstanceState stores a strategy instance's exit state (the opaque
// JSON the exits package produces) and the state its strategy declares,
// replacing what was saved before. A nil slice is stored as NULL and
// comes back nil.
func (b *Batch) SaveInstanceState(instance string, exitState, strategyState []byte) error {
	if instance == "" {
		return b.errorf("save instance state: empty instance")
	}
	_, err := b.exec(sqlSaveInstanceState,
		instance, exitState, strategyState, b.now)
	if err != nil {
		return b.errorf("save state of instance %s: %w", instance, err)
	}
	return nil
}

// InstanceState returns what SaveInstanceState stored last for the
// instance, or two nil slices if nothing was.
func (j *Journal) InstanceState(instance string) (exitState, strategyState []byte, err error) {
	err = j.normal.QueryRow("SELECT exit_state, strategy_state FROM instance_state WHERE instance = ?", instance).
		Scan(&exitState, &strategyState)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("journal %s: state of instance %s: %w", j.path, instance, err)
	}
	return exitState, strategyState, nil
}

// SaveRisk stores an account's risk counters; see Batch.SaveRisk.
func (j *Journal) SaveRisk(account string, state []byte) error {
	return j.single(j.normal, func(b *Batch) error { return b.SaveRisk(account, state) })
}

// SaveRisk stores the risk guard's counters for an account (opaque JSON
// the risk package produces), replacing what was saved before.
func (b *Batch) SaveRisk(account string, state []byte) error {
	if state == nil {
		state = []byte{}
	}
	_, err := b.exec(sqlSaveRisk,
		account, state, b.now)
	if err != nil {
		return b.errorf("save risk state of account %q: %w", account, err)
	}
	return nil
}

// Risk returns what SaveRisk stored last for the account, or nil if
// nothing was.
func (j *Journal) Risk(account string) ([]byte, error) {
	var state []byte
	err := j.normal.QueryRow("SELECT state FROM risk_state WHERE account = ?", account).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: risk state of account %q: %w", j.path, account, err)
	}
	return state, nil
}

// RiskSavedAt returns when SaveRisk last stored the account's counters,
// by the journal's clock (which also stamps every fill's RecordedAt), or
// the zero time if it never did. Which fills the counters include is
// told by fill numbers (FillRecord.Seq); this time is the fallback for
// counters saved before fills were numbered, and it is only as right as
// the clock (docs/JOURNAL.md).
func (j *Journal) RiskSavedAt(account string) (time.Time, error) {
	var n int64
	err := j.normal.QueryRow("SELECT updated_ns FROM risk_state WHERE account = ?", account).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("journal %s: risk state of account %q: %w", j.path, account, err)
	}
	return time.Unix(0, n).UTC(), nil
}

// Reconciliation is one report of comparing the journal with the venue.
type Reconciliation struct {
	Time time.Time
	// Summary is one human line; Problems counts the differences that
	// needed action (zero for a clean report).
	Summary  string
	Problems int
	// Report is the full report as the engine produced it (opaque JSON).
	Report []byte
}

// RecordReconciliation appends a reconciliation report to the log; a
// zero Time is the journal clock's now.
func (j *Journal) RecordReconciliation(r Reconciliation) error {
	return j.single(j.normal, func(b *Batch) error {
		t := r.Time.UnixNano()
		if r.Time.IsZero() {
			t = b.now
		}
		if _, err := b.exec(sqlInsertReconciliation,
			t, r.Summary, r.Problems, r.Report); err != nil {
			return b.errorf("record reconciliation: %w", err)
		}
		return nil
	})
}

// Reconciliations returns the newest limit reports (all when limit <= 0),
// oldest first.
func (j *Journal) Reconciliations(limit int) ([]Reconciliation, error) {
	q := "SELECT time_ns, summary, problems, report FROM reconciliations ORDER BY time_ns DESC, id DESC"
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := j.normal.Query(q)
	if err != nil {
		return nil, fmt.Errorf("journal %s: reconciliations: %w", j.path, err)
	}
	defer rows.Close()
	var out []Reconciliation
	for rows.Next() {
		var r Reconciliation
		var t int64
		if err := rows.Scan(&t, &r.Summary, &r.Problems, &r.Report); err != nil {
			return nil, fmt.Errorf("journal %s: reconciliations: %w", j.path, err)
		}
		r.Time = time.Unix(0, t).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: reconciliations: %w", j.path, err)
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out, nil
}

// sqlSaveInstanceState replaces an instance's state (Batch.SaveInstanceState).
const sqlSaveInstanceState = `INSERT INTO instance_state (instance, exit_state, strategy_state, updated_ns)
		VALUES (?, ?, ?, ?) ON CONFLICT (instance) DO UPDATE SET exit_state = excluded.exit_state,
		strategy_state = excluded.strategy_state, updated_ns = excluded.updated_ns`

// sqlSaveRisk replaces an account's risk counters (Batch.SaveRisk).
const sqlSaveRisk = `INSERT INTO risk_state (account, state, updated_ns) VALUES (?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET state = excluded.state, updated_ns = excluded.updated_ns`

// sqlInsertReconciliation appends a reconciliation report.
const sqlInsertReconciliation = "INSERT INTO reconciliations (time_ns, summary, problems, report) VALUES (?, ?, ?, ?)"

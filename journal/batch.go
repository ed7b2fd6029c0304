package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// Batch is a set of writes that commit together: all of them or none
// after a crash, for the price of one commit. The engine uses it to keep
// related state consistent (a fill, the position it changes and the exit
// state it re-arms) and to record everything one tick or one venue
// message caused at once. A Batch is valid only inside the function given
// to Journal.Batch and must not be used from another goroutine.
type Batch struct {
	j   *Journal
	ctx context.Context
	// tx is the batch's transaction; nil in single, where db runs each
	// statement in its own implicit transaction.
	tx *sql.Tx
	// db is the connection the batch writes on (normal or full).
	db  *sql.DB
	now int64 // the journal clock's time when the batch began, Unix ns
}

// Batch runs fn in one transaction (synchronous=NORMAL: it survives a
// crash of the process once Batch returns; a power loss may undo it but
// never half of it). If fn returns an error, nothing fn wrote is kept and
// Batch returns that error. An error from one of the Batch's methods does
// not spoil the transaction: fn may ignore it (say, ErrNotFound from
// UpdateOrder) and carry on. Other writers wait while fn runs, so fn
// should only write: inside it, use b's methods, never the Journal's,
// which would wait for the batch forever.
func (j *Journal) Batch(fn func(b *Batch) error) error {
	return j.batch(j.normal, fn)
}

func (j *Journal) batch(db *sql.DB, fn func(b *Batch) error) error {
	ctx := context.Background()
	now := j.now().UnixNano()
	j.writeMu.Lock()
	defer j.writeMu.Unlock()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal %s: begin: %w", j.path, j.classify(err))
	}
	if err := fn(&Batch{j: j, ctx: ctx, tx: tx, db: db, now: now}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journal %s: commit: %w", j.path, err)
	}
	return nil
}

// single runs fn, which makes one write at most, without BEGIN and
// COMMIT: SQLite commits a lone statement by itself, with the same
// durability, and the two round trips saved are about a sixth of a
// RecordFill (see BenchmarkRecordFill).
func (j *Journal) single(db *sql.DB, fn func(b *Batch) error) error {
	now := j.now().UnixNano()
	j.writeMu.Lock()
	defer j.writeMu.Unlock()
	return fn(&Batch{j: j, ctx: context.Background(), db: db, now: now})
}

// stmt returns a prepared statement bound to the batch's transaction. The
// journal has one connection per durability level, so the statement is
// already prepared on it and is not prepared again.
func (b *Batch) stmt(s *sql.Stmt) *sql.Stmt {
	if b.tx == nil {
		return s
	}
	return b.tx.StmtContext(b.ctx, s)
}

// exec runs q, one of batchWrites, through its statement prepared at
// Open: the driver would otherwise parse the SQL on every call, which was
// a fifth of the paper journal's writer (a savepoint and its release for
// every progress, the instance's state, round trips). Other SQL runs
// unprepared, and is counted.
func (b *Batch) exec(q string, args ...any) (sql.Result, error) {
	if s := b.j.batchStmts[q]; s != nil && b.db == b.j.normal {
		return b.stmt(s).ExecContext(b.ctx, args...)
	}
	b.j.unpreparedExecs.Add(1)
	if b.tx == nil {
		return b.db.ExecContext(b.ctx, q, args...)
	}
	return b.tx.ExecContext(b.ctx, q, args...)
}

func (b *Batch) errorf(format string, args ...any) error {
	return fmt.Errorf("journal %s: "+format, append([]any{b.j.path}, args...)...)
}

// The savepoint Atomic makes; batchWrites prepares these.
const (
	sqlSavepoint           = "SAVEPOINT atomic"
	sqlRollbackToSavepoint = "ROLLBACK TO atomic"
	sqlReleaseSavepoint    = "RELEASE atomic"
)

// Atomic runs fn as one unit inside the batch: if fn returns an error,
// what fn wrote is undone (a SQLite savepoint) and the rest of the batch
// stands. It lets a writer that commits many independent writes in one
// transaction keep each group of related writes all or nothing.
func (b *Batch) Atomic(fn func(b *Batch) error) error {
	if _, err := b.exec(sqlSavepoint); err != nil {
		return b.errorf("savepoint: %w", err)
	}
	if err := fn(b); err != nil {
		if _, rbErr := b.exec(sqlRollbackToSavepoint); rbErr != nil {
			return b.errorf("rollback to savepoint: %w (after %w)", rbErr, err)
		}
		if _, relErr := b.exec(sqlReleaseSavepoint); relErr != nil {
			return b.errorf("release savepoint: %w (after %w)", relErr, err)
		}
		return err
	}
	if _, err := b.exec(sqlReleaseSavepoint); err != nil {
		return b.errorf("release savepoint: %w", err)
	}
	return nil
}

package journal

import (
	"context"
	"database/sql"
	"fmt"
	"os"
)

// migrations holds the SQL that takes the schema from version i to i+1
// (PRAGMA user_version). The list is append-only: a released step is never
// edited, because journals in the field were created by it; a change is a
// new step. migrate_test.go builds a journal at every earlier version with
// sample rows and checks that migrating to the latest keeps them.
//
// Versions 1 to 3 were written together before the first release and are
// split by feature, so that the upgrade path is exercised from the start.
// Money is TEXT holding a decimal string (never REAL: SQLite's REAL is a
// float64); times are INTEGER Unix nanoseconds, NULL when unknown.
var migrations = []string{
	// 1: the order path: orders with their status history, fills, and the
	// client-order-id counters.
	`
CREATE TABLE orders (
	client_order_id      TEXT PRIMARY KEY,
	instance             TEXT NOT NULL,
	strategy             TEXT NOT NULL,
	purpose              TEXT NOT NULL,
	product_id           TEXT NOT NULL,
	side                 TEXT NOT NULL,
	request              TEXT NOT NULL,
	venue_order_id       TEXT NOT NULL DEFAULT '',
	status               TEXT NOT NULL,
	open                 INTEGER NOT NULL,
	filled_size          TEXT NOT NULL DEFAULT '0',
	filled_value         TEXT NOT NULL DEFAULT '0',
	average_filled_price TEXT NOT NULL DEFAULT '0',
	total_fees           TEXT NOT NULL DEFAULT '0',
	triggered            INTEGER NOT NULL DEFAULT 0,
	reject_reason        TEXT NOT NULL DEFAULT '',
	attached_order_id    TEXT NOT NULL DEFAULT '',
	originating_order_id TEXT NOT NULL DEFAULT '',
	venue_created_ns     INTEGER,
	venue_updated_ns     INTEGER,
	intent_ns            INTEGER NOT NULL,
	changed_ns           INTEGER NOT NULL
) STRICT;
CREATE INDEX orders_open ON orders(intent_ns) WHERE open = 1;
CREATE INDEX orders_venue_id ON orders(venue_order_id) WHERE venue_order_id <> '';

CREATE TABLE order_events (
	id                   INTEGER PRIMARY KEY,
	client_order_id      TEXT NOT NULL REFERENCES orders(client_order_id),
	status               TEXT NOT NULL,
	venue_order_id       TEXT NOT NULL,
	filled_size          TEXT NOT NULL,
	average_filled_price TEXT NOT NULL,
	total_fees           TEXT NOT NULL,
	triggered            INTEGER NOT NULL,
	reject_reason        TEXT NOT NULL,
	venue_ns             INTEGER,
	recorded_ns          INTEGER NOT NULL
) STRICT;
CREATE INDEX order_events_order ON order_events(client_order_id, id);

CREATE TABLE fills (
	product_id      TEXT NOT NULL,
	trade_id        TEXT NOT NULL,
	instance        TEXT NOT NULL,
	order_id        TEXT NOT NULL,
	client_order_id TEXT NOT NULL,
	side            TEXT NOT NULL,
	price           TEXT NOT NULL,
	size            TEXT NOT NULL,
	fee             TEXT NOT NULL,
	liquidity       TEXT NOT NULL,
	time_ns         INTEGER,
	recorded_ns     INTEGER NOT NULL,
	PRIMARY KEY (product_id, trade_id)
) STRICT;
CREATE INDEX fills_time ON fills(time_ns);

CREATE TABLE client_order_seq (
	instance TEXT PRIMARY KEY,
	reserved INTEGER NOT NULL
) STRICT;
`,
	// 2: state that lets a restarted daemon carry on: exits and strategy
	// state per instance, risk counters per account, positions.
	`
CREATE TABLE instance_state (
	instance       TEXT PRIMARY KEY,
	exit_state     BLOB,
	strategy_state BLOB,
	updated_ns     INTEGER NOT NULL
) STRICT;

CREATE TABLE risk_state (
	account    TEXT PRIMARY KEY,
	state      BLOB NOT NULL,
	updated_ns INTEGER NOT NULL
) STRICT;

CREATE TABLE positions (
	instance        TEXT NOT NULL,
	product_id      TEXT NOT NULL,
	size            TEXT NOT NULL,
	avg_entry_price TEXT NOT NULL,
	realized_pnl    TEXT NOT NULL,
	fees            TEXT NOT NULL,
	opened_ns       INTEGER,
	updated_ns      INTEGER NOT NULL,
	PRIMARY KEY (instance, product_id)
) STRICT;
`,
	// 3: history for reports: closed round trips and reconciliation
	// reports.
	`
CREATE TABLE round_trips (
	id           INTEGER PRIMARY KEY,
	key          TEXT NOT NULL UNIQUE,
	instance     TEXT NOT NULL,
	product_id   TEXT NOT NULL,
	side         TEXT NOT NULL,
	size         TEXT NOT NULL,
	entry_price  TEXT NOT NULL,
	exit_price   TEXT NOT NULL,
	fees         TEXT NOT NULL,
	realized_pnl TEXT NOT NULL,
	exit_reason  TEXT NOT NULL,
	entry_ns     INTEGER,
	exit_ns      INTEGER
) STRICT;
CREATE INDEX round_trips_exit ON round_trips(exit_ns);

CREATE TABLE reconciliations (
	id       INTEGER PRIMARY KEY,
	time_ns  INTEGER NOT NULL,
	summary  TEXT NOT NULL,
	problems INTEGER NOT NULL,
	report   BLOB
) STRICT;
CREATE INDEX reconciliations_time ON reconciliations(time_ns);
`,
	// 4: why each order was sent (the exit rule, or the strategy's
	// reason), so that an exit whose fill a restarted daemon learns from
	// the venue ends its round trip with that reason. Orders journaled
	// before it read ''.
	`
ALTER TABLE orders ADD COLUMN reason TEXT NOT NULL DEFAULT '';
`,
	// 5: an order's fills found by its venue id, without reading the
	// whole table: a derived fill is checked against its order's fills
	// before it is recorded (derivedFillCovered), and recovery sums an
	// adopted order's (OrderFills).
	`
CREATE INDEX fills_order ON fills(order_id);
`,
	// 6: each fill's number in the order the journal recorded it, which
	// the risk guard's saved counters name the last of they include
	// (risk.Counters.FillSeq): a restart books exactly the fills numbered
	// above it, whatever the wall clock did. Fills recorded before it
	// read NULL: the first start after the upgrade judges them by when
	// they were recorded, as before (docs/JOURNAL.md). No index: the
	// numbers are read once per start, and an index would cost every fill.
	`
ALTER TABLE fills ADD COLUMN seq INTEGER;
`,
}

// schemaVersion is the schema version this package writes.
var schemaVersion = len(migrations)

func (j *Journal) version() (int, error) {
	var v int
	if err := j.normal.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return 0, j.classify(err)
	}
	return v, nil
}

// checkVersion returns the journal's schema version, and refuses a
// journal written by a newer tradebot: its tables may mean things this
// code does not know, and writing to them could lose what the newer code
// relies on.
func (j *Journal) checkVersion() (int, error) {
	v, err := j.version()
	if err != nil {
		return 0, err
	}
	if v > schemaVersion {
		return 0, fmt.Errorf("journal %s: schema version %d is newer than this %s supports (%d): run the %s that wrote it, or a newer one",
			j.path, v, j.program, schemaVersion, j.program)
	}
	if v < 0 {
		return 0, j.corrupt(fmt.Sprintf("schema version %d is negative", v))
	}
	if v == 0 {
		// Version 0 is a file this package has not written yet; tables in
		// it belong to something else, which a migration must not touch.
		var n int
		if err := j.normal.QueryRow("SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
			return 0, j.classify(err)
		}
		if n > 0 {
			return 0, fmt.Errorf("journal %s: not a tradebot journal (schema version 0 but it has %d tables): check the configured state directory", j.path, n)
		}
	}
	return v, nil
}

// checkReadable is checkVersion for a reader, which does not migrate:
// it also refuses a journal an older tradebot left at an older version,
// whose tables lack what this code reads (such as version 6's fill
// numbers), with advice rather than SQLite's missing column.
func (j *Journal) checkReadable() error {
	v, err := j.checkVersion()
	if err != nil {
		return err
	}
	if v > 0 && v < schemaVersion {
		return fmt.Errorf("journal %s: schema version %d is older than this %s reads (%d): start the daemon once, which upgrades the journal (keeping a copy of the old one beside it), or use the %s that wrote it",
			j.path, v, j.program, schemaVersion, j.program)
	}
	return nil
}

// migrate applies the missing steps, each in its own transaction with the
// version bump, so that a crash mid-migration leaves the journal at a
// whole version. Before upgrading a journal that holds data it writes a
// consistent copy beside it (path.v<N>.bak), because a migration is the
// one write that changes every table at once.
func (j *Journal) migrate() error {
	v, err := j.checkVersion()
	if err != nil {
		return err
	}
	if v > 0 && v < schemaVersion {
		backup := fmt.Sprintf("%s.v%d.bak", j.path, v)
		os.Remove(backup)
		if _, err := j.normal.Exec("VACUUM INTO ?", backup); err != nil {
			return fmt.Errorf("journal %s: back up before migrating from version %d to %s: %w", j.path, v, backup, err)
		}
	}
	return migrateDB(j.writer(), j.path, v, schemaVersion)
}

// migrateDB runs migrations from..to on db. Tests call it to build
// journals at earlier versions.
func migrateDB(db *sql.DB, path string, from, to int) error {
	ctx := context.Background()
	for v := from; v < to; v++ {
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("journal %s: migrate from schema version %d to %d: %w", path, v, v+1, err)
		}
	}
	return nil
}

// inTx runs fn in one transaction on db and commits it, or rolls back if
// fn fails.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

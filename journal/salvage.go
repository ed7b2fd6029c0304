package journal

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SalvageReport says what Salvage copied from a damaged journal.
type SalvageReport struct {
	// Version is the damaged journal's schema version; the new journal is
	// migrated from it to the current one.
	Version int
	Tables  []TableSalvage
}

// TableSalvage counts one table's rows: copied, and lost (seen in the
// table or one of its indexes but unreadable). Rows on pages that no
// readable index or table page points to cannot be seen, so Lost is a
// lower bound.
type TableSalvage struct {
	Table  string
	Copied int
	Lost   int
}

// Lost returns the number of rows known to be lost over all tables.
func (r SalvageReport) Lost() int {
	n := 0
	for _, t := range r.Tables {
		n += t.Lost
	}
	return n
}

// Salvage copies every row it can still read from a damaged journal into
// a new journal at target, which must not exist, and migrates the new one
// to the current schema. It reads each table directly and through each of
// its indexes, so that rows behind a damaged page are still found, and
// copies the rows one by one, skipping those it cannot read. The damaged
// file is only read. docs/JOURNAL.md says when to use it and what to check
// afterwards.
func Salvage(damaged, target string) (SalvageReport, error) {
	var rep SalvageReport
	if _, err := os.Stat(damaged); err != nil {
		return rep, fmt.Errorf("salvage %s: %w", damaged, err)
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("salvage %s into %s: the target exists; choose a new file", damaged, target)
	}
	// Work on a copy: the damaged file stays as it was for inspection,
	// and a truncated copy can be padded back to its recorded size.
	tmp, err := os.MkdirTemp(filepath.Dir(target), ".salvage-")
	if err != nil {
		return rep, fmt.Errorf("salvage %s: %w", damaged, err)
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "damaged.db")
	if err := copyForSalvage(damaged, work); err != nil {
		return rep, fmt.Errorf("salvage %s: %w", damaged, err)
	}
	version, err := damagedVersion(work)
	if err != nil {
		return rep, fmt.Errorf("salvage %s: cannot read its schema, nothing can be salvaged: %w", damaged, err)
	}
	if version == 0 || version > schemaVersion {
		return rep, fmt.Errorf("salvage %s: schema version %d is not one this version knows (1 to %d)", damaged, version, schemaVersion)
	}
	rep.Version = version

	// The new journal is built beside the copy and renamed into place when
	// whole, so a failed salvage leaves no target behind to get in the way
	// of the next attempt.
	built := filepath.Join(tmp, "salvaged.db")
	db, err := sql.Open("sqlite", dsn(built, "FULL", false))
	if err != nil {
		return rep, fmt.Errorf("salvage into %s: %w", target, err)
	}
	// ATTACH is per connection: keep exactly one.
	db.SetMaxOpenConns(1)
	defer db.Close()
	if err := migrateDB(db, target, 0, version); err != nil {
		return rep, err
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("salvage into %s: %w", target, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS old", work); err != nil {
		return rep, fmt.Errorf("salvage %s: attach: %w", damaged, err)
	}
	tables, err := salvageTables(ctx, conn)
	if err != nil {
		return rep, fmt.Errorf("salvage into %s: %w", target, err)
	}
	for _, t := range tables {
		ts, err := salvageTable(ctx, conn, t)
		if err != nil {
			return rep, fmt.Errorf("salvage %s table %s: %w", damaged, t.name, err)
		}
		rep.Tables = append(rep.Tables, ts)
	}
	if _, err := conn.ExecContext(ctx, "DETACH DATABASE old"); err != nil {
		return rep, fmt.Errorf("salvage %s: detach: %w", damaged, err)
	}
	conn.Close()
	if err := db.Close(); err != nil {
		return rep, fmt.Errorf("salvage into %s: %w", target, err)
	}
	j, err := Open(built)
	if err != nil {
		return rep, fmt.Errorf("salvage into %s: the new journal does not open: %w", target, err)
	}
	if err := j.Close(); err != nil {
		return rep, err
	}
	if err := renameIntoPlace(built, target); err != nil {
		return rep, fmt.Errorf("salvage into %s: %w", target, err)
	}
	return rep, nil
}

// copyForSalvage copies a journal and its WAL, if any, and pads a copy
// shorter than its header's page count with zero pages: SQLite refuses to
// read a file shorter than it says, while a zero page is just one
// unreadable page among readable ones.
func copyForSalvage(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if len(b) >= 100 && binary.BigEndian.Uint32(b[24:28]) == binary.BigEndian.Uint32(b[92:96]) {
		pageSize := int(binary.BigEndian.Uint16(b[16:18]))
		if pageSize == 1 {
			pageSize = 65536
		}
		if want := int(binary.BigEndian.Uint32(b[28:32])) * pageSize; want > len(b) && want < 1<<34 {
			b = append(b, make([]byte, want-len(b))...)
		}
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		return err
	}
	wal, err := os.ReadFile(from + "-wal")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(to+"-wal", wal, 0o600)
}

// damagedVersion reads the schema version without the checks Open makes.
func damagedVersion(path string) (int, error) {
	q := dsn(path, "", true)
	db, err := sql.Open("sqlite", q)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return 0, err
	}
	// Reading the schema proves that its page can be read; without it no
	// table can be found.
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return 0, err
	}
	return v, nil
}

type tableToSalvage struct {
	name string
	// indexes are (index, first column) pairs usable for a full scan.
	indexes [][2]string
}

// salvageTables lists the tables and full (not partial) indexes from the
// new journal's schema, which migrations made identical to the damaged
// one's.
func salvageTables(ctx context.Context, conn *sql.Conn) ([]tableToSalvage, error) {
	// In creation order, which is migration order: a table comes after
	// the tables its foreign keys point to, so its rows find their parents.
	rows, err := conn.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_schema
		WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_stat%' ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	type idx struct{ name, table string }
	var tables []tableToSalvage
	var idxs []idx
	for rows.Next() {
		var typ, name, tbl, def string
		if err := rows.Scan(&typ, &name, &tbl, &def); err != nil {
			rows.Close()
			return nil, err
		}
		switch {
		case typ == "table":
			tables = append(tables, tableToSalvage{name: name})
		case !strings.Contains(strings.ToUpper(def), " WHERE "):
			idxs = append(idxs, idx{name, tbl})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ix := range idxs {
		var col string
		err := conn.QueryRowContext(ctx, "SELECT name FROM pragma_index_info(?) WHERE seqno = 0", ix.name).Scan(&col)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", ix.name, err)
		}
		for i := range tables {
			if tables[i].name == ix.table {
				tables[i].indexes = append(tables[i].indexes, [2]string{ix.name, col})
			}
		}
	}
	return tables, nil
}

// salvageTable finds the rowids it can, then copies row by row.
func salvageTable(ctx context.Context, conn *sql.Conn, t tableToSalvage) (TableSalvage, error) {
	ts := TableSalvage{Table: t.name}
	seen := map[int64]bool{}
	// collect adds the rowids q reads until it ends or meets damage, and
	// reports whether it read any.
	collect := func(q string, args ...any) bool {
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return false
		}
		defer rows.Close()
		read := false
		for rows.Next() {
			var id int64
			if rows.Scan(&id) != nil {
				break
			}
			seen[id], read = true, true
		}
		return read
	}
	// The table in rowid order. After damage stops a scan, seek past the
	// last rowid read by a growing distance until reading works again: the
	// rows on the damaged page are lost, the ones after it are not.
	scan := fmt.Sprintf("SELECT rowid FROM old.%q WHERE rowid > ? ORDER BY rowid", t.name)
	last := int64(math.MinInt64)
	for skip := int64(0); skip < 1<<50; {
		if !collect(scan, last+skip) {
			skip = max(1, skip*2)
			continue
		}
		for id := range seen {
			last = max(last, id)
		}
		skip = 0
	}
	for _, ix := range t.indexes {
		collect(fmt.Sprintf("SELECT rowid FROM old.%q INDEXED BY %q ORDER BY %q", t.name, ix[0], ix[1]))
	}
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	insert := fmt.Sprintf("INSERT OR IGNORE INTO main.%q SELECT * FROM old.%q WHERE rowid = ?", t.name, t.name)
	for _, id := range ids {
		res, err := conn.ExecContext(ctx, insert, id)
		if err != nil {
			ts.Lost++
			continue
		}
		if n, _ := res.RowsAffected(); n == 1 {
			ts.Copied++
		} else {
			ts.Lost++
		}
	}
	return ts, nil
}

package journal

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// sampleRows are rows as each schema version wrote them, with raw SQL so
// that they stay what that version stored even when the Go code changes.
// sampleRows[v] is inserted into a journal at version v+1.
var sampleRows = [][]string{
	// version 1
	{
		`INSERT INTO orders (client_order_id, instance, strategy, purpose, product_id, side, request, venue_order_id,
			status, open, filled_size, filled_value, average_filled_price, total_fees, triggered, reject_reason,
			attached_order_id, originating_order_id, venue_created_ns, venue_updated_ns, intent_ns, changed_ns)
		VALUES ('old-1', 'sma-btc', 'sma_cross', 'entry', 'BTC-USD', 'BUY',
			'{"client_order_id":"old-1","product_id":"BTC-USD","side":"BUY","type":"LIMIT","base_size":"0.5","limit_price":"64000.01"}',
			'v-old-1', 'OPEN', 1, '0.1', '6400.001', '64000.01', '1.5', 0, '', '', '', 1700000000000000000, 1700000001000000000,
			1700000000000000000, 1700000001000000000)`,
		`INSERT INTO order_events (client_order_id, status, venue_order_id, filled_size, average_filled_price,
			total_fees, triggered, reject_reason, venue_ns, recorded_ns)
		VALUES ('old-1', 'OPEN', 'v-old-1', '0.1', '64000.01', '1.5', 0, '', 1700000001000000000, 1700000001000000000)`,
		`INSERT INTO fills (product_id, trade_id, instance, order_id, client_order_id, side, price, size, fee, liquidity,
			time_ns, recorded_ns)
		VALUES ('BTC-USD', 'trade-old-1', 'sma-btc', 'v-old-1', 'old-1', 'BUY', '64000.01', '0.1', '1.5', 'MAKER',
			1700000001000000000, 1700000001000000000)`,
		`INSERT INTO client_order_seq (instance, reserved) VALUES ('sma-btc', 128)`,
	},
	// version 2
	{
		`INSERT INTO instance_state (instance, exit_state, strategy_state, updated_ns)
		VALUES ('sma-btc', CAST('{"stop":"63000"}' AS BLOB), x'0102', 1700000002000000000)`,
		`INSERT INTO risk_state (account, state, updated_ns) VALUES ('default', CAST('{"daily_loss":"12.5"}' AS BLOB), 1700000002000000000)`,
		`INSERT INTO positions (instance, product_id, size, avg_entry_price, realized_pnl, fees, opened_ns, updated_ns)
		VALUES ('sma-btc', 'BTC-USD', '0.1', '64000.01', '0', '1.5', 1700000001000000000, 1700000002000000000)`,
	},
	// version 3
	{
		`INSERT INTO round_trips (key, instance, product_id, side, size, entry_price, exit_price, fees, realized_pnl,
			exit_reason, entry_ns, exit_ns)
		VALUES ('sma-btc/old-0', 'sma-btc', 'BTC-USD', 'BUY', '0.2', '60000', '61000', '2', '198', 'take_profit',
			1690000000000000000, 1690000100000000000)`,
		`INSERT INTO reconciliations (time_ns, summary, problems, report) VALUES (1700000003000000000, 'clean', 0, x'7b7d')`,
	},
	// version 4
	{
		`INSERT INTO orders (client_order_id, instance, strategy, purpose, product_id, side, request, venue_order_id,
			status, open, filled_size, filled_value, average_filled_price, total_fees, triggered, reject_reason,
			attached_order_id, originating_order_id, venue_created_ns, venue_updated_ns, intent_ns, changed_ns, reason)
		VALUES ('old-2', 'sma-btc', 'sma_cross', 'exit', 'BTC-USD', 'SELL',
			'{"client_order_id":"old-2","product_id":"BTC-USD","side":"SELL","type":"MARKET","base_size":"0.1"}',
			'', 'IN_FLIGHT', 1, '0', '0', '0', '0', 0, '', '', '', NULL, NULL,
			1700000004000000000, 1700000004000000000, 'take_profit')`,
	},
	// version 5: an index on the fills' order id, no new rows
	{},
	// version 6: fills numbered in the order they were recorded
	{
		`INSERT INTO fills (product_id, trade_id, instance, order_id, client_order_id, side, price, size, fee, liquidity,
			time_ns, recorded_ns, seq)
		VALUES ('BTC-USD', 'trade-new-1', 'sma-btc', 'v-old-2', 'old-2', 'SELL', '65000', '0.1', '1.6', 'TAKER',
			1700000005000000000, 1700000005000000000, 1)`,
	},
}

func TestEveryEarlierSchemaVersionMigratesWithoutLoss(t *testing.T) {
	if len(sampleRows) != schemaVersion {
		t.Fatalf("sampleRows covers %d versions, the schema has %d: add the rows the new version stores", len(sampleRows), schemaVersion)
	}
	for from := 0; from < schemaVersion; from++ {
		t.Run(fmt.Sprintf("from version %d", from), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.db")
			db, err := sql.Open("sqlite", dsn(path, "FULL", false))
			if err != nil {
				t.Fatal(err)
			}
			if err := migrateDB(db, path, 0, from); err != nil {
				t.Fatal(err)
			}
			for v := 0; v < from; v++ {
				for _, q := range sampleRows[v] {
					if _, err := db.Exec(q); err != nil {
						t.Fatalf("sample row for version %d: %v", v+1, err)
					}
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			j, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			if v, err := j.version(); err != nil || v != schemaVersion {
				t.Fatalf("version after Open = %d, %v; want %d", v, err, schemaVersion)
			}
			if _, err := os.Stat(fmt.Sprintf("%s.v%d.bak", path, from)); (err == nil) != (from > 0) {
				t.Errorf("backup before migrating from version %d: stat err = %v", from, err)
			}
			if from >= 1 {
				checkVersion1Rows(t, j)
			}
			if from >= 2 {
				checkVersion2Rows(t, j)
			}
			if from >= 3 {
				checkVersion3Rows(t, j)
			}
			if from >= 4 {
				checkVersion4Rows(t, j)
			}
			// The migrated journal takes new writes.
			if err := j.RecordIntent(intent("sma-btc", "new-1")); err != nil {
				t.Fatal(err)
			}
			// Fills recorded before version 6 have no number; the first
			// one recorded after is number 1, and only it is after 0.
			if seq, err := j.RecordFill("sma-btc", exchange.Fill{TradeID: "trade-migrated", OrderID: "v-new-1",
				ProductID: "BTC-USD", Side: exchange.Buy, Price: d("64000"), Size: d("0.1"), Fee: d("1")}); err != nil || seq != 1 {
				t.Fatalf("first fill after the migration: number %d, %v; want 1", seq, err)
			}
			if after, err := j.FillsAfter(0); err != nil || len(after) != 1 || after[0].TradeID != "trade-migrated" {
				t.Fatalf("fills after number 0: %+v, %v; want only the one recorded after the migration", after, err)
			}
			if err := j.SaveInstanceState("sma-btc", []byte("{}"), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := j.RecordRoundTrip(RoundTrip{Key: "k", Instance: "sma-btc", ProductID: "BTC-USD", Side: exchange.Buy}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func checkVersion1Rows(t *testing.T, j *Journal) {
	t.Helper()
	r, err := j.Order("old-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Order.Status != exchange.StatusOpen || !r.Order.LimitPrice.Equal(d("64000.01")) || !r.Order.FilledSize.Equal(d("0.1")) || r.Order.ID != "v-old-1" {
		t.Fatalf("order old-1 after migration: %+v", r)
	}
	if r.Reason != "" {
		t.Fatalf("order old-1 after migration has reason %q; a version 1 journal kept none", r.Reason)
	}
	if ids := inFlightIDs(t, j); len(ids) < 1 || ids[0] != "old-1" {
		t.Fatalf("in flight after migration: %v", ids)
	}
	h, err := j.OrderHistory("old-1")
	if err != nil || len(h) != 1 {
		t.Fatalf("history after migration: %v, %v", h, err)
	}
	fills, err := j.Fills(r.IntentAt)
	if err != nil || len(fills) != 1 || fills[0].TradeID != "trade-old-1" || !fills[0].Price.Equal(d("64000.01")) {
		t.Fatalf("fills after migration: %+v, %v", fills, err)
	}
	n, err := j.NextClientOrderSeq("sma-btc")
	if err != nil || n <= 128 {
		t.Fatalf("sequence after migration = %d, %v; want above the 128 reserved", n, err)
	}
}

func checkVersion2Rows(t *testing.T, j *Journal) {
	t.Helper()
	exit, strat, err := j.InstanceState("sma-btc")
	if err != nil || string(exit) != `{"stop":"63000"}` || string(strat) != "\x01\x02" {
		t.Fatalf("instance state after migration: %q %q %v", exit, strat, err)
	}
	risk, err := j.Risk("default")
	if err != nil || string(risk) != `{"daily_loss":"12.5"}` {
		t.Fatalf("risk after migration: %q %v", risk, err)
	}
	ps, err := j.Positions()
	if err != nil || len(ps) != 1 || !ps[0].Size.Equal(d("0.1")) {
		t.Fatalf("positions after migration: %+v %v", ps, err)
	}
}

func checkVersion3Rows(t *testing.T, j *Journal) {
	t.Helper()
	rts, err := j.RoundTrips(RoundTripFilter{})
	if err != nil || len(rts) != 1 || !rts[0].RealizedPnL.Equal(d("198")) || rts[0].ExitReason != "take_profit" {
		t.Fatalf("round trips after migration: %+v %v", rts, err)
	}
	recs, err := j.Reconciliations(0)
	if err != nil || len(recs) != 1 || recs[0].Summary != "clean" {
		t.Fatalf("reconciliations after migration: %+v %v", recs, err)
	}
}

func checkVersion4Rows(t *testing.T, j *Journal) {
	t.Helper()
	r, err := j.Order("old-2")
	if err != nil || r.Reason != "take_profit" || r.Purpose != exchange.Exit {
		t.Fatalf("order old-2 after migration: %+v %v; want an exit with reason take_profit", r, err)
	}
}

func TestAJournalFromANewerTradebotIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.writer().Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	j.Close()
	_, err = Open(path)
	if err == nil || !strings.Contains(err.Error(), "schema version 99 is newer") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a refusal naming the file and the version", err)
	}
}

// A reader (tradebot positions, trades) does not migrate: a journal an
// older tradebot left at an older version is refused with advice, not
// with SQLite's missing column.
func TestAReaderRefusesAJournalAtAnOlderVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := sql.Open("sqlite", dsn(path, "FULL", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateDB(db, path, 0, schemaVersion-1); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = OpenReadOnlyWith(path, Options{})
	want := fmt.Sprintf("schema version %d is older than this tradebot reads (%d): start the daemon once", schemaVersion-1, schemaVersion)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a refusal naming the file, the versions and what to do", err)
	}
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnlyWith(path, Options{})
	if err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
	r.Close()
}

// releasedMigrations are the SHA-256 sums of the migration steps that
// journals in the field were created with. Editing a released step would
// give those journals a schema that the code no longer describes; a
// change must be a new step instead (and a new line here).
var releasedMigrations = []string{
	"21834764c789ec736e6390800439fb3f21e62eb0c0606c8200800210ba37c928",
	"2238544b9e8549bdda09a40e912a531ecc86050cec1251657542a0d3523be24a",
	"0a0c6dedb9137f0fb5f490314333cfc142664ae79d9c7f6f97ab2200813d4f08",
	"37b007d06b9dcf0fb7e8b3996aa222ed61856a2c0addaf45ee35400c0e043219",
	"7e6d1d90eb82cc869f820ca355ccfe45ca10502224f10b3eabce940f393d0373",
	"57339910357f5807b32815d46d7ce6ba3e659c0aef7a0c11fe8a83274c7d6e0a",
}

func TestReleasedMigrationsAreNeverEdited(t *testing.T) {
	if len(migrations) < len(releasedMigrations) {
		t.Fatalf("%d migration steps, but %d were released: steps are never removed", len(migrations), len(releasedMigrations))
	}
	for i, want := range releasedMigrations {
		if got := fmt.Sprintf("%x", sha256.Sum256([]byte(migrations[i]))); got != want {
			t.Errorf("migration step %d (to version %d) was edited after its release: add a new step instead", i, i+1)
		}
	}
	if len(migrations) > len(releasedMigrations) {
		t.Logf("steps %d to %d are not in releasedMigrations yet: add their sums when they ship",
			len(releasedMigrations)+1, len(migrations))
	}
}

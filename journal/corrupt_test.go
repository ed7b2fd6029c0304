package journal

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// filledJournal writes a journal with enough orders and fills to span
// many pages, closes it (which checkpoints the WAL into the main file)
// and returns its path and size.
func filledJournal(t testing.TB) (string, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	// Relaxed and batched: the test is about the file, not durability,
	// and 900 fsyncs take seconds on a busy disk.
	j, err := OpenWith(path, Options{RelaxedIntents: true})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]OrderRecord, 300)
	for i := range recs {
		recs[i] = intent("a", fmt.Sprintf("fill-%d", i))
	}
	if err := j.RecordIntents(recs...); err != nil {
		t.Fatal(err)
	}
	err = j.Batch(func(b *Batch) error {
		for i := range recs {
			id := recs[i].Order.ClientOrderID
			if err := b.UpdateOrder(id, exchange.Order{ID: "v-" + id, Status: exchange.StatusFilled, FilledSize: d("0.00123456")}); err != nil {
				return err
			}
			if _, err := b.RecordFill("a", exchange.Fill{TradeID: "t-" + id, OrderID: "v-" + id, ClientOrderID: id,
				ProductID: "BTC-USD", Side: exchange.Buy, Price: d("64250.01"), Size: d("0.00123456"),
				Time: t0.Add(time.Duration(i) * time.Second)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the WAL is still there after Close: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, st.Size()
}

func TestOpenRefusesADamagedJournalWithAClearError(t *testing.T) {
	const page = 4096
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
		says   string
	}{
		{"truncated to half", func(t *testing.T, path string, size int64) {
			truncate(t, path, size/2)
		}, "truncated: the file has"},
		{"truncated mid-page", func(t *testing.T, path string, size int64) {
			truncate(t, path, size-page-1000)
		}, "truncated: the file has"},
		{"page in the middle overwritten", func(t *testing.T, path string, size int64) {
			overwrite(t, path, (size/page/2)*page, page, 0x5a)
		}, ""},
		{"bytes in the middle zeroed", func(t *testing.T, path string, size int64) {
			overwrite(t, path, (size/page/2)*page, 64, 0)
		}, ""},
		{"header overwritten", func(t *testing.T, path string, size int64) {
			overwrite(t, path, 0, 100, 0x20)
		}, "not a SQLite database"},
		{"emptied", func(t *testing.T, path string, size int64) {
			truncate(t, path, 0)
		}, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, size := filledJournal(t)
			c.damage(t, path, size)
			j, err := Open(path)
			if err == nil {
				j.Close()
				t.Fatal("Open accepted the damaged journal")
			}
			msg := err.Error()
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(msg, path) || !strings.Contains(msg, "move the file") ||
				!strings.Contains(msg, c.says) {
				t.Fatalf("error does not name the file, the damage (%q) and the recovery:\n%v", c.says, err)
			}
			if _, err := OpenReadOnlyWith(path, Options{}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("OpenReadOnlyWith: err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestOpenRefusesADatabaseThatIsNotAJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE notes (body TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path)
	if err == nil || !strings.Contains(err.Error(), "not a tradebot journal") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a refusal naming the file", err)
	}
}

// TestAMalformedValueIsAnErrorNotAZero covers damage inside a row that the
// file's structure does not show: the reader names the row and column
// instead of returning a zero amount.
func TestAMalformedValueIsAnErrorNotAZero(t *testing.T) {
	j := openTemp(t)
	if err := j.RecordIntent(intent("a", "a-1")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ column, bad, good string }{
		{"filled_size", "0.0x1", "0"},
		{"purpose", "hedge", "entry"},
	} {
		set := func(v string) {
			if _, err := j.normal.Exec("UPDATE orders SET "+c.column+" = ? WHERE client_order_id = 'a-1'", v); err != nil {
				t.Fatal(err)
			}
		}
		set(c.bad)
		_, err := j.InFlight()
		if want := `order "a-1" column ` + c.column; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want one naming the order and the column (%s)", err, want)
		}
		set(c.good)
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func overwrite(t *testing.T, path string, at int64, n int, b byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = b
	}
	if _, err := f.WriteAt(buf, at); err != nil {
		t.Fatal(err)
	}
}

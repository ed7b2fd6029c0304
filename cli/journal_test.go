package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/journal"
)

var jt0 = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// writtenJournal writes a journal with one open position and two closed
// round trips in state_dir/journal.db, as the daemon would, and returns
// state_dir.
func writtenJournal(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(filepath.Join(dir, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	dec := decimal.RequireFromString
	if err := j.SavePosition(journal.PositionRow{Instance: "btc-trend", ProductID: "BTC-USD", Size: dec("0.0123"),
		AvgEntryPrice: dec("64250.01"), RealizedPnL: dec("0"), Fees: dec("0.79"), OpenedAt: jt0, UpdatedAt: jt0}); err != nil {
		t.Fatal(err)
	}
	for i, pnl := range []string{"12.5", "-3.25"} {
		if _, err := j.RecordRoundTrip(journal.RoundTrip{Key: "eth/" + pnl, Instance: "eth-mr", ProductID: "ETH-USD",
			Side: exchange.Buy, Size: dec("0.5"), EntryPrice: dec("3000"), ExitPrice: dec("3025"), Fees: dec("0.1"),
			RealizedPnL: dec(pnl), ExitReason: "take_profit", EntryTime: jt0.Add(time.Duration(i) * time.Hour),
			ExitTime: jt0.Add(time.Duration(i)*time.Hour + time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeConfig(t *testing.T, stateDir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tradebot.yaml")
	cfg := strings.Replace(string(exampleConfig(t)), `state_dir: ""`, "state_dir: "+stateDir, 1)
	if !strings.Contains(cfg, "state_dir: "+stateDir) {
		t.Fatal(`the example config has no 'state_dir: ""' line to replace`)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func exampleConfig(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPositionsAndTradesPrintTheJournal(t *testing.T) {
	dir := writtenJournal(t)
	cfg := writeConfig(t, dir)
	db := filepath.Join(dir, journalFile)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"positions table by journal", []string{"positions", "--journal", db},
			[]string{"instance", "btc-trend", "BTC-USD", "0.0123", "64250.01", "\n1 open position(s)\n"}},
		{"positions table by config", []string{"positions", "--config", cfg},
			[]string{"btc-trend", "0.0123"}},
		{"positions csv", []string{"positions", "--journal", db, "--format", "csv"},
			[]string{"instance,product,size,avg_entry_price", "btc-trend,BTC-USD,0.0123,64250.01"}},
		{"trades table with total", []string{"trades", "--journal", db},
			[]string{"eth-mr", "take_profit", "12.5", "-3.25", "2 round trip(s), realized PnL 9.25"}},
		{"trades filtered by instance", []string{"trades", "--journal", db, "--instance", "nobody"},
			[]string{"0 round trip(s), realized PnL 0"}},
		{"trades newest only", []string{"trades", "--journal", db, "--limit", "1", "--format", "csv"},
			[]string{"eth-mr,ETH-USD,BUY,0.5,3000,3025,0.1,-3.25,take_profit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tc.args, &out, &errOut); code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestTradesJSONIsExactStrings(t *testing.T) {
	db := filepath.Join(writtenJournal(t), journalFile)
	var out, errOut bytes.Buffer
	if code := run([]string{"trades", "--journal", db, "--format", "json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut.String())
	}
	var rows []map[string]string
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("output is not a JSON array of string objects: %v\n%s", err, out.String())
	}
	if len(rows) != 2 || rows[0]["realized_pnl"] != "12.5" || rows[1]["realized_pnl"] != "-3.25" {
		t.Fatalf("rows = %v", rows)
	}
}

func TestJournalCommandsRefuseWrongInput(t *testing.T) {
	db := filepath.Join(writtenJournal(t), journalFile)
	missing := filepath.Join(t.TempDir(), "none.db")
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"unknown format", []string{"positions", "--journal", db, "--format", "xml"}, exitUsage, `output format "xml"`},
		{"both sources", []string{"trades", "--journal", db, "--config", "x.yaml"}, exitUsage, "not both"},
		{"config without state_dir", []string{"positions"}, exitUsage, "no state_dir"},
		{"missing journal names the file", []string{"positions", "--journal", missing}, 1, missing},
		{"salvage without arguments", []string{"journal", "salvage"}, exitUsage, "want DAMAGED and NEW"},
		{"journal without subcommand", []string{"journal"}, exitUsage, "salvage"},
		{"salvage onto an existing file", []string{"journal", "salvage", db, db}, 1, "the target exists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tc.args, &out, &errOut); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.inStderr) {
				t.Fatalf("stderr lacks %q:\n%s", tc.inStderr, errOut.String())
			}
		})
	}
}

// truncate cuts a closed journal to half its size, as a full disk or an
// interrupted copy would.
func truncate(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()/2); err != nil {
		t.Fatal(err)
	}
}

func TestSalvageCopiesAJournalIntoANewFile(t *testing.T) {
	db := filepath.Join(writtenJournal(t), journalFile)
	target := filepath.Join(t.TempDir(), "new.db")
	var out, errOut bytes.Buffer
	if code := run([]string{"journal", "salvage", db, target}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "salvaged "+db+" into "+target) || !strings.Contains(out.String(), "round_trips") {
		t.Fatalf("report:\n%s", out.String())
	}
	out.Reset()
	if code := run([]string{"trades", "--journal", target, "--format", "csv"}, &out, &errOut); code != 0 {
		t.Fatalf("trades on the salvaged journal: exit %d, stderr: %s", code, errOut.String())
	}
	if got := strings.Count(out.String(), "eth-mr"); got != 2 {
		t.Fatalf("salvaged journal holds %d round trips, want 2:\n%s", got, out.String())
	}
}

// TestRunRefusesADamagedJournal starts the real binary on a state_dir
// whose journal was cut short: it must exit non-zero before trading, with
// an error that names the file and says how to recover.
func TestRunRefusesADamagedJournal(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   []string
	}{
		{"truncated", truncate, []string{"truncated", "docs/JOURNAL.md", "salvage"}},
		{"empty file", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, []string{"docs/JOURNAL.md"}},
		{"overwritten header", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte("not a database at all"), 0); err != nil {
				t.Fatal(err)
			}
		}, []string{"docs/JOURNAL.md"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writtenJournal(t)
			db := filepath.Join(dir, journalFile)
			tc.damage(t, db)
			cmd := exec.Command(binary(t), "run", "--config", writeConfig(t, dir), "--web.listen-address", "127.0.0.1:0")
			cmd.Dir = t.TempDir()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatalf("run on a damaged journal exited 0:\n%s", stderr.String())
				}
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("run on a damaged journal kept running:\n%s", stderr.String())
			}
			msg := stderr.String()
			for _, w := range append([]string{db}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

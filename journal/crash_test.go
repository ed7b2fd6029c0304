package journal

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// crashChildEnv, when set to a journal path, turns the test binary into
// the child of TestJournalSurvivesSIGKILL (see TestMain).
const crashChildEnv = "TRADEBOT_JOURNAL_CRASH_CHILD"

const crashInstance = "crash"

// crashChild is the order path of a daemon in a loop: sequence number,
// intent, venue acknowledgement, then fill, final state and exit state in
// one batch. It prints
// "seq N" when a number is handed out and "intent ID" when RecordIntent
// has returned, so the parent knows what the journal promised before the
// kill. It never returns; the parent kills it.
func crashChild() {
	path := os.Getenv(crashChildEnv)
	j, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := os.Stdout
	for {
		n, err := j.NextClientOrderSeq(crashInstance)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Fprintf(out, "seq %d\n", n)
		id := fmt.Sprintf("%s-%d", crashInstance, n)
		rec := intent(crashInstance, id)
		if err := j.RecordIntent(rec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		fmt.Fprintf(out, "intent %s\n", id)
		venueID := "v-" + id
		if err := j.UpdateOrder(id, exchange.Order{ID: venueID, Status: exchange.StatusOpen}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(5)
		}
		// The fill, the order's final state and the exit state commit
		// together: the parent checks it never sees one without the others.
		err = j.Batch(func(b *Batch) error {
			if _, err := b.RecordFill(crashInstance, exchange.Fill{TradeID: "t-" + id, OrderID: venueID, ClientOrderID: id,
				ProductID: "BTC-USD", Side: exchange.Buy, Price: d("64250.01"), Size: d("0.00123456"), Fee: d("0.12"),
				Liquidity: exchange.Maker, Time: time.Now()}); err != nil {
				return err
			}
			if err := b.UpdateOrder(id, exchange.Order{ID: venueID, Status: exchange.StatusFilled, FilledSize: d("0.00123456")}); err != nil {
				return err
			}
			return b.SaveInstanceState(crashInstance, []byte(id), nil)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(6)
		}
	}
}

// TestJournalSurvivesSIGKILL kills a writing child process at random
// moments and checks after each kill that the journal opens (integrity
// check included), that every intent the child was told is recorded is
// there, that no client order id was handed out twice and that the counter
// never goes back.
func TestJournalSurvivesSIGKILL(t *testing.T) {
	const kills = 25
	path := filepath.Join(t.TempDir(), "journal.db")
	deadline := time.Now().Add(60 * time.Second)
	var maxSeq uint64
	promised := map[string]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < kills; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d kills within the time bound", round)
		}
		lines := runAndKill(t, path, time.Duration(rng.IntN(25_000))*time.Microsecond)
		for _, l := range lines {
			kind, val, _ := strings.Cut(l, " ")
			switch kind {
			case "seq":
				n, err := strconv.ParseUint(val, 10, 64)
				if err != nil {
					continue // the line the kill cut short
				}
				if n <= maxSeq {
					t.Fatalf("round %d: sequence %d handed out after %d", round, n, maxSeq)
				}
				maxSeq = n
			case "intent":
				if promised[val] {
					t.Fatalf("round %d: client order id %s used twice", round, val)
				}
				promised[val] = true
			}
		}

		j, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		orders, err := j.Orders(OrderFilter{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		have := map[string]bool{}
		for _, o := range orders {
			have[o.Order.ClientOrderID] = true
		}
		for id := range promised {
			if !have[id] {
				t.Fatalf("round %d: intent %s was acknowledged but is not in the journal", round, id)
			}
		}
		fills, err := j.Fills(time.Time{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		filled := map[string]bool{}
		for _, f := range fills {
			if !have[f.ClientOrderID] {
				t.Fatalf("round %d: fill %s has no order", round, f.TradeID)
			}
			filled[f.ClientOrderID] = true
		}
		var last string
		for _, o := range orders {
			if (o.Order.Status == exchange.StatusFilled) != filled[o.Order.ClientOrderID] {
				t.Fatalf("round %d: order %s is %s but its fill recorded = %v: a batch was torn", round,
					o.Order.ClientOrderID, o.Order.Status, filled[o.Order.ClientOrderID])
			}
			if o.Order.Status == exchange.StatusFilled {
				last = o.Order.ClientOrderID
			}
		}
		if exit, _, err := j.InstanceState(crashInstance); err != nil || string(exit) != last {
			t.Fatalf("round %d: exit state %q, want the last filled order %q (%v)", round, exit, last, err)
		}
		if _, err := j.InFlight(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		next, err := j.NextClientOrderSeq(crashInstance)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if next <= maxSeq {
			t.Fatalf("round %d: after the crash the counter gives %d, but %d was handed out", round, next, maxSeq)
		}
		maxSeq = next
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(promised) < kills {
		t.Fatalf("only %d intents over %d runs: the child barely ran", len(promised), kills)
	}
	t.Logf("%d kills, %d intents acknowledged, last sequence %d", kills, len(promised), maxSeq)
}

// runAndKill starts the child on path, waits until it has recorded its
// first intent, lets it run for after, kills it with SIGKILL and returns
// the complete lines it printed.
func runAndKill(t *testing.T, path string, after time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		// Only whole lines count: a fragment the kill cut short could
		// read as another id.
		r := bufio.NewReader(stdout)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- strings.TrimSuffix(l, "\n")
		}
	}()
	var got []string
	timeout := time.After(20 * time.Second)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("child ended before writing anything: %s", stderr.String())
			}
			got = append(got, l)
			if strings.HasPrefix(l, "intent ") {
				break wait
			}
		case <-timeout:
			cmd.Process.Kill()
			for range lines {
			}
			cmd.Wait()
			t.Fatal("child wrote no intent within 20s")
		}
	}
	time.Sleep(after)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		got = append(got, l)
	}
	cmd.Wait()
	if stderr.Len() > 0 {
		t.Fatalf("child failed: %s", stderr.String())
	}
	return got
}

// TestACrashWhileCreatingTheJournalLeavesNoBrokenFile kills the child at
// random moments from its start, some of them while it creates the
// journal: the next Open must find no journal or a whole one, never a file
// it refuses. The window in which SQLite has created an empty file is too
// short to hit reliably; TestLeftoversOfAnInterruptedCreationAreIgnored
// covers that state deterministically.
func TestACrashWhileCreatingTheJournalLeavesNoBrokenFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 12 {
		path := filepath.Join(t.TempDir(), "journal.db")
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(150_000)) * time.Microsecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		j, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: Open after a kill during creation: %v", round, err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLeftoversOfAnInterruptedCreationAreIgnored puts what a crash during
// creation leaves (a half-written journal.db.new with its WAL) beside a
// missing journal: Open creates a whole journal and removes them.
func TestLeftoversOfAnInterruptedCreationAreIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	for _, f := range []string{path + ".new", path + ".new-wal"} {
		if err := os.WriteFile(f, []byte("SQLite format 3\x00 cut short"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if v, err := j.version(); err != nil || v != schemaVersion {
		t.Fatalf("version %d, %v; want %d", v, err, schemaVersion)
	}
	if _, err := os.Stat(path + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the leftover is still there: %v", err)
	}
}

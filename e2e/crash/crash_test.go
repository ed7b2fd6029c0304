package crash

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// recovered is what the daemon logs once start-up recovery is done and
// before it trades.
const recovered = "recovered from the journal and the exchange"

// killCount is how many SIGKILLs TestKilledDaemon sends.
func killCount(t *testing.T) int {
	if *kills > 0 {
		return *kills
	}
	if s := os.Getenv("TRADEBOT_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("TRADEBOT_CRASH_KILLS=%q: want a positive number", s)
		}
		return n
	}
	return 50
}

// seedFor returns the seed of a test's random waits, logged so that a
// failed run's timings can be tried again with TRADEBOT_CRASH_SEED=N. The
// seed fixes only the test's waits and faults: the daemon, the emulator's
// replay and the scheduler still move on their own, so a seed makes a
// failure likelier to come back, not certain.
func seedFor(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TRADEBOT_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TRADEBOT_CRASH_SEED=%q: want a non-negative whole number", s)
		}
		seed = n
	}
	t.Logf("seed %d", seed)
	return seed
}

// faultFor sets the emulator's faults for run i, so that kills land in
// different places: with every REST request slowed (a kill then often
// interrupts a create or a cancel in flight), with the next create's
// answer lost (the order exists, the daemon never heard), or clean.
func faultFor(w *world, i int, rng *rand.Rand) string {
	// A lost response that no create met in its run is not carried into
	// the next runs (they would pile up), nor into the final run, which
	// must have its answers in before it stops.
	w.emu.KeepCreateResponses()
	switch i % 3 {
	case 1:
		d := time.Duration(50+rng.IntN(350)) * time.Millisecond
		w.emu.Delay(d)
		return "delay " + d.String()
	case 2:
		w.emu.Delay(0)
		w.emu.LoseNextCreateResponse()
		return "lose next create"
	default:
		w.emu.Delay(0)
		return "none"
	}
}

// killLoop starts the daemon n times on the same state_dir and kills each
// run with SIGKILL after a random time (0.3 to 8 s: some runs die during
// recovery, most while trading). A run that exits on its own fails the
// test, with its log.
func killLoop(t *testing.T, w *world, n int, rng *rand.Rand) {
	t.Helper()
	for i := range n {
		fault := faultFor(w, i, rng)
		d := w.start()
		wait := time.Duration(300+rng.IntN(7700)) * time.Millisecond
		select {
		case <-d.done:
			t.Fatalf("run %d (fault %s) exited on its own: %v\n%s", w.runs, fault, d.err, tail(d.logText(), 40))
		case <-time.After(wait):
		}
		d.kill()
	}
	w.emu.Delay(0)
	w.emu.KeepCreateResponses()
}

// finalRun starts the daemon once more, lets it recover and trade a
// moment, and stops it cleanly with SIGTERM (which parks btc-usdt's stop
// on the exchange), as an operator would before looking at the books.
func finalRun(t *testing.T, w *world) {
	t.Helper()
	d := w.start()
	if !d.waitLog(recovered, 60*time.Second) {
		d.kill()
		t.Fatalf("the final run did not recover within 60 s:\n%s", tail(d.logText(), 40))
	}
	// Stop while a position is open when one comes within 30 s, so that
	// the protection check has something to check.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !d.exited(); {
		if heldBTC(w).IsPositive() {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Hold the market, so that no resting order fills after the daemon
	// has stopped (a fill no journal could hold), and let what is in
	// flight reach the daemon before it stops.
	w.market.Close()
	time.Sleep(500 * time.Millisecond)
	d.stop(t)
	// Let the emulator's user channel settle: nothing runs any more that
	// could change the books.
	time.Sleep(200 * time.Millisecond)
}

// heldBTC returns the BTC the emulator account holds: a position is
// open when it is positive.
func heldBTC(w *world) decimal.Decimal {
	bal, err := w.emu.Sim().Balances(w.t.Context())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, b := range bal {
		if b.Currency == "BTC" {
			return b.Total()
		}
	}
	return decimal.Zero
}

func logCounts(t *testing.T, w *world, c counts) {
	t.Helper()
	t.Logf("runs %d; emulator orders %d (filled %d, creates retried %d), emulator fills %d, journal fills %d, round trips %d, open positions %d (protected %d)",
		w.runs, c.orders, c.filledOrders, c.retriedCreates, c.emuFills, c.journalFills, c.roundTrips, c.openPositions, c.protected)
}

// TestKilledDaemonKeepsTheBooks kills the daemon with SIGKILL at random
// moments (50 times in CI) while it trades fast against the emulator, and
// checks after a final clean stop that the journal and the emulator agree
// (compareBooks). It runs beside TestKilledDCAKeepsItsCycle, which
// mostly waits.
func TestKilledDaemonKeepsTheBooks(t *testing.T) {
	skipShort(t)
	t.Parallel()
	rng := rand.New(rand.NewPCG(seedFor(t), 1))
	w := newWorld(t)
	killLoop(t, w, killCount(t), rng)
	finalRun(t, w)
	c := compareBooks(t, w)
	logCounts(t, w, c)
	if c.orders == 0 {
		t.Fatal("the daemon placed no order in any run: the test proved nothing")
	}
}

// TestEmulatorRestartsUnderTheDaemon cuts every connection to the
// emulator and refuses new ones for a while (as a restart of the
// exchange's servers would), sometimes while the daemon runs, sometimes
// while it is down, between kills; the daemon must reconnect and recover.
// The emulator keeps its books in memory, so its sim lives on and only
// its network side goes away (see proxy).
func TestEmulatorRestartsUnderTheDaemon(t *testing.T) {
	skipShort(t)
	rng := rand.New(rand.NewPCG(seedFor(t), 2))
	w := newWorld(t)
	n := max(killCount(t)/5, 4)
	for i := range n {
		d := w.start()
		time.Sleep(time.Duration(1000+rng.IntN(3000)) * time.Millisecond)
		w.proxy.down()
		time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
		w.proxy.up(t)
		time.Sleep(time.Duration(500+rng.IntN(3000)) * time.Millisecond)
		if d.exited() {
			// The daemon may give up on an exchange that went away; a
			// supervisor (systemd's Restart=on-failure) starts it again,
			// as the next iteration does. It must not exit 0.
			if d.err == nil {
				t.Fatalf("run %d exited 0 after the emulator went away:\n%s", w.runs, tail(d.logText(), 30))
			}
			t.Logf("run %d exited after the emulator went away (a supervisor restarts it): %v", w.runs, d.err)
			continue
		}
		if i%2 == 0 {
			d.kill()
		} else {
			d.stop(t)
		}
	}
	finalRun(t, w)
	c := compareBooks(t, w)
	logCounts(t, w, c)
}

// TestDaemonStartsWhileTheExchangeIsUnreachable starts the daemon while
// nothing listens on the emulator's address, then brings the emulator
// back: the daemon must not trade blindly (no order before recovery, and
// no recovery without the exchange), and once the exchange answers it
// must recover, either by retrying or, if it exits, by being started
// again as systemd would.
func TestDaemonStartsWhileTheExchangeIsUnreachable(t *testing.T) {
	w := newWorld(t)
	// First a run that trades and is killed, so that there is something
	// to recover: killed once it has placed an order, at a random moment
	// within the 2 s after. Runs killed after a random wait, as killLoop
	// does, placed no order in ten tries under load.
	rng := rand.New(rand.NewPCG(seedFor(t), 3))
	first := w.start()
	for deadline := time.Now().Add(2 * time.Minute); len(w.emu.Sim().Orders()) == 0; time.Sleep(20 * time.Millisecond) {
		if first.exited() {
			t.Fatalf("the first run exited on its own: %v\n%s", first.err, tail(first.logText(), 40))
		}
		if time.Now().After(deadline) {
			first.kill()
			t.Fatalf("the first run placed no order within 2 min:\n%s", tail(first.logText(), 40))
		}
	}
	time.Sleep(time.Duration(rng.IntN(2000)) * time.Millisecond)
	first.kill()
	before := len(w.emu.Sim().Orders())

	w.proxy.down()
	d := w.start()
	time.Sleep(3 * time.Second)
	if strings.Contains(d.logText(), recovered) {
		t.Fatalf("the daemon reported recovery while the exchange was unreachable:\n%s", tail(d.logText(), 30))
	}
	if got := len(w.emu.Sim().Orders()); got != before {
		t.Fatalf("%d orders appeared while the exchange was unreachable", got-before)
	}
	w.proxy.up(t)
	restarts := 0
	for !d.waitLog(recovered, 30*time.Second) {
		if !d.exited() {
			d.kill()
			t.Fatalf("the daemon neither recovered nor exited within 30 s of the exchange coming back:\n%s", tail(d.logText(), 30))
		}
		if d.err == nil {
			t.Fatalf("the daemon exited 0 without the exchange:\n%s", tail(d.logText(), 30))
		}
		if restarts++; restarts > 3 {
			t.Fatalf("the daemon exited %d times with the exchange back:\n%s", restarts, tail(d.logText(), 30))
		}
		t.Logf("the daemon exited without the exchange (%v); started again, as systemd would; its last words:\n%s", d.err, tail(d.logText(), 2))
		d = w.start()
	}
	time.Sleep(time.Second)
	w.market.Close() // as in finalRun
	time.Sleep(500 * time.Millisecond)
	d.stop(t)
	time.Sleep(200 * time.Millisecond)
	c := compareBooks(t, w)
	logCounts(t, w, c)
}

// skipShort skips a kill loop in -short mode: it runs the daemon dozens
// of times and takes minutes. -crash.kills=N (or TRADEBOT_CRASH_KILLS=N)
// runs a shorter or longer loop by hand.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("kills and restarts the daemon for minutes; skipped in -short mode")
	}
}

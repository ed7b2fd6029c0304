package crash

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/internal/testenv"
)

// binary is the tradebot program, built once for all tests.
var binary string

// kills is how many times the main crash test kills the daemon. CI runs
// the default; set -crash.kills=N (or TRADEBOT_CRASH_KILLS=N) for a longer
// run by hand.
var kills = flag.Int("crash.kills", 0, "SIGKILLs in TestKilledDaemon (default 50, or $TRADEBOT_CRASH_KILLS)")

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tradebot-e2e-crash-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/crash:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Built without the race detector: the test restarts the daemon
	// dozens of times and a race-instrumented binary starts several times
	// slower; the daemon's packages run their own tests with -race.
	if binary, err = testenv.BuildTradebot(dir, false); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/crash:", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e/crash: goroutines leaked:", err)
			return 1
		}
	}
	return code
}

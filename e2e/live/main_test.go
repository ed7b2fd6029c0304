package live

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/internal/testenv"
)

// binary is the tradebot program built once for every test, with the
// race detector, as users run it (but checked for races).
var binary string

// TestMain builds the daemon once and checks that no emulator goroutine
// outlives the tests.
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tradebot-e2e-live-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/live:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if binary, err = testenv.BuildTradebot(dir, true); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/live:", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e/live: goroutines leaked:", err)
			return 1
		}
	}
	return code
}

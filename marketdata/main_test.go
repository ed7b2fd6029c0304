package marketdata

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// The replayer starts timers and tests start goroutines; none may
// outlive its test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

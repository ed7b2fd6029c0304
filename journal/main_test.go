package journal

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/exchange"
)

func TestMain(m *testing.M) {
	// The crash test re-executes this binary as the child that writes
	// until it is killed; that child must not run the tests.
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	goleak.VerifyTestMain(m)
}

// openTemp opens a new journal in a temporary directory and closes it when
// the test ends.
func openTemp(t testing.TB) *Journal {
	t.Helper()
	j, err := Open(filepath.Join(t.TempDir(), "state", "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := j.Close(); err != nil {
			t.Error(err)
		}
	})
	return j
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// limitBuy is a realistic BTC-USD entry with an attached bracket.
func limitBuy(id string) exchange.OrderRequest {
	return exchange.OrderRequest{
		ClientOrderID: id,
		ProductID:     "BTC-USD",
		Side:          exchange.Buy,
		Type:          exchange.Limit,
		TimeInForce:   exchange.GoodTilCancelled,
		BaseSize:      d("0.00123456"),
		LimitPrice:    d("64250.01"),
		PostOnly:      true,
		Attached:      &exchange.AttachedBracket{LimitPrice: d("66000.00"), StopTriggerPrice: d("63000.00")},
	}
}

func intent(instance, id string) OrderRecord {
	return OrderRecord{
		Instance: instance,
		Strategy: "sma_cross",
		Purpose:  exchange.Entry,
		Order:    exchange.Order{OrderRequest: limitBuy(id)},
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func timeStep(i int) time.Duration { return time.Duration(i) * time.Minute }

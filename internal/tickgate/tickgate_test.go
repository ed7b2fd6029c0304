package tickgate

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/exchange"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// endless is a tick source that never runs out.
type endless struct{}

func (endless) Next() (exchange.Tick, error) { return exchange.Tick{ProductID: "BTC-USD"}, nil }

// A closed gate holds Next until it opens; an open one lets it through.
func TestAClosedGateHoldsTicksUntilItOpens(t *testing.T) {
	var g Gate
	src := g.Source(endless{})
	if _, err := src.Next(); err != nil {
		t.Fatal(err)
	}
	g.Close()
	got := make(chan struct{})
	go func() {
		_, _ = src.Next()
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a tick passed the closed gate")
	case <-time.After(100 * time.Millisecond):
	}
	g.Open()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no tick within 5s of the gate opening")
	}
}

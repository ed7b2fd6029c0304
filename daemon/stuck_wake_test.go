package daemon_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/strategy"
)

// wake is what the strategy type wake_test shares with its test: the
// gate its loop blocks on once it holds a position, and what its Close
// returned when the gate let it go.
var wake struct {
	mu     sync.Mutex
	gate   *stallGate
	closed chan error
}

type wakeParams struct{}

func (*wakeParams) Validate() []error                 { return nil }
func (*wakeParams) Build() (strategy.Strategy, error) { return &wakeStrategy{}, nil }

// wakeStrategy buys on its first trade; on a trade once it holds the
// position it blocks until the test releases it, then closes the
// position: a loop stuck in a call that answers after the daemon has
// stopped.
type wakeStrategy struct{ bought, woke bool }

func (s *wakeStrategy) OnTrade(ctx strategy.Context, _ *strategy.Tick) {
	switch {
	case !s.bought:
		if _, err := ctx.Buy(strategy.Order{Reason: "wake test"}); err == nil {
			s.bought = true
		}
	case !s.woke && ctx.Position().Size.IsPositive():
		s.woke = true
		wake.mu.Lock()
		g, closed := wake.gate, wake.closed
		wake.mu.Unlock()
		g.wait()
		closed <- ctx.Close("woke after the stop")
	}
}

func init() {
	strategy.Register(strategy.Type{Name: "wake_test", Summary: "buys, blocks until the test releases it, then closes the position",
		NewParams: func() strategy.Params { return &wakeParams{} }})
}

// A loop stuck when the daemon stops outlives Run (waitForLoops gives up
// on it). Should it wake, it sends nothing: its exit is refused with
// engine.ErrClosed, so no order reaches the venue with no feed or user
// channel left to see it, and nothing goes out unjournaled. The journal
// stays open under it until it ends, then is closed (its lock released),
// so that what it writes is neither lost nor written to a closed journal.
func TestAStuckLoopThatWakesAfterRunReturnedSendsNothing(t *testing.T) {
	dir := t.TempDir()
	g := &stallGate{entered: make(chan struct{}), released: make(chan struct{})}
	wake.mu.Lock()
	wake.gate, wake.closed = g, make(chan error, 1)
	closed := wake.closed
	wake.mu.Unlock()
	defer g.release()
	sd := startStalling(t, `  - name: waker
    type: wake_test
    product: BTC-USDT
    size: {quote: 100}
    exits: {placement: bot, stop_loss: {percent: 1}}
state_dir: `+dir+`
shutdown_timeout: 1s
`)
	sd.gate.release() // the stall_test strategy turns freely here
	select {
	case <-g.entered:
	case <-time.After(30 * time.Second):
		sd.stop()
		t.Fatalf("the waking strategy never held a position:\n%s", sd.log.String())
	}
	sd.cancel()
	select {
	case err := <-sd.done:
		if err == nil || !strings.Contains(err.Error(), "the loop of strategy waker did not end") {
			t.Fatalf("Run after a stop with a stuck loop: %v, want an error naming it", err)
		}
	case <-time.After(30 * time.Second):
		g.release()
		<-sd.done
		t.Fatal("Run did not return within 30 s of a stop with a stuck loop")
	}
	path := filepath.Join(dir, "journal.db")
	if j, err := journal.Open(path); !errors.Is(err, journal.ErrInUse) {
		if err == nil {
			j.Close()
		}
		t.Errorf("opening the journal while the stuck loop lives: %v, want it still held (%v)", err, journal.ErrInUse)
	}

	g.release()
	select {
	case err := <-closed:
		if !errors.Is(err, engine.ErrClosed) {
			t.Errorf("the woken strategy's Close returned %v, want engine.ErrClosed (nothing sent after the stop)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the released strategy did not return from Close within 10 s")
	}
	var j *journal.Journal
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		if j, err = journal.Open(path); err == nil {
			break
		}
		if !errors.Is(err, journal.ErrInUse) || time.Now().After(deadline) {
			t.Fatalf("the journal after the stuck loop ended: %v, want it closed and free", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer j.Close()
	orders, err := j.Orders(journal.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		if o.Instance == "waker" && o.Order.Side == "SELL" && o.Order.Type == "MARKET" {
			t.Errorf("the journal holds a market sale of the woken loop: %+v", o)
		}
	}
	if log := sd.log.String(); strings.Contains(log, "without its journal intent") || strings.Contains(log, errJournalClosedText) {
		t.Errorf("the woken loop wrote to a closed journal or sent an exit unjournaled:\n%s", log)
	}
}

// errJournalClosedText is what a write to the paper journal's closed
// writer fails with.
const errJournalClosedText = "journal writer closed"

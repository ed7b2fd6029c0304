package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// waitFor polls cond every 10 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An instance's loop stamps its heartbeat as it starts and each time it
// takes its idle timer, however busy its mailbox keeps it; a loop held
// inside a tick stamps nothing while the others go on; it stamps again
// once released; and the stamp is gone once Run has ended.
func TestLoopHeartbeatAdvancesWhileItTurnsAndStopsWhileItIsStuck(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unblock := sync.OnceFunc(func() { close(release) })
	blocker := &scripted{decide: func(tk *exchange.Tick, _ strategy.PositionView) strategy.Decision {
		if tk.Price.Equal(d("13")) {
			once.Do(func() { close(entered) })
			<-release
		}
		return strategy.Decision{}
	}}
	r := newRig(t, risk.DefaultConfig(),
		InstanceSpec{Name: "calm", ProductID: "BTC-USD", Strategy: &scripted{}, QuoteSize: d("10"), Exits: stopLoss("5")},
		InstanceSpec{Name: "stuck", ProductID: "BTC-USD", Strategy: blocker, QuoteSize: d("10"), Exits: stopLoss("5")},
	)
	calm, stuck := r.eng.instances[0], r.eng.instances[1]
	if !calm.LastTurn().IsZero() {
		t.Fatalf("a loop not yet started has last turned at %s", calm.LastTurn())
	}
	stop := r.running()
	defer func() {
		unblock()
		stop()
		if !calm.LastTurn().IsZero() || !stuck.LastTurn().IsZero() {
			t.Errorf("loops that ended still show a last turn: %s, %s", calm.LastTurn(), stuck.LastTurn())
		}
	}()
	waitFor(t, "both loops to start", func() bool { return !calm.LastTurn().IsZero() && !stuck.LastTurn().IsZero() })

	// Busy: ticks without a pause for 2.5 s; the timer still gets its turn.
	started := calm.LastTurn()
	tick := func(price decimal.Decimal) {
		r.eng.OnTick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: r.t0, Received: r.t0, Price: price, Size: d("0.1")})
	}
	for busyUntil := time.Now().Add(2500 * time.Millisecond); time.Now().Before(busyUntil); {
		tick(d("60000"))
	}
	if got := calm.LastTurn().Sub(started); got < time.Second {
		t.Errorf("a busy loop's heartbeat moved %s in 2.5 s, want at least a second", got)
	}

	tick(d("13"))
	<-entered
	stuckAt := stuck.LastTurn()
	// The other loop's heartbeat a whole IdleInterval past the stuck
	// one's last stamp: the stuck loop's idle timer has fired since, and
	// a loop that turned would have stamped it.
	waitFor(t, "the other loop's heartbeat to move a second while one is stuck", func() bool {
		return calm.LastTurn().Sub(stuckAt) >= IdleInterval
	})
	if got := stuck.LastTurn(); !got.Equal(stuckAt) {
		t.Errorf("a loop held inside a tick stamped %s after %s", got, stuckAt)
	}
	unblock()
	waitFor(t, "the released loop to turn", func() bool { return stuck.LastTurn().After(stuckAt) })
}

package live

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// botInstance watches its stop in the bot (placement: bot): nothing rests
// on the exchange while the daemon runs, so a stop that does not park
// the stop there leaves the position naked.
const botInstance = `  - name: bot
    type: breakout
    product: BTC-USDT
    size: {base: 0.005}
    params: {entry_bars: 2, exit_bars: 2, interval: 1s}
    exits:
      placement: bot
      stop_loss: {percent: 0.1}
      take_profit:
        - {percent: 0.15, close: 1}
      stop_limit_offset_percent: 0.5
`

// TestAHangupParksTheBotsStopOnTheExchange sends SIGHUP, what a terminal
// sends when it closes (an ssh session dropped under `tradebot run`), to
// a daemon holding a position whose stop the bot watches. The daemon must
// stop as SIGTERM stops it: exit 0, with the stop parked on the exchange
// to cover the position. SIGHUP's default action ended the process on
// the spot, leaving the position naked.
func TestAHangupParksTheBotsStopOnTheExchange(t *testing.T) {
	assertSignalsParkTheStop(t, 0, syscall.SIGHUP)
}

// TestRepeatedStopSignalsDoNotCutThePark sends SIGTERM, then SIGINT and
// SIGTERM again once the stop has begun and while it parks (each REST
// request waits 1 s), as an impatient operator or a supervisor that
// repeats itself does: the later signals must not end the stop before it
// has parked the bot's stop on the exchange (a second signal taken for
// "exit now" would leave the position naked), and the exit is still 0.
func TestRepeatedStopSignalsDoNotCutThePark(t *testing.T) {
	assertSignalsParkTheStop(t, time.Second, syscall.SIGTERM, stopBegun, syscall.SIGINT, syscall.SIGTERM)
}

// stopBegun, among the signals of assertSignalsParkTheStop, waits until
// the daemon logs that its stop has begun before the next is sent.
const stopBegun = syscall.Signal(0)

// assertSignalsParkTheStop runs the bot-watched instance until it holds a
// position, makes every REST request wait slow, sends sigs in a row, and
// checks that the daemon exits 0 with a stop resting on the exchange
// covering the position.
func assertSignalsParkTheStop(t *testing.T, slow time.Duration, sigs ...syscall.Signal) {
	t.Helper()
	e := startEmulator(t, emuOptions{})
	d := startDaemon(t, liveConfig(t, e, "", botInstance))
	ctx := context.Background()
	held := holdAPosition(t, e, d)
	if st := restingStop(t, e, ctx); st != nil {
		t.Fatalf("a stop rests on the exchange before the signal (%s); with placement bot the test proves nothing", st.ClientOrderID)
	}
	e.Delay(slow)
	for _, sig := range sigs {
		if sig == stopBegun {
			waitFor(t, 10*time.Second, "the stop to begin", func() bool {
				return strings.Contains(d.output(), `"msg":"stopping`)
			})
			continue
		}
		if err := d.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("tradebot did not stop within 30s of %v\n%s", sigs, tail(d.output()))
	}
	e.Delay(0)
	if d.err != nil {
		t.Errorf("tradebot exited with %v after %v; want a clean stop (exit 0)\n%s", d.err, sigs, tail(d.output()))
	}
	if got := baseBalance(t, e); !got.Equal(held) {
		t.Fatalf("the exchange holds %s BTC after the stop, %s before: something traded with the market held", got, held)
	}
	st := restingStop(t, e, ctx)
	switch {
	case st == nil:
		t.Errorf("the position of %s BTC has no stop resting on the exchange after %v: naked\n%s", held, sigs, tail(d.output()))
	case st.BaseSize.Sub(st.FilledSize).LessThan(held):
		t.Errorf("the parked stop covers %s of %s BTC", st.BaseSize.Sub(st.FilledSize), held)
	}
}

// holdAPosition waits until an entry of the daemon's is done (no buy
// open on the exchange) and left a position the exchange can take a stop
// for, then holds the market, so that no order triggers or fills from
// now on, and waits until the daemon's position is the exchange's. It
// returns the BTC held.
func holdAPosition(t *testing.T, e *emu, d *daemon) decimal.Decimal {
	t.Helper()
	ctx := context.Background()
	waitFor(t, 60*time.Second, "an open position", func() bool {
		for _, o := range openOrders(t, e, ctx) {
			if o.Side == exchange.Buy {
				return false
			}
		}
		return positionOf(d.scrape()) >= 0.001
	})
	e.market.Close()
	waitFor(t, 10*time.Second, "the daemon's position to match the exchange's", func() bool {
		return closeTo(positionOf(d.scrape()), baseBalance(t, e), 1e-9)
	})
	return baseBalance(t, e)
}

// TestAHangupIgnoredAtStartStaysIgnored starts the daemon with SIGHUP
// ignored, as nohup does for a user who wants it to outlive the
// terminal: the daemon must keep running through a SIGHUP, not take the
// hangup as a stop (asking the runtime for SIGHUP would undo the ignore).
func TestAHangupIgnoredAtStartStaysIgnored(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	// The shell ignores SIGHUP and execs tradebot, which inherits it.
	d := startDaemonVia(t, liveConfig(t, e, "", botInstance), "sh", "-c", `trap "" HUP; exec "$0" "$@"`)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The daemon logs its stop: wait for either that or a run of
	// scrapes that shows it still serving after the signal was taken.
	before := len(d.logLines("reconciling orders with Coinbase"))
	e.DropSockets()
	waitFor(t, 20*time.Second, "a reconciliation after the hangup, or the daemon's end", func() bool {
		select {
		case <-d.exited:
			t.Fatalf("tradebot stopped on a SIGHUP it was started ignoring: %v\n%s", d.err, tail(d.output()))
		default:
		}
		return len(d.logLines("reconciling orders with Coinbase")) > before
	})
	if strings.Contains(d.output(), `"msg":"stopping`) {
		t.Errorf("tradebot began to stop on a SIGHUP it was started ignoring\n%s", tail(d.output()))
	}
}

package live

import (
	"context"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// gridInstance ladders the recording's range (61,556 to 61,861): five
// levels 50 apart, 200 USDT a level, its stop under the recording's low.
// Exchange placement: the resting stop must give up the base each grid
// sell holds, and the bot watches the stop meanwhile.
const gridInstance = `  - name: grid
    type: grid
    product: BTC-USDT
    size: {quote: 200}
    params: {lower: 61600, upper: 61800, levels: 5, stop_price: 61300}
    exits:
      placement: exchange
`

// TestAGridTradesLiveAgainstTheEmulator runs `tradebot run` in live mode
// with a grid against the emulator replaying the bundled recording: the
// ladder's buys fill, the grid's own limit sells sell the lots on the
// exchange, no position is ever unprotected, no order is placed twice;
// after SIGTERM no grid sell is left resting and one stop rests for the
// whole base held.
func TestAGridTradesLiveAgainstTheEmulator(t *testing.T) {
	e := startEmulator(t, emuOptions{})
	d := startDaemon(t, liveConfig(t, e, "", gridInstance))
	ctx := context.Background()
	gridSells := func() int {
		n := 0
		for _, f := range e.Sim().Fills() {
			if f.Side == exchange.Sell {
				if o, err := e.Sim().OrderByClientID(ctx, f.ClientOrderID); err == nil && o.Type == exchange.Limit {
					n++
				}
			}
		}
		return n
	}
	// Buys sent before the user channel is up are refused (entries wait
	// until fills can be seen) and the grid asks again a minute later
	// (gridRetryDelay): the wait covers one such retry and the fills.
	const wait = 150 * time.Second
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) && gridSells() < 2 {
		assertProtected(t, d.scrape())
		time.Sleep(200 * time.Millisecond)
	}
	if n := gridSells(); n < 2 {
		t.Fatalf("%d grid sells filled on the exchange in %s; want 2 or more\n%s", n, wait, tail(d.output()))
	}
	assertOnePerClientID(t, e)
	d.stop()
	var stops, limits int
	var stopSize string
	for _, o := range openOrders(t, e, ctx) {
		switch {
		case o.Side == exchange.Sell && o.Type == exchange.Limit:
			limits++
		case o.Side == exchange.Sell:
			stops++
			stopSize = o.BaseSize.Sub(o.FilledSize).String()
		}
	}
	base := baseBalance(t, e)
	if base.IsPositive() && (stops != 1 || limits != 0 || stopSize != base.String()) {
		t.Fatalf("after SIGTERM with %s BTC held: %d stops (size %s) and %d grid sells resting; want one stop for all and no sell\n%s",
			base, stops, stopSize, limits, tail(d.output()))
	}
	t.Logf("%d grid sells filled; %s BTC held at SIGTERM under %d stop", gridSells(), base, stops)
}

package daemon

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
)

// gridPaper is a paper config that replays the bundled recording (11
// minutes of Binance BTCUSDT, 61,556 to 61,861) through a grid of seven
// levels 50 apart, as a user would write it.
const gridPaper = `mode: paper
web: {listen_address: "127.0.0.1:0"}
paper:
  feed: replay
  recording: bundled
  speed: 0
  lockstep: true
  exit_at_end: true
  balances: {USDT: 10000}
risk:
  limits: {max_order_notional: 2000, min_order_notional: 1, price_collar_pct: 5}
  per_strategy: {max_exposure: 5000, max_position_notional: 5000, max_open_orders: 20, max_entries_per_day: 500, orders_per_second: 10, orders_per_minute: 120}
strategies:
  - name: grid
    type: grid
    product: BTC-USDT
    size: {quote: 200}
    params: {lower: 61550, upper: 61850, levels: 7, stop_price: 61300}
    exits:
      placement: bot
`

// TestAGridTradesInPaperMode runs the daemon in paper mode on the bundled
// recording with the grid: its ladder rests, buys fill, their lots are
// sold one level up by its own limit sells, and the daemon ends cleanly
// at the end of the recording.
func TestAGridTradesInPaperMode(t *testing.T) {
	cfg, err := config.Load("grid.yaml", []byte(gridPaper), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, Options{Config: cfg, Log: NewLogger(log, "json", "info"), Version: "test", Ready: func(net.Addr) {}}); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	var buys, sells int
	for _, rec := range records(t, log.String()) {
		switch rec["msg"] {
		case "fill":
			if rec["side"] == "BUY" {
				buys++
			} else if rec["purpose"] == "exit" {
				sells++
			}
		}
	}
	if buys < 2 || sells < 2 {
		t.Fatalf("%d buy fills, %d sell fills; want the ladder trading both ways\n%s", buys, sells, log.String())
	}
	t.Logf("%d buy fills, %d sell fills", buys, sells)
}

package daemon

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/internal/emutest"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

// startMarketEmulator starts the Coinbase emulator on loopback, replaying
// the bundled BTC-USDT recording in a loop at speed times its pace on its
// public WebSocket, and stops it when the test ends.
func startMarketEmulator(t *testing.T, speed float64) *emulator.Emulator {
	t.Helper()
	e := emutest.Start(t, emulator.Options{
		Market: &emulator.Market{Speed: speed, Loop: true, Open: func() (marketdata.TickSource, error) {
			s, err := bundled.Open()
			if err != nil {
				return nil, err
			}
			return s.TickStream(), nil
		}},
	})
	return e
}

// paperCoinbaseConfig paper-trades on the emulator's public feed with an
// instance that buys at every one-second bar while flat and never sells
// by its own signal, so that every position ends by its stop or its
// target, which rest on the simulated exchange. (A breakout's signal
// exits used to win that race on a loaded machine for 90 s.)
func paperCoinbaseConfig(t *testing.T, marketURL string) *config.Config {
	t.Helper()
	doc := fmt.Sprintf(`mode: paper
web: {listen_address: "127.0.0.1:0"}
paper:
  feed: coinbase
coinbase:
  market_data_url: %s
kill_switch: {signal: none}
risk:
  limits: {max_order_notional: 2000, min_order_notional: 1, price_collar_pct: 5}
  loss:
    daily_loss: {limit: 1000, action: HALTED}
    max_drawdown: {limit: 2000, action: HALTED}
    max_consecutive_losses: {limit: 1000, action: REDUCING}
strategies:
  - name: every-bar
    type: rules
    product: BTC-USDT
    size: {base: 0.005}
    params: {interval: 1s, entry: "close > 0", exit: "false"}
    exits:
      placement: exchange
      stop_loss: {percent: 0.1}
      take_profit:
        - {percent: 0.15, close: 1}
      stop_limit_offset_percent: 0.5
`, marketURL)
	cfg, err := config.Load("paper-coinbase.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPaperOnTheCoinbaseFeedEntersAndExitsByStopOrTargetInTheSim(t *testing.T) {
	e := startMarketEmulator(t, 60)
	cfg := paperCoinbaseConfig(t, e.MarketDataURL())
	var logBuf syncBuffer
	ready := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Log: NewLogger(&logBuf, "json", "info"), Version: "test",
			Ready: func(a net.Addr) { ready <- a }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run ended before serving: %v\n%s", err, logBuf.String())
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not start")
	}

	// Wait for a position closed by its stop or its target: both rest on
	// the simulated exchange, so either fills there on the live ticks.
	deadline := time.Now().Add(90 * time.Second)
	var entries int
	reasons := map[string]int{}
	for time.Now().Before(deadline) && reasons["stop_loss"]+reasons["take_profit"] == 0 {
		time.Sleep(250 * time.Millisecond)
		entries = 0
		clear(reasons)
		for _, r := range records(t, logBuf.String()) {
			switch r["msg"] {
			case "entry":
				entries++
			case "position closed":
				reasons[r["exit_reason"].(string)]++
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v\n%s", err, logBuf.String())
	}
	log := logBuf.String()
	if entries == 0 || reasons["stop_loss"]+reasons["take_profit"] == 0 {
		t.Fatalf("%d entries, exits by reason %v; log:\n%s", entries, reasons, log)
	}
	if strings.Contains(log, "not available") {
		t.Errorf("the log refuses the feed:\n%s", log)
	}
	if !strings.Contains(log, "paper trading on Coinbase's public feed") {
		t.Errorf("the log does not say which feed runs:\n%s", log)
	}
	t.Logf("%d entries, exits by reason %v", entries, reasons)
}

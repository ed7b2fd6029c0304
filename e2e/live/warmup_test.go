package live

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// TestAnInstanceOnMinuteBarsIsWarmWithinSecondsOfStart runs the daemon in
// live mode against the emulator, whose candles endpoint holds the last
// two hours of one-minute candles, with a strategy on one-minute bars
// that needs 50 of them. The history is fetched at start and the
// instance is warm within seconds, not 50 minutes.
func TestAnInstanceOnMinuteBarsIsWarmWithinSecondsOfStart(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Minute)
	var candles []exchange.Candle
	for i := 120; i >= 1; i-- {
		p := decimal.NewFromInt(60000 + int64(i%7))
		candles = append(candles, exchange.Candle{ProductID: "BTC-USDT", Start: now.Add(-time.Duration(i) * time.Minute),
			Interval: time.Minute, Open: p, High: p.Add(decimal.NewFromInt(5)), Low: p.Sub(decimal.NewFromInt(5)), Close: p,
			Volume: decimal.NewFromInt(3)})
	}
	e := startEmulator(t, emuOptions{candles: candles})
	cfg := liveConfig(t, e, "", warmInstance)
	start := time.Now()
	d := startDaemon(t, cfg)
	var fetched int
	for time.Since(start) < 20*time.Second {
		for _, line := range strings.Split(d.output(), "\n") {
			var rec struct {
				Msg      string `json:"msg"`
				Strategy string `json:"strategy"`
				Candles  int    `json:"candles"`
			}
			if json.Unmarshal([]byte(line), &rec) != nil || rec.Strategy != "warm" {
				continue
			}
			switch rec.Msg {
			case "history fetched":
				fetched = rec.Candles
			case "strategy warm":
				if fetched < 50 {
					t.Fatalf("warm after %d candles of history, want 50\n%s", fetched, d.output())
				}
				t.Logf("warm %s after start, on %d candles of history", time.Since(start).Round(time.Millisecond), fetched)
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the instance was not warm within 20 s of start\n%s", d.output())
}

// warmInstance is a rule strategy on one-minute bars whose SMA(49) and
// one more bar need 50 of them; it is warm only once it has seen them.
const warmInstance = `  - name: warm
    type: rules
    product: BTC-USDT
    size: {quote: 100}
    params:
      interval: 1m
      indicators: {avg: sma(49)}
      entry: close > avg * 2
    exits:
      placement: bot
      stop_loss: {percent: 1}
`

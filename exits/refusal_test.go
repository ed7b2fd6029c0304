package exits

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// A refused exit must not be sent again on every tick: the crash test
// saw a take-profit refused every 40 ms (every tick of the replay), each
// time under a new client order id, each a journal intent and a log line,
// and a resting stop refused as passed on every tick while its market
// fallback was refused too. Whatever the cause, a refused exit is tried
// again at most once per update.min_interval, and the refusal is logged
// once per cause, not once per attempt.
func TestARefusedExitIsNotRetriedOnEveryTick(t *testing.T) {
	refuseMarket := func(err error) func(req exchange.OrderRequest) error {
		return func(req exchange.OrderRequest) error {
			if req.Type == exchange.Market {
				return err
			}
			return nil
		}
	}
	notSent := fmt.Errorf("reduce_only: %w", ErrNotSent)
	noFunds := &exchange.RejectError{Reason: exchange.ReasonInsufficientFund, Message: "needs more BTC"}
	cases := []struct {
		name   string
		cfg    Config
		refuse func(req exchange.OrderRequest) error
		// price: the entry is at 100, the ticks that follow at price.
		price string
	}{
		{"a partial take-profit refused by the guard", Config{Placement: InBot, StopLoss: pctStop("2"),
			TakeProfit: []TakeProfit{{Percent: d("1"), Close: d("0.5")}, {Percent: d("3"), Close: d("1")}}},
			refuseMarket(notSent), "101.5"},
		{"a partial take-profit refused by the venue", Config{Placement: InBot, StopLoss: pctStop("2"),
			TakeProfit: []TakeProfit{{Percent: d("1"), Close: d("0.5")}, {Percent: d("3"), Close: d("1")}}},
			refuseMarket(noFunds), "101.5"},
		{"a stop the venue finds passed, and its market sale refused", Config{Placement: OnExchange, StopLoss: pctStop("2")},
			func(req exchange.OrderRequest) error {
				if req.Type == exchange.Market {
					return noFunds
				}
				return &exchange.RejectError{Reason: exchange.ReasonStopAboveLastTrade, Message: "stop at or above the last trade"}
			}, "99.5"},
		{"a resting stop refused by the guard", Config{Placement: OnExchange, StopLoss: pctStop("2")},
			func(exchange.OrderRequest) error { return notSent }, "99.5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Update = Update{MinInterval: time.Second}
			h := newHarness(t, tc.cfg)
			var logs bytes.Buffer
			h.m.d.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
			h.tick("100")
			h.orders.refuseIf = tc.refuse
			before := len(h.orders.sent)
			h.enter("1")
			// 200 ticks over two seconds.
			start := h.clk.Now()
			for i := 1; i <= 200; i++ {
				h.tickAt(start.Add(time.Duration(i)*10*time.Millisecond), tc.price)
			}
			sent := len(h.orders.sent) - before
			// At most one attempt per order kind per second, plus the first.
			if sent > 6 {
				t.Fatalf("%d requests in 2 s of ticks every 10 ms with update.min_interval 1s: %v", sent, h.orders.sent[before:])
			}
			if sent < 2 {
				t.Fatalf("%d requests in 2 s: the refused exit must be tried again after update.min_interval", sent)
			}
			refusals := 0
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "refused") {
					refusals++
				}
			}
			if refusals > 3 {
				t.Fatalf("%d log lines about refusals for %d attempts, want each cause once:\n%s", refusals, sent, logs.String())
			}
		})
	}
}

// A Close that reaches the resting stop just after it filled on the venue,
// its events not yet handled, is a race rather than a failure: Close says
// ErrExitOver, sells nothing more, and the events then leave the
// position flat.
func TestCloseRacingAFilledStopWaitsForItsEvents(t *testing.T) {
	h := newHarness(t, Config{Placement: OnExchange, StopLoss: pctStop("5")})
	h.tick("100")
	h.enter("1")
	h.resting()
	at := h.clk.Now().Add(time.Second)
	h.clk.Set(at)
	h.x.OnTick(&exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: at, Received: at, Price: d("94.9"), Size: d("5")})
	if len(h.openSells()) != 0 || len(h.queue) == 0 {
		t.Fatal("the stop did not fill on the venue")
	}
	sent := len(h.orders.sent)
	err := h.m.Close(h.ctx, ReasonSignal) // its fill still queued
	if !errors.Is(err, ErrExitOver) {
		t.Fatalf("Close = %v, want ErrExitOver", err)
	}
	h.drain()
	if size := h.m.Position().Size; size.IsPositive() || len(h.orders.sent) != sent {
		t.Fatalf("position %s, %d sells sent after the race; want flat and none", size, len(h.orders.sent)-sent)
	}
	h.tick("94")
	if len(h.orders.sent) != sent || len(h.openSells()) != 0 {
		t.Fatalf("a sell followed the filled stop: sent %v", h.orders.sent[sent:])
	}
}

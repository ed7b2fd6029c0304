package backtest

import (
	"context"
	"sync"
	"testing"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
	"github.com/tradebot/tradebot/position"
)

// paperTrades runs cfg the way paper mode does: the engine's goroutines
// (Run), fed by a marketdata.Replayer at speed 0 over the bundled
// recording, in lockstep: each tick is delivered only once the previous
// one is fully handled, so no tick is conflated and no order races the
// next tick into the simulated exchange.
func paperTrades(t *testing.T) []position.RoundTrip {
	cfg := exampleConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &clock.Sim{}
	x, eng, _, err := assemble(ctx, cfg, clk, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	x.SetHandler(eng.HandleEvent)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = eng.Run(ctx)
	}()
	defer wg.Wait()
	defer cancel()
	src, err := bundled.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := &marketdata.Replayer{Speed: 0}
	err = r.Run(ctx, src.TickStream(), func(tk exchange.Tick) {
		if err := eng.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Set(tk.Time)
		x.OnTick(&tk)
		eng.OnTick(tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	return eng.RoundTrips()
}

func TestPaperReplayAndBacktestMakeTheSameTrades(t *testing.T) {
	d, err := Load([]string{Bundled}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), exampleConfig(t), d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	paper := paperTrades(t)
	if len(res.RoundTrips) == 0 {
		t.Fatal("no trades to compare")
	}
	if len(paper) != len(res.RoundTrips) {
		t.Fatalf("paper made %d round trips, backtest %d", len(paper), len(res.RoundTrips))
	}
	for i, b := range res.RoundTrips {
		p := paper[i]
		if p.Strategy != b.Strategy || !p.EntryTime.Equal(b.EntryTime) || !p.ExitTime.Equal(b.ExitTime) ||
			!p.EntryPrice.Equal(b.EntryPrice) || !p.ExitPrice.Equal(b.ExitPrice) || !p.Size.Equal(b.Size) ||
			!p.PnL.Equal(b.PnL) || p.ExitReason != b.ExitReason {
			t.Errorf("trade %d differs:\npaper    %+v\nbacktest %+v", i+1, p, b)
		}
	}
}

package backtest

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
	"github.com/tradebot/tradebot/position"
)

// quiescent reports whether every instance goroutine of eng is parked in
// its select with nothing in its mailbox: then nothing more happens until
// the feed delivers. The engine has no hook for this yet (see
// docs/BACKTEST.md, "Paper and backtest agree"), so the test reads the
// goroutines' states from the runtime.
func quiescent(eng *engine.Engine, buf []byte) bool {
	for _, in := range eng.Instances() {
		if len(in.Mailbox().Wake()) > 0 {
			return false
		}
	}
	n := runtime.Stack(buf, true)
	parked := 0
	for _, g := range bytes.Split(buf[:n], []byte("\n\ngoroutine ")) {
		if bytes.Contains(g, []byte("engine.(*Instance).run(")) {
			if !bytes.Contains(g[:bytes.IndexByte(g, '\n')+1], []byte("[select")) {
				return false
			}
			parked++
		}
	}
	return parked == len(eng.Instances())
}

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
	x, eng, _, err := assemble(ctx, cfg, clk)
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
	buf := make([]byte, 1<<20)
	r := &marketdata.Replayer{Speed: 0}
	err = r.Run(ctx, src.TickStream(), func(tk exchange.Tick) {
		for !quiescent(eng, buf) {
			runtime.Gosched()
		}
		clk.Set(tk.Time)
		x.OnTick(tk)
		eng.OnTick(tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	for !quiescent(eng, buf) {
		runtime.Gosched()
	}
	return eng.RoundTrips()
}

func TestPaperReplayAndBacktestMakeTheSameTrades(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every goroutine's stack once per tick")
	}
	d, err := Load([]string{Bundled}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), exampleConfig(t), d, nil)
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

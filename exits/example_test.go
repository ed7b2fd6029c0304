package exits

import (
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestWorkedExampleFromDocs replays the worked example of docs/EXITS.md
// on the simulated exchange with Coinbase's entry fees (maker 0.4 %,
// taker 0.6 %); every number asserted here is printed in the docs.
func TestWorkedExampleFromDocs(t *testing.T) {
	var cfg Config
	const block = `
stop_loss: {percent: 1.5}
take_profit:
  - {percent: 1.0, close: 0.5}
  - {percent: 2.0, close: 1.0}
trailing_stop: {callback_percent: 0.8, activation_percent: 0.5}
break_even: {after_take_profit: true}
time_stop: {max_holding: 4h}
`
	if err := yaml.Unmarshal([]byte(block), &cfg); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, cfg, withFees("0.004", "0.006"))
	at := func(s int, price string) { h.tickAt(t0.Add(time.Duration(s)*time.Second), price) }
	venue := func(step, typ, size, tp, stop string) {
		t.Helper()
		o := h.resting()
		if string(o.Type) != typ || !o.BaseSize.Equal(d(size)) || !o.LimitPrice.Equal(d(tp)) || !o.StopPrice.Equal(d(stop)) {
			t.Fatalf("%s: venue holds %s %s tp %s stop %s, want %s %s tp %s stop %s", step,
				o.Type, o.BaseSize, o.LimitPrice, o.StopPrice, typ, size, tp, stop)
		}
	}
	at(0, "60000")
	h.enter("0.02")
	venue("entry", "BRACKET", "0.02", "61200", "59100")
	at(10, "60300")
	venue("activation", "BRACKET", "0.02", "61200", "59817.6")
	at(20, "60600")
	if got := h.m.Position().Size; !got.Equal(d("0.01")) {
		t.Fatalf("after the first target: %s held, want 0.01", got)
	}
	venue("first target", "BRACKET", "0.01", "61200", "59817.6")
	at(30, "60800")
	venue("above break-even", "BRACKET", "0.01", "61200", "60724.35")
	at(40, "61000")
	venue("trailing below break-even", "BRACKET", "0.01", "61200", "60724.35")
	at(50, "60724.35")
	trips := h.m.TakeRoundTrips()
	if len(trips) != 1 {
		t.Fatalf("%d round trips, want 1", len(trips))
	}
	rt := trips[0]
	if rt.ExitReason != ReasonBreakEven || !rt.ExitPrice.Equal(d("60662.175")) || !rt.Fees.Equal(d("14.479461")) || !rt.PnL.Equal(d("-1.235961")) {
		t.Errorf("exit %s vwap %s fees %s pnl %s, want break_even 60662.175 14.479461 -1.235961", rt.ExitReason, rt.ExitPrice, rt.Fees, rt.PnL)
	}
	if n := len(h.openSells()); n != 0 {
		t.Errorf("%d open sells after the exit", n)
	}
}

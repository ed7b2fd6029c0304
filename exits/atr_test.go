package exits

import (
	"testing"
	"time"
)

// ATR over 1-minute bars, period 2, stop 2 ATR below the entry.
//
//	bar 0 (0s-60s):    100, 102, 99       H 102 L 99 C 99  TR 3 (no previous close)  ATR 3
//	bar 1 (60s-120s):  101, 103, 100      H 103 L 100 C 100 TR max(3, |103-99|, |100-99|) = 4  ATR (3+4)/2 = 3.5
//	entry at 101.5 (120s): stop 101.5 - 2*3.5 = 94.5
//	bar 2 (120s-180s): 101.5, 101.6, 101.4 H 101.6 L 101.4 C 101.4 TR max(0.2, 1.6, 1.4) = 1.6  ATR (3.5+1.6)/2 = 2.55
//	at 180s the bar closes: stop 101.5 - 2*2.55 = 96.4
func TestATRStopFollowsClosedBarsUpward(t *testing.T) {
	for _, placement := range []Placement{OnExchange, InBot} {
		t.Run(string(placement), func(t *testing.T) {
			h := newHarness(t, Config{Placement: placement, Update: Update{MinInterval: time.Second},
				StopLoss: &StopLoss{ATR: &ATRStop{Multiple: d("2"), Period: 2, Interval: time.Minute}}})
			at := func(s int, price string) { h.tickAt(t0.Add(time.Duration(s)*time.Second), price) }
			at(0, "100")
			at(20, "102")
			at(40, "99")
			at(60, "101")
			at(80, "103")
			at(100, "100")
			at(120, "101.5")
			h.enter("1")
			if p := h.m.Protection(); !p.Stop.Equal(d("94.5")) {
				t.Fatalf("stop at entry %s, want 94.5", p.Stop)
			}
			at(140, "101.6")
			at(160, "101.4")
			if p := h.m.Protection(); !p.Stop.Equal(d("94.5")) {
				t.Fatalf("stop inside bar 2 %s, want 94.5 until the bar closes", p.Stop)
			}
			at(180, "101.5")
			if p := h.m.Protection(); !p.Stop.Equal(d("96.4")) {
				t.Fatalf("stop after bar 2 %s, want 96.4", p.Stop)
			}
			if placement == OnExchange {
				if o := h.resting(); !o.StopPrice.Equal(d("96.4")) {
					t.Fatalf("venue stop %s, want 96.4", o.StopPrice)
				}
			}
			at(200, "96.3")
			if rt := h.trip(); rt.Reason != ReasonStopLoss || !rt.PnL.Equal(d("-5.2")) {
				t.Errorf("pnl %s reason %s, want -5.2 stop_loss", rt.PnL, rt.Reason)
			}
		})
	}
}

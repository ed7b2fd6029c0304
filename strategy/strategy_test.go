package strategy

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

var t0 = time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)

func tradeAt(sec int, price int64) exchange.Tick {
	at := t0.Add(time.Duration(sec) * time.Second)
	return exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: at, Received: at,
		Price: decimal.NewFromInt(price), Size: decimal.NewFromInt(1)}
}

// TestSMACrossEntersOnTheCrossUpAndLeavesOnTheCrossDown feeds one trade per
// one-second bar, so each bar closes at its trade's price and is seen when
// the next trade arrives. With fast 1 and slow 3: bars 9,9,9 fill the
// window (fast 9 = slow 9, not above); bar 8 is below (8 < 8.67); bar 11
// is above (11 > 9.33): a cross up, seen at the trade of 12. Bars 12 and
// 13 stay above; bar 12 is below its slow mean (12 < 12.33): a cross
// down, seen at the next trade, 9.
func TestSMACrossEntersOnTheCrossUpAndLeavesOnTheCrossDown(t *testing.T) {
	p := &SMACrossParams{Fast: 1, Slow: 3, Interval: time.Second, ExitOnCross: true}
	st, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*Signals).S
	closes := []int64{9, 9, 9, 8, 11, 12, 13, 12, 9, 7, 7}
	var pos PositionView
	var signals []string
	for i, c := range closes {
		tk := tradeAt(i, c)
		d := s.OnTick(&tk, pos)
		switch d.Signal {
		case Enter:
			signals = append(signals, "enter@"+decimal.NewFromInt(c).String())
			pos.Size = decimal.NewFromInt(1)
		case Exit:
			signals = append(signals, "exit@"+decimal.NewFromInt(c).String())
			pos.Size = decimal.Zero
		}
	}
	want := []string{"enter@12", "exit@9"}
	if len(signals) != len(want) || signals[0] != want[0] || signals[1] != want[1] {
		t.Errorf("signals = %v, want %v", signals, want)
	}
}

func TestParamsValidationNamesTheField(t *testing.T) {
	errs := (&SMACrossParams{Fast: 5, Slow: 5, Interval: time.Minute}).Validate()
	if len(errs) != 1 || errs[0].Error()[:5] != "slow:" {
		t.Errorf("errors = %v, want one about slow", errs)
	}
	errs = (&BreakoutParams{EntryBars: 0, ExitBars: -1, Interval: 0}).Validate()
	if len(errs) != 3 {
		t.Errorf("errors = %v, want three", errs)
	}
}

func TestStateSurvivesARestart(t *testing.T) {
	p := &SMACrossParams{Fast: 2, Slow: 3, Interval: time.Second, ExitOnCross: true}
	a, _ := p.Build()
	for i, c := range []int64{10, 11, 12, 13} {
		tk := tradeAt(i, c)
		a.(*Signals).S.OnTick(&tk, PositionView{})
	}
	st, err := a.(Stateful).MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Build()
	if err := b.(Stateful).UnmarshalState(st); err != nil {
		t.Fatal(err)
	}
	if got, want := b.(*Signals).S.(*SMACross).slow.values(), a.(*Signals).S.(*SMACross).slow.values(); len(got) != len(want) || got[len(got)-1] != want[len(want)-1] {
		t.Errorf("restored window %v, want %v", got, want)
	}
}

// TestSMACrossReasonReadsAsItsFormat: the reason a cross gives is the
// text of "sma%d %.2f crossed above sma%d %.2f" (and below), to the byte,
// for the values a float can take.
func TestSMACrossReasonReadsAsItsFormat(t *testing.T) {
	s := &SMACross{p: SMACrossParams{Fast: 5, Slow: 120}}
	for _, v := range []float64{0, math.Copysign(0, -1), 46427, 46417.845, 0.005, 0.015, -12.344999, 1e21, 123456789.125, math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64} {
		for _, verb := range []string{"above", "below"} {
			got := s.crossReason(v, " crossed "+verb+" sma", v/3)
			want := fmt.Sprintf("sma%d %.2f crossed "+verb+" sma%d %.2f", 5, v, 120, v/3)
			if got != want {
				t.Errorf("crossReason(%v) = %q, want %q", v, got, want)
			}
		}
	}
}

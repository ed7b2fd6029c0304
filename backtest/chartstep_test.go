package backtest

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

func TestFirstStepDividesEveryInterval(t *testing.T) {
	m, h := time.Minute, time.Hour
	for _, tc := range []struct {
		intervals []time.Duration
		want      time.Duration
	}{
		{[]time.Duration{m}, m},
		{[]time.Duration{h, m}, m},
		{[]time.Duration{24 * h}, 24 * h},
		{[]time.Duration{30 * m}, 15 * m},
		{[]time.Duration{2 * m}, m},
		{[]time.Duration{m, 0}, time.Second},
		{nil, time.Second},
	} {
		if got := barSteps[firstStep(tc.intervals)]; got != tc.want {
			t.Errorf("intervals %v: first step %s, want %s", tc.intervals, got, tc.want)
		}
	}
}

// The report's bars and indicator values of a month of one-minute candles
// streamed from the file are the same whether the recorder starts at
// one-minute bars (the interval known with the first batch) or at
// one-second bars merged at the end.
func TestBarsStartedAtTheIntervalAreThoseMergedFromSeconds(t *testing.T) {
	path := testenv.SharedFile(t, monthFile)
	src := strings.Replace(strings.Replace(rsiDip, "ENTRY", "rsi < 40 && close > trend", 1), "interval: 15m", "interval: 1m", 1)
	cfg, err := config.Load("rules.yaml", []byte(src), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	run := func(step func([]time.Duration) int) *Result {
		t.Helper()
		recorderStep = step
		defer func() { recorderStep = firstStep }()
		d, err := Stream([]string{path}, LoadOptions{Product: "BTC-USDT", Path: marketdata.PathLowFirst})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), cfg, d, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var started int
	a := run(func(iv []time.Duration) int { started = firstStep(iv); return started })
	if barSteps[started] != time.Minute {
		t.Fatalf("the streamed month's recorder started at %s bars, want 1m", barSteps[started])
	}
	b := run(func([]time.Duration) int { return 0 })
	if len(a.Bars) != 1 || len(b.Bars) != 1 {
		t.Fatalf("%d and %d products charted, want 1", len(a.Bars), len(b.Bars))
	}
	x, y := a.Bars[0], b.Bars[0]
	if x.Step != y.Step || !reflect.DeepEqual(x.Bars, y.Bars) || !reflect.DeepEqual(x.Detail, y.Detail) {
		t.Fatalf("bars differ: step %s/%s, %d/%d bars, %d/%d detail bars", x.Step, y.Step, len(x.Bars), len(y.Bars), len(x.Detail), len(y.Detail))
	}
	if len(x.Plots) == 0 || len(x.Plots) != len(y.Plots) {
		t.Fatalf("%d and %d plots", len(x.Plots), len(y.Plots))
	}
	for k := range x.Plots {
		p, q := x.Plots[k].Values, y.Plots[k].Values
		if len(p) != len(q) {
			t.Fatalf("plot %s: %d and %d values", x.Plots[k].Name, len(p), len(q))
		}
		for i := range p {
			if p[i] != q[i] && !(math.IsNaN(p[i]) && math.IsNaN(q[i])) {
				t.Fatalf("plot %s, bar %d: %v and %v", x.Plots[k].Name, i, p[i], q[i])
			}
		}
	}
	if len(a.RoundTrips) == 0 || !reflect.DeepEqual(a.RoundTrips, b.RoundTrips) {
		t.Errorf("round trips differ: %d and %d", len(a.RoundTrips), len(b.RoundTrips))
	}
}

// Fine bars are bounded at a quarter only when each candle makes one of
// them: 15m bars of 30m candles, or 1m bars of 1h candles, take the
// bounds of several bars a candle.
func TestFineBoundsAreAQuarterOnlyForOneBarPerCandle(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		step      time.Duration
		intervals []time.Duration
		quarter   bool
	}{
		{m, []time.Duration{m}, true},
		{24 * time.Hour, []time.Duration{24 * time.Hour}, true},
		{15 * m, []time.Duration{30 * m}, false},
		{m, []time.Duration{time.Hour, m}, false},
		{time.Second, []time.Duration{m}, false},
		{time.Second, nil, false},
	} {
		pad, span, most := fineBounds(int64(tc.step), tc.intervals)
		want := [3]int{finePad, fineSpan, maxFine}
		if tc.quarter {
			want = [3]int{finePad / 4, fineSpan / 4, maxFine / 4}
		}
		if got := [3]int{pad, span, most}; got != want {
			t.Errorf("%s bars of %v candles: bounds %v, want %v", tc.step, tc.intervals, got, want)
		}
	}
}

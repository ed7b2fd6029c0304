package indicator

import (
	"math"
	"testing"
	"time"
)

// pathDependent never settle: their value is of the whole series.
var pathDependent = map[string]bool{"sar": true, "obv": true, "vwap": true}

// lastBars feeds a new indicator called name only the last n bars of cs
// and the whole of cs to another, and returns the largest difference of
// their outputs at the end, relative to the output's size (at least 1).
func lastBars(t *testing.T, name string, args []float64, cs []Candle, n int) float64 {
	t.Helper()
	all, err := New(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	late, _ := New(name, args...)
	feed(all, cs)
	feed(late, cs[len(cs)-n:])
	worst := 0.0
	a, b := outputs(all), outputs(late)
	for i := range a {
		worst = max(worst, math.Abs(a[i]-b[i])/math.Max(1, math.Abs(a[i])))
	}
	return worst
}

// TestSettledIndicatorsForgetWhereTheyStarted: an indicator fed only its
// last Settle bars reads, on the last bar, what it reads when fed the whole
// series (within 0.3 % of its value): a warm-up of Settle bars gives a run
// from --from the values of a run over all the history. Fed only its
// Lookback bars, an exponential average is still far off.
func TestSettledIndicatorsForgetWhereTheyStarted(t *testing.T) {
	tests := []struct {
		name string
		args []float64
	}{{"ema", []float64{200}}, {"rsi", []float64{14}}, {"macd", nil}, {"dema", []float64{50}}, {"tema", []float64{20}},
		{"atr", nil}, {"adx", nil}, {"keltner", nil}, {"supertrend", nil}, {"stochrsi", nil}}
	for _, s := range Specs() {
		if !pathDependent[s.Name] {
			tests = append(tests, struct {
				name string
				args []float64
			}{s.Name, nil})
		}
	}
	for _, tt := range tests {
		ind, err := New(tt.name, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		n := Settle(ind, time.Minute)
		if n < ind.Lookback() {
			t.Errorf("%s%v: settles in %d bars, under its lookback %d", tt.name, tt.args, n, ind.Lookback())
		}
		for seed := uint64(1); seed <= 5; seed++ {
			cs := walk(n+3000, seed)
			if d := lastBars(t, tt.name, tt.args, cs, n); d > 3e-3 {
				t.Errorf("%s%v seed %d: fed its last %d bars, off by %.2g of its value", tt.name, tt.args, seed, n, d)
			}
		}
	}
	cs := walk(5000, 1)
	if d := lastBars(t, "ema", []float64{200}, cs, 200); d < 3e-3 {
		t.Errorf("ema(200) fed only its lookback is off by %.2g: the test above shows nothing", d)
	}
}

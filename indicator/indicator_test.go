package indicator

import (
	"math"
	"strings"
	"testing"
)

func closes(xs ...float64) []Candle {
	out := make([]Candle, len(xs))
	for i, x := range xs {
		out[i] = Candle{Open: x, High: x, Low: x, Close: x, Volume: 1}
	}
	return out
}

func feed(ind Indicator, cs []Candle) []float64 {
	out := make([]float64, len(cs))
	for i, c := range cs {
		ind.Update(c)
		out[i] = ind.Value()
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestSMAEMARSIByHand(t *testing.T) {
	cs := closes(1, 2, 3, 4, 5, 4, 3)
	tests := []struct {
		name string
		ind  Indicator
		want []float64
	}{
		{"sma3", NewSMA(3), []float64{0, 0, 2, 3, 4, 13.0 / 3, 4}},
		// seed (1+2+3)/3 = 2, then +0.5*(x-ema)
		{"ema3", NewEMA(3), []float64{0, 0, 2, 3, 4, 4, 3.5}},
		// changes +1 +1 +1 +1 -1 -1; seed over 3: gain 1 loss 0 -> 100;
		// then gain (2+1)/3=1, loss 0 -> 100; gain 2/3, loss 1/3 -> 66.67;
		// gain 4/9, loss (2/3+1)/3=5/9 -> 44.44
		{"rsi3", NewRSI(3), []float64{0, 0, 0, 100, 100, 200.0 / 3, 400.0 / 9}},
	}
	for _, tt := range tests {
		got := feed(tt.ind, cs)
		for i := range got {
			if !near(got[i], tt.want[i]) {
				t.Errorf("%s bar %d: got %v, want %v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func TestReadyAfterLookbackBars(t *testing.T) {
	for _, s := range Specs() {
		ind, err := New(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		cs := walk(ind.Lookback()+5, 1)
		for i, c := range cs {
			if ind.Ready() != (i >= ind.Lookback()) {
				t.Fatalf("%s: Ready()=%v after %d bars, Lookback %d", s.Name, ind.Ready(), i, ind.Lookback())
			}
			ind.Update(c)
		}
	}
}

func TestNewNamesTheIndicatorAndTheParameter(t *testing.T) {
	tests := []struct {
		name string
		args []float64
		want string
	}{
		{"rsi", []float64{0}, "indicator rsi: period (parameter 1) must be a whole number of bars"},
		{"ema", []float64{2.5}, "got 2.5"},
		{"sma", []float64{3, 4}, "sma takes at most 1 argument(s) (period), got 2"},
		{"rsx", nil, `unknown indicator "rsx" (known: `},
		{"sma", []float64{math.NaN()}, "must be a number"},
	}
	for _, tt := range tests {
		_, err := New(tt.name, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %v) = %v, want an error containing %q", tt.name, tt.args, err, tt.want)
		}
	}
}

func TestNewTakesDefaults(t *testing.T) {
	for _, s := range Specs() {
		ind, err := New(s.Name)
		if err != nil {
			t.Fatalf("%s with defaults: %v", s.Name, err)
		}
		if mo, ok := ind.(MultiOutput); ok != (s.Outputs != nil) {
			t.Errorf("%s: MultiOutput %v but Spec.Outputs %v", s.Name, ok, s.Outputs)
		} else if ok && strings.Join(mo.Outputs(), ",") != strings.Join(s.Outputs, ",") {
			t.Errorf("%s: Outputs() %v, Spec.Outputs %v", s.Name, mo.Outputs(), s.Outputs)
		}
		if s.Doc == "" {
			t.Errorf("%s has no doc", s.Name)
		}
	}
}

func TestSpecsSortedByName(t *testing.T) {
	ss := Specs()
	for i := 1; i < len(ss); i++ {
		if ss[i-1].Name >= ss[i].Name {
			t.Fatalf("Specs not sorted: %s before %s", ss[i-1].Name, ss[i].Name)
		}
	}
}

// walk is a deterministic random-looking walk of n candles around 100.
func walk(n int, seed uint64) []Candle {
	out := make([]Candle, n)
	x := 100.0
	s := seed*2654435761 + 1
	next := func() float64 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		return float64(s%10000)/10000 - 0.5
	}
	for i := range out {
		o := x
		x *= 1 + next()*0.04
		h := math.Max(o, x) * (1 + math.Abs(next())*0.02)
		l := math.Min(o, x) * (1 - math.Abs(next())*0.02)
		out[i] = Candle{Open: o, High: h, Low: l, Close: x, Volume: 10 + 100*math.Abs(next())}
	}
	return out
}

func TestNoAllocationPerUpdate(t *testing.T) {
	cs := walk(500, 7)
	for _, s := range Specs() {
		ind, _ := New(s.Name)
		for _, c := range cs[:400] {
			ind.Update(c)
		}
		i := 400
		allocs := testing.AllocsPerRun(90, func() {
			ind.Update(cs[i])
			_ = ind.Value()
			i++
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Update", s.Name, allocs)
		}
	}
}

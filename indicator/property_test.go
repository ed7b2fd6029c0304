package indicator

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// candlesGen draws bar sequences that mix flat stretches (the same bar
// repeated, zero volume), small moves and gaps (the price jumping ten-fold
// up or down between bars).
func candlesGen() *rapid.Generator[[]Candle] {
	return rapid.Custom(func(t *rapid.T) []Candle {
		n := rapid.IntRange(1, 300).Draw(t, "bars")
		price := rapid.Float64Range(0.0001, 100000).Draw(t, "start")
		out := make([]Candle, n)
		prev := Candle{Open: price, High: price, Low: price, Close: price}
		for i := range out {
			switch rapid.IntRange(0, 3).Draw(t, "kind") {
			case 0: // flat: the previous bar again, without volume
				prev.Volume = 0
				out[i] = prev
				continue
			case 1: // gap
				if rapid.Bool().Draw(t, "up") {
					price *= 10
				} else {
					price /= 10
				}
			}
			o := price
			price *= 1 + rapid.Float64Range(-0.05, 0.05).Draw(t, "move")
			hi := math.Max(o, price) * (1 + rapid.Float64Range(0, 0.02).Draw(t, "wick up"))
			lo := math.Min(o, price) * (1 - rapid.Float64Range(0, 0.02).Draw(t, "wick down"))
			prev = Candle{Open: o, High: hi, Low: lo, Close: price, Volume: rapid.Float64Range(0, 1e6).Draw(t, "volume")}
			out[i] = prev
		}
		return out
	})
}

// bounded lists the outputs that have a fixed range.
var bounded = map[string][2]float64{
	"rsi": {0, 100}, "mfi": {0, 100}, "willr": {-100, 0}, "stoch": {0, 100}, "stochrsi": {0, 100},
	"adx": {0, 100},
}

func outputs(ind Indicator) []float64 {
	mo, ok := ind.(MultiOutput)
	if !ok {
		return []float64{ind.Value()}
	}
	out := make([]float64, len(mo.Outputs()))
	for i := range out {
		out[i] = mo.Output(i)
	}
	return out
}

func TestOutputsFiniteAndInRangeOnFlatAndGappedData(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cs := candlesGen().Draw(t, "candles")
		for _, s := range Specs() {
			ind, err := New(s.Name)
			if err != nil {
				t.Fatal(err)
			}
			r, hasRange := bounded[s.Name]
			for bar, c := range cs {
				ind.Update(c)
				for j, v := range outputs(ind) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("%s output %d at bar %d: %v", s.Name, j, bar, v)
					}
					// 1e-9 allows the rounding of a running sum.
					if hasRange && ind.Ready() && (v < r[0]-1e-9 || v > r[1]+1e-9) {
						t.Fatalf("%s output %d at bar %d: %v outside [%v, %v]", s.Name, j, bar, v, r[0], r[1])
					}
				}
				if mo, ok := ind.(MultiOutput); ok && ind.Value() != mo.Output(0) {
					t.Fatalf("%s: Value %v is not Output(0) %v", s.Name, ind.Value(), mo.Output(0))
				}
			}
		}
	})
}

func TestFlatMarketReadsNeutral(t *testing.T) {
	cs := closes(make([]float64, 60)...)
	for i := range cs {
		cs[i] = Candle{Open: 7, High: 7, Low: 7, Close: 7}
	}
	want := map[string]float64{"rsi": 50, "mfi": 50, "willr": -50, "stoch": 50, "stochrsi": 50, "cci": 0, "roc": 0}
	for name, w := range want {
		ind, _ := New(name)
		feed(ind, cs)
		if got := ind.Value(); got != w {
			t.Errorf("%s on a flat market: %v, want %v", name, got, w)
		}
	}
}

func TestWindowExtremesMatchAScan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 20).Draw(t, "window")
		xs := rapid.SliceOfN(rapid.Float64Range(-5, 5), 1, 200).Draw(t, "values")
		hi, lo := newMax(n), newMin(n)
		for i, x := range xs {
			hi.push(x)
			lo.push(x)
			wantHi, wantLo := math.Inf(-1), math.Inf(1)
			for _, y := range xs[max(0, i-n+1) : i+1] {
				wantHi, wantLo = math.Max(wantHi, y), math.Min(wantLo, y)
			}
			if hi.value() != wantHi || lo.value() != wantLo {
				t.Fatalf("after %d values, window %d: max %v min %v, want %v %v", i+1, n, hi.value(), lo.value(), wantHi, wantLo)
			}
		}
	})
}

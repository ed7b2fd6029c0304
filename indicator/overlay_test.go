package indicator

import (
	"math"
	"testing"
)

// Spec.Overlay, which Overlays reads, is set exactly for the indicators
// whose values are prices: over bars around 60,000 every output of an
// overlay (SuperTrend's ±1 direction aside) stays among the prices, and
// no output of another indicator does at any bar.
func TestOverlayIsSetForTheIndicatorsWhoseValuesArePrices(t *testing.T) {
	// Two waves around 60,000, between about 56,400 and 63,600, and a
	// volume of a few units a bar.
	candles := make([]Candle, 600)
	prev := 60000.0
	for i := range candles {
		x := 60000 + 3000*math.Sin(float64(i)/15) + 500*math.Sin(float64(i)/3.7)
		candles[i] = Candle{Open: prev, High: max(prev, x) + 100, Low: min(prev, x) - 100, Close: x, Volume: 1 + float64(i%5)}
		prev = x
	}
	among := func(v float64) bool { return v >= 45000 && v <= 75000 }
	for _, s := range Specs() {
		if Overlays(s.Name) != s.Overlay {
			t.Errorf("%s: Overlays = %v, Spec.Overlay = %v", s.Name, Overlays(s.Name), s.Overlay)
		}
		ind, err := New(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		pricesOnly, anyPrice := true, false
		for _, c := range candles {
			ind.Update(c)
			if !ind.Ready() {
				continue
			}
			values := []float64{ind.Value()}
			if mo, ok := ind.(MultiOutput); ok {
				values = values[:0]
				for i, name := range mo.Outputs() {
					if name != "direction" {
						values = append(values, mo.Output(i))
					}
				}
			}
			for _, v := range values {
				pricesOnly = pricesOnly && among(v)
				anyPrice = anyPrice || among(v)
			}
		}
		switch {
		case s.Overlay && !pricesOnly:
			t.Errorf("%s is an overlay but some of its values are not prices", s.Name)
		case !s.Overlay && anyPrice:
			t.Errorf("%s is drawn in a pane of its own but its values can be prices", s.Name)
		}
	}
	if Overlays("no_such_indicator") {
		t.Error("an unknown name is an overlay")
	}
}

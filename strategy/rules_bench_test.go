package strategy

import (
	"math"
	"testing"
	"time"
)

// BenchmarkRulesBar is a rule strategy's own work per bar, without the
// engine: issue 14's indicators (RSI(14), EMA(200)) read one bar, then
// its entry and its exit are evaluated, lowered to closures (as they
// run) and on expr's VM (as they ran before), on a wave of prices.
func BenchmarkRulesBar(b *testing.B) {
	p := decodeRules(b, "interval: 1m\nindicators: {rsi: rsi(14), trend: ema(200)}\n"+
		"entry: rsi < 40 && close > trend\nexit: rsi > 70 || crossed_below(close, trend)\n")
	for _, bc := range []struct {
		name string
		vm   bool
	}{{"closures", false}, {"expr-vm", true}} {
		b.Run(bc.name, func(b *testing.B) {
			r, err := compileRules(p, "")
			if err != nil {
				b.Fatal(err)
			}
			run := r.run
			if bc.vm {
				run = r.runVM
			}
			var wave [1024]float64
			for i := range wave {
				wave[i] = 40000 + 500*math.Sin(float64(i)/15)
			}
			bar := Bar{Product: "BTC-USD", Interval: time.Minute}
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n++
				c := wave[n%len(wave)]
				bar.OpenF, bar.CloseF = c-10, c
				if r.update(r.subs[0], true, &bar) {
					run(r.entry)
					run(r.exit)
				}
			}
		})
	}
}

package backtest

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tradebot/tradebot/indicator"
)

// The recorder builds no fine bars while its bars are at their first step
// (fineBars.mirror) and replays them when the bars first coarsen or at
// the end: the bars, detail bars and plot values it gives are those of a
// recorder that built its fine bars from the first trade, for data that
// never coarsens, coarsens once or several times, and ends with the fine
// bars drawn without a coarsening (bars started coarser than the data).
func TestFineBarsReplayedAreThoseBuiltAllAlong(t *testing.T) {
	minute := firstStep([]time.Duration{time.Minute})
	candles := []FileInfo{{Interval: "1m0s"}}
	for _, tc := range []struct {
		name    string
		start   int
		minutes int
		files   []FileInfo
	}{
		{"never coarsened", minute, 20_000, candles},
		{"coarsened once", minute, 90_000, candles},
		{"coarsened twice", minute, 400_000, candles},
		{"one-second bars coarsened to a minute", 0, 20_000, candles},
		{"minute bars of tick data", minute, 3_000, []FileInfo{{Interval: ""}}},
		{"one-second bars never coarsened", 0, 3_000, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			replayed := recordRandomMinutes(tc.start, tc.minutes, true, tc.files)
			built := recordRandomMinutes(tc.start, tc.minutes, false, tc.files)
			if !reflect.DeepEqual(replayed.Bars, built.Bars) || replayed.Step != built.Step {
				t.Fatalf("bars differ: %d of %s, %d of %s", len(replayed.Bars), replayed.Step, len(built.Bars), built.Step)
			}
			if !reflect.DeepEqual(replayed.Detail, built.Detail) || replayed.DetailStep != built.DetailStep {
				t.Fatalf("detail differs: %d bars of %s, %d of %s", len(replayed.Detail), replayed.DetailStep, len(built.Detail), built.DetailStep)
			}
			if len(replayed.Plots) != 1 || len(built.Plots) != 1 {
				t.Fatalf("%d and %d plots", len(replayed.Plots), len(built.Plots))
			}
			same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
			p, q := replayed.Plots[0], built.Plots[0]
			if !slices.EqualFunc(p.Values, q.Values, same) || !slices.EqualFunc(p.Detail, q.Detail, same) {
				t.Fatalf("plot values differ: %d/%d, detail %d/%d", len(p.Values), len(q.Values), len(p.Detail), len(q.Detail))
			}
			t.Logf("%d bars of %s, %d detail bars of %s", len(built.Bars), built.Step, len(built.Detail), built.DetailStep)
		})
	}
}

// recordRandomMinutes feeds a recorder started at barSteps[start] the four
// ticks of n one-minute candles with an SMA drawn on them and fills at
// random: one or several in a minute, before or between its ticks, some
// leaving the position open, some closing it, a fill before the first
// trade. mirror false builds the fine bars from the first trade.
func recordRandomMinutes(start, n int, mirror bool, files []FileInfo) PriceBars {
	rng := rand.New(rand.NewPCG(3, uint64(n)))
	r := newRecorder([]string{"BTC-USD"}, time.Now, start, []time.Duration{time.Minute})
	br := r.products["BTC-USD"]
	br.fine.mirror = mirror
	sma := indicator.NewSMA(20)
	r.plot("BTC-USD", "sma", false, []indicator.Plot{{Name: "sma", Source: sma, Overlay: true}})
	r.fill("BTC-USD", true)
	at := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	held := true
	price := 40000.0
	for range n {
		// Gaps of up to two minutes now and then, as in real data.
		at = at.Add(time.Duration(1+rng.IntN(40)/38) * time.Minute)
		for _, off := range []time.Duration{0, 15 * time.Second, 30 * time.Second, 59 * time.Second} {
			if rng.IntN(300) == 0 {
				for range 1 + rng.IntN(3) {
					held = rng.IntN(2) == 0
					r.fill("BTC-USD", held)
				}
			}
			price += rng.Float64()*20 - 10
			br.trade(at.Add(off), price)
		}
		sma.Update(indicator.Candle{Close: price})
	}
	bars, _ := r.finish(files, at.Add(time.Minute))
	return bars[0]
}

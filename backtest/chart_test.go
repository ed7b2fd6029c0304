package backtest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tradebot/tradebot/indicator"
	"github.com/tradebot/tradebot/position"
)

// feedMinutes feeds the recorder of product p the four ticks of n
// one-minute candles (as the candle path times them), with a fill every
// fillEvery minutes that opens a position closed 30 minutes later.
func feedMinutes(r *recorder, sma *indicator.SMA, n, fillEvery int) {
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	br := r.products["BTC-USD"]
	for m := range n {
		t := start.Add(time.Duration(m) * time.Minute)
		price := 40000 + float64(m%500)
		for k, off := range []time.Duration{0, 15 * time.Second, 30 * time.Second, 59 * time.Second} {
			br.trade(t.Add(off), price+float64(k))
		}
		sma.Update(indicator.Candle{Close: price})
		if fillEvery > 0 && m%fillEvery == 0 {
			r.fill("BTC-USD", true)
		}
		if fillEvery > 0 && m%fillEvery == 30 {
			r.fill("BTC-USD", false)
		}
	}
}

// recorderSlots counts the slots the recorder holds for bars and plot
// values: what grows with the data if anything does.
func recorderSlots(r *recorder) int {
	n := 0
	for _, br := range r.products {
		n += cap(br.bars) + cap(br.fine.kept) + cap(br.fine.ring) + cap(br.fine.marks)
		for _, p := range br.plots {
			n += cap(p.vals)
		}
		for _, v := range br.fine.keptV {
			n += cap(v)
		}
		for _, v := range br.fine.ringV {
			n += cap(v)
		}
	}
	return n
}

// TestRecorderBounded checks that the report's bar recorder holds a
// bounded number of slots whatever the length of the data: a month and
// ten years of one-minute candles (four ticks each) with a plot and fills
// all along, and that the long run still has one-minute bars around its
// fills and an overview of the whole period.
func TestRecorderBounded(t *testing.T) {
	minute := firstStep([]time.Duration{time.Minute})
	if barSteps[minute] != time.Minute {
		t.Fatalf("one-minute candles start at %s bars, want 1m", barSteps[minute])
	}
	// The interval known at the start (bars of a minute from the first
	// candle) or not (one-second bars merged at the end): the same bounds,
	// bars and detail.
	for _, start := range []int{0, minute} {
		t.Run("bars of "+barSteps[start].String(), func(t *testing.T) { recorderBounded(t, start) })
	}
}

func recorderBounded(t *testing.T, start int) {
	const month, decade = 31 * 24 * 60, 10 * 365 * 24 * 60
	bound := 2*maxBars*2 + 2*maxFine*2 + 4*finePad
	files := []FileInfo{{Interval: "1m0s"}}
	var slots [2]int
	for i, n := range []int{month, decade} {
		r := newRecorder([]string{"BTC-USD"}, time.Now, start, []time.Duration{time.Minute})
		sma := indicator.NewSMA(20)
		r.plot("BTC-USD", "sma", false, []indicator.Plot{{Name: "sma", Source: sma, Overlay: true}})
		feedMinutes(r, sma, n, 1000)
		slots[i] = recorderSlots(r)
		if slots[i] > bound {
			t.Errorf("%d minutes: the recorder holds %d slots, more than the bound %d", n, slots[i], bound)
		}
		bars, _ := r.finish(files, time.Now())
		pb := bars[0]
		if len(pb.Bars) > maxBars || len(pb.Plots[0].Values) != len(pb.Bars) {
			t.Errorf("%d minutes: %d bars, %d plot values", n, len(pb.Bars), len(pb.Plots[0].Values))
		}
		if n == month {
			if pb.Step != time.Minute || len(pb.Bars) != month || pb.Detail != nil {
				t.Errorf("month: step %v, %d bars, detail %d: want every minute in Bars", pb.Step, len(pb.Bars), len(pb.Detail))
			}
			continue
		}
		if pb.Step <= time.Minute || pb.DetailStep != time.Minute || len(pb.Detail) == 0 || len(pb.Detail) > maxFine {
			t.Fatalf("decade: step %v, detail step %v, %d detail bars", pb.Step, pb.DetailStep, len(pb.Detail))
		}
		if got := pb.Bars[len(pb.Bars)-1].Time; got.Before(time.Date(2031, 12, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("decade: the overview ends at %v", got)
		}
		// The first fill is at minute 0, the position closes at minute 30:
		// the detail holds every minute from 0 to 30 and the pad after it.
		for m := range 30 + tradePad {
			want := time.Date(2022, 1, 1, 0, m, 0, 0, time.UTC)
			if b := pb.Detail[m]; !b.Time.Equal(want) || b.Open != 40000+float64(m) || b.Close != 40003+float64(m) {
				t.Fatalf("decade: detail bar %d is %+v, want the candle of %v", m, b, want)
			}
		}
		if len(pb.Plots[0].Detail) != len(pb.Detail) {
			t.Errorf("decade: %d detail plot values for %d bars", len(pb.Plots[0].Detail), len(pb.Detail))
		}
		// The report draws that trade from the one-minute bars, the whole
		// period from the coarse ones.
		entry := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
		rts := []position.RoundTrip{{ProductID: "BTC-USD", EntryTime: entry, ExitTime: entry.Add(30 * time.Minute)}}
		trades := []jsTrade{{N: 1, Product: "BTC-USD", Segment: -1}}
		budget := detailBars
		p := productChart(pb, rts, trades, &budget)
		if p.Overview == nil || p.Step != 60 || len(p.Segments) != 1 || trades[0].Segment != 0 {
			t.Fatalf("decade: chart step %d, overview %v, %d segments, trade in segment %d", p.Step, p.Overview != nil, len(p.Segments), trades[0].Segment)
		}
		if seg := p.Segments[0]; seg.Step != 60 || len(seg.Bars) != 30+tradePad || seg.Start != entry.Unix() {
			t.Errorf("decade: the trade's segment has %d bars of %d s from %d, want %d from %d", len(seg.Bars), seg.Step, seg.Start, 30+tradePad, entry.Unix())
		}
	}
	t.Logf("slots after a month %d, after ten years %d", slots[0], slots[1])
}

// mergeCopy, which makes the report's overview, gives what mergeRaw and
// mergeRawValues give on copies, and leaves its input alone.
func TestMergeCopyIsMergeRawOnACopy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 17))
	var bs []Bar
	vals := [][]float64{nil, nil}
	at := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 5000 {
		at = at.Add(time.Duration(1+rng.IntN(3)) * time.Minute) // gaps of up to two bars
		p := 40000 + rng.Float64()*1000
		bs = append(bs, Bar{Time: at, Open: p, High: p + rng.Float64()*50, Low: p - rng.Float64()*50, Close: p + rng.Float64()*10 - 5})
		for k := range vals {
			v := math.NaN()
			if rng.IntN(10) > 0 {
				v = p * (1 + float64(k)/100)
			}
			vals[k] = append(vals[k], v)
		}
	}
	before := slices.Clone(bs)
	for _, step := range []time.Duration{time.Minute, 7 * time.Minute, time.Hour, 24 * time.Hour} {
		got, gotVals, _ := mergeCopy(bs, vals, step)
		raw := make([]bar, len(bs))
		for i, b := range bs {
			raw[i] = bar{start: b.Time.UnixNano(), open: b.Open, high: b.High, low: b.Low, close: b.Close}
		}
		wantVals := [][]float64{slices.Clone(vals[0]), slices.Clone(vals[1])}
		mergeRawValues(raw, int64(step), wantVals)
		want := exportBars(mergeRaw(raw, int64(step)))
		if !slices.Equal(got, want) {
			t.Fatalf("step %v: %d bars, want %d (first %v, want %v)", step, len(got), len(want), got[0], want[0])
		}
		for k := range wantVals {
			if !slices.EqualFunc(gotVals[k], wantVals[k], func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
				t.Fatalf("step %v: plot %d differs", step, k)
			}
		}
	}
	if !slices.Equal(bs, before) {
		t.Fatal("mergeCopy changed its input")
	}
}

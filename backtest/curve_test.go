package backtest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestCurveStreamed checks that the streamed curve gives the drawdown and
// daily returns of every sample, as computed here on the whole curve,
// and that the points it keeps for the chart are bounded whatever the
// length, start and end with the first and last sample, and keep the
// deepest fall.
func TestCurveStreamed(t *testing.T) {
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	caps := map[int]int{}
	for _, n := range []int{1, 7, 3000, 31 * 24 * 60, 366 * 24 * 60} {
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		all := make([]Point, n)
		e := 10000.0
		for i := range all {
			e += rng.NormFloat64() * 5
			all[i] = Point{Time: start.Add(time.Duration(i) * time.Minute), Equity: e, Price: e / 10}
		}
		var c curve
		for _, p := range all {
			c.add(p)
		}
		// The whole curve's figures.
		peak, wantAbs, wantPct := math.Inf(-1), 0.0, 0.0
		var closes []float64
		day := all[0].Time.Truncate(24 * time.Hour)
		for i, p := range all {
			peak = max(peak, p.Equity)
			if dd := peak - p.Equity; dd > wantAbs {
				wantAbs, wantPct = dd, dd/peak
			}
			if d := p.Time.Truncate(24 * time.Hour); d.After(day) {
				closes, day = append(closes, all[i-1].Equity), d
			}
		}
		closes = append(closes, all[n-1].Equity)
		if abs, pct := c.maxDrawdown(); abs != wantAbs || pct != wantPct {
			t.Errorf("%d samples: drawdown %v (%v), want %v (%v)", n, abs, pct, wantAbs, wantPct)
		}
		rets := c.dailyReturns()
		if len(rets) != len(closes) {
			t.Fatalf("%d samples: %d daily returns, want %d", n, len(rets), len(closes))
		}
		prev := all[0].Equity
		for i, v := range closes {
			if want := v/prev - 1; rets[i] != want {
				t.Errorf("%d samples: return %d is %v, want %v", n, i, rets[i], want)
			}
			prev = v
		}
		pts := c.points()
		if len(pts) > maxCurvePoints+2 || cap(c.pts) > maxCurvePoints+1 {
			t.Errorf("%d samples: %d points kept (capacity %d), want at most %d", n, len(pts), cap(c.pts), maxCurvePoints+2)
		}
		if pts[0] != all[0] || pts[len(pts)-1].Time != all[n-1].Time || pts[len(pts)-1].Equity != all[n-1].Equity {
			t.Errorf("%d samples: the points run from %+v to %+v", n, pts[0], pts[len(pts)-1])
		}
		deepest := 0.0
		for i, p := range pts {
			deepest = min(deepest, p.Drawdown)
			if i > 0 && !p.Time.After(pts[i-1].Time) {
				t.Fatalf("%d samples: point %d at %v is not after %v", n, i, p.Time, pts[i-1].Time)
			}
		}
		if -deepest != wantAbs {
			t.Errorf("%d samples: the deepest fall kept is %v, want %v", n, -deepest, wantAbs)
		}
		caps[n] = cap(c.pts)
	}
	t.Logf("points' capacity by samples: %v", caps)
}

package backtest

import (
	"math"
	"time"
)

// maxCurvePoints bounds the thinned equity curve a run keeps for the
// chart (the chart draws about equityPoints of them).
const maxCurvePoints = 1 << 12

// curve takes the equity samples of a run as they come and keeps what the
// reports need, in memory that does not grow with the minutes of data:
// the drawdown, the equity at the end of each UTC day (the daily returns
// behind Sharpe and Sortino) and the curve thinned to at most
// maxCurvePoints+1 points for the chart. The figures are those the whole
// curve would give: the same samples in the same order.
type curve struct {
	n int
	// peak is the highest equity so far; ddAbs and ddPct the largest fall
	// from a previous peak.
	peak, ddAbs, ddPct float64
	// nextDay is the start of the UTC day after the last sample's, first
	// the first sample's equity, last the last one's, closes the last
	// equity of each day before the last sample's.
	nextDay     time.Time
	first, last float64
	closes      []float64
	// pts is the first sample, then one point per span of per samples:
	// the span's last sample with the deepest fall below the peak in it;
	// pend is the span being filled (pendN samples).
	pts   []Point
	per   int
	pend  Point
	pendN int
	// noPoints leaves pts empty: a run without report.html (a sweep's,
	// --report summary or none) needs the figures only.
	noPoints bool
}

func (c *curve) add(p Point) {
	if c.n == 0 {
		c.peak = math.Inf(-1)
		c.nextDay = p.Time.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		c.first = p.Equity
		c.per = 1
	}
	c.n++
	c.peak = max(c.peak, p.Equity)
	if dd := c.peak - p.Equity; dd > c.ddAbs {
		c.ddAbs = dd
		if c.peak > 0 {
			c.ddPct = dd / c.peak
		}
	}
	// A sample from nextDay on starts a later day: comparing with it
	// spares the Truncate of all but a day's first sample (samples come
	// a minute apart).
	if !p.Time.Before(c.nextDay) {
		c.closes = append(c.closes, c.last)
		c.nextDay = p.Time.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	c.last = p.Equity
	if c.noPoints {
		return
	}
	if c.n == 1 {
		c.pts = append(make([]Point, 0, maxCurvePoints+1), p)
		return
	}
	fall := min(0, p.Equity-c.peak)
	if c.pendN > 0 {
		fall = min(fall, c.pend.Drawdown)
	}
	c.pend, c.pend.Drawdown = p, fall
	if c.pendN++; c.pendN < c.per {
		return
	}
	if len(c.pts) == maxCurvePoints+1 {
		c.halve()
	}
	c.pts = append(c.pts, c.pend)
	c.pendN = 0
}

// halve merges the points after the first two by two: each stands for
// twice the samples.
func (c *curve) halve() {
	rest := c.pts[1:]
	for i := 0; 2*i+1 < len(rest); i++ {
		a, b := rest[2*i], rest[2*i+1]
		b.Drawdown = min(a.Drawdown, b.Drawdown)
		rest[i] = b
	}
	c.pts = c.pts[:1+len(rest)/2]
	c.per *= 2
}

// points returns the thinned curve, the span being filled included.
func (c *curve) points() []Point {
	if c.pendN > 0 {
		return append(c.pts, c.pend)
	}
	return c.pts
}

// maxDrawdown returns the largest fall of equity from a previous peak, in
// the quote currency and as a fraction of that peak.
func (c *curve) maxDrawdown() (abs, pct float64) { return c.ddAbs, c.ddPct }

// dailyReturns are the returns between the last equity samples of
// consecutive UTC days; the first day's return is from its first sample.
func (c *curve) dailyReturns() []float64 {
	if c.n == 0 {
		return nil
	}
	rets := make([]float64, 0, len(c.closes)+1)
	prev := c.first
	for _, v := range append(c.closes, c.last) {
		if prev != 0 {
			rets = append(rets, v/prev-1)
		}
		prev = v
	}
	return rets
}

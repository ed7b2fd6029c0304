package indicator

import "math"

// CCI is Lambert's commodity channel index of the typical price (H+L+C)/3:
// (tp - SMA(tp)) / (0.015 * mean absolute deviation from that SMA), over
// Period bars; 0 when the window is flat. The mean deviation is taken
// around the current mean, so each Update costs O(Period): it cannot be
// kept as a running sum. It still allocates nothing.
type CCI struct {
	period int
	win    ring
	sum    float64
	tp     float64
}

// NewCCI returns a CCI over period bars (period >= 1).
func NewCCI(period int) *CCI { return &CCI{period: period, win: newRing(period)} }

// Update reads one closed bar.
func (c *CCI) Update(b Candle) {
	c.tp = (b.High + b.Low + b.Close) / 3
	old, full := c.win.push(c.tp)
	if full {
		c.sum -= old
	}
	c.sum += c.tp
}

// Ready reports whether Period bars were seen.
func (c *CCI) Ready() bool { return c.win.full() }

// Lookback is Period.
func (c *CCI) Lookback() int { return c.period }

// Value is the CCI (0 before Ready).
func (c *CCI) Value() float64 {
	if !c.Ready() {
		return 0
	}
	mean := c.sum / float64(c.period)
	dev := 0.0
	for _, x := range c.win.buf {
		dev += math.Abs(x - mean)
	}
	dev /= float64(c.period)
	if dev == 0 {
		return 0
	}
	return (c.tp - mean) / (0.015 * dev)
}

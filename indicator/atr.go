package indicator

import "math"

// trueRange is the bar's range widened to the previous close.
func trueRange(c Candle, prevClose float64) float64 {
	return math.Max(c.High-c.Low, math.Max(math.Abs(c.High-prevClose), math.Abs(c.Low-prevClose)))
}

// wilder is Wilder's moving average: seeded with the simple mean of the
// first period values, then avg = (avg*(period-1) + x)/period.
type wilder struct {
	period int
	n      int
	value  float64
}

func (w *wilder) update(x float64) {
	p := float64(w.period)
	if w.n < w.period {
		w.value += x
		w.n++
		if w.n == w.period {
			w.value /= p
		}
		return
	}
	w.value = (w.value*(p-1) + x) / p
}

func (w *wilder) ready() bool { return w.n >= w.period }

// ATR is Wilder's average true range: the true range from the second bar
// on, averaged by Wilder's rule (as TA-Lib does: the first bar, having no
// previous close, gives no true range).
type ATR struct {
	avg       wilder
	prevClose float64
	started   bool
}

// NewATR returns an ATR over period bars (period >= 1).
func NewATR(period int) *ATR { return &ATR{avg: wilder{period: period}} }

// Update reads one closed bar.
func (a *ATR) Update(c Candle) {
	if a.started {
		a.avg.update(trueRange(c, a.prevClose))
	}
	a.prevClose, a.started = c.Close, true
}

// Ready reports whether Period+1 bars were seen.
func (a *ATR) Ready() bool { return a.avg.ready() }

// Lookback is Period+1.
func (a *ATR) Lookback() int { return a.avg.period + 1 }

// Value is the ATR (0 before Ready).
func (a *ATR) Value() float64 {
	if !a.Ready() {
		return 0
	}
	return a.avg.value
}

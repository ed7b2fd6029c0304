package indicator

import "math"

// nearZero is TA-Lib's test for a zero denominator in ADX and the DIs.
func nearZero(x float64) bool { return x > -1e-8 && x < 1e-8 }

// ADX is Wilder's average directional index with the +DI and -DI lines,
// computed as TA-Lib does: directional movement and true range summed
// over the first Period-1 changes, then smoothed by Wilder's rule
// (sum - sum/Period + x); DX averaged over its first Period values, then
// smoothed the same way. When the true range or the DI sum is zero, ADX
// keeps its previous value.
type ADX struct {
	period  int
	n       int // changes seen
	prev    Candle
	plusDM  float64
	minusDM float64
	tr      float64
	sumDX   float64
	adx     float64
	plusDI  float64
	minusDI float64
	started bool
}

// NewADX returns an ADX over period bars (period >= 1).
func NewADX(period int) *ADX { return &ADX{period: period} }

var adxOutputs = []string{"adx", "plus_di", "minus_di"}

// Update reads one closed bar.
func (a *ADX) Update(c Candle) {
	if !a.started {
		a.prev, a.started = c, true
		return
	}
	up := c.High - a.prev.High
	down := a.prev.Low - c.Low
	var pdm, mdm float64
	switch {
	case down > 0 && up < down:
		mdm = down
	case up > 0 && up > down:
		pdm = up
	}
	tr := trueRange(c, a.prev.Close)
	a.prev = c
	a.n++
	p := float64(a.period)
	if a.n < a.period {
		a.plusDM += pdm
		a.minusDM += mdm
		a.tr += tr
		return
	}
	a.plusDM += pdm - a.plusDM/p
	a.minusDM += mdm - a.minusDM/p
	a.tr += tr - a.tr/p
	dx, ok := a.dx()
	switch {
	case a.n < 2*a.period:
		if ok {
			a.sumDX += dx
		}
		if a.n == 2*a.period-1 {
			a.adx = a.sumDX / p
		}
	case ok:
		a.adx = (a.adx*(p-1) + dx) / p
	}
}

// dx updates the DI lines and returns the directional index, false when it
// is undefined (no range, or no movement either way).
func (a *ADX) dx() (float64, bool) {
	if nearZero(a.tr) {
		return 0, false
	}
	a.plusDI = 100 * a.plusDM / a.tr
	a.minusDI = 100 * a.minusDM / a.tr
	sum := a.plusDI + a.minusDI
	if nearZero(sum) {
		return 0, false
	}
	return 100 * math.Abs(a.plusDI-a.minusDI) / sum, true
}

// Ready reports whether 2*Period bars were seen.
func (a *ADX) Ready() bool { return a.n >= 2*a.period-1 }

// Lookback is 2*Period.
func (a *ADX) Lookback() int { return 2 * a.period }

// Value is the ADX (Output 0).
func (a *ADX) Value() float64 { return a.Output(0) }

// Outputs are adx, plus_di and minus_di.
func (a *ADX) Outputs() []string { return adxOutputs }

// Output returns adx (0), plus_di (1) or minus_di (2); 0 before Ready.
func (a *ADX) Output(i int) float64 {
	if !a.Ready() {
		return 0
	}
	switch i {
	case 0:
		return a.adx
	case 1:
		return a.plusDI
	default:
		return a.minusDI
	}
}

package indicator

// ROC is the rate of change of the close over Period bars, in percent:
// (close / close Period bars ago - 1) * 100; 0 when that close was 0.
type ROC struct {
	period int
	win    ring
	value  float64
}

// NewROC returns a ROC over period bars (period >= 1).
func NewROC(period int) *ROC { return &ROC{period: period, win: newRing(period + 1)} }

// Update reads one closed bar's close.
func (r *ROC) Update(c Candle) {
	r.win.push(c.Close)
	if then := r.win.ago(r.period); r.win.full() && then != 0 {
		r.value = (c.Close/then - 1) * 100
	} else {
		r.value = 0
	}
}

// Ready reports whether Period+1 bars were seen.
func (r *ROC) Ready() bool { return r.win.full() }

// Lookback is Period+1.
func (r *ROC) Lookback() int { return r.period + 1 }

// Value is the change in percent (0 before Ready).
func (r *ROC) Value() float64 { return r.value }

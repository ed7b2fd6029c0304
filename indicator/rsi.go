package indicator

// RSI is Wilder's relative strength index of the close over Period bars:
// 100 - 100/(1 + average gain / average loss), the averages seeded with
// the simple mean of the first Period changes and then smoothed by Wilder's
// rule avg = (avg*(Period-1) + x)/Period, as TA-Lib does. A window with no
// change at all reads 50 (TA-Lib says 0, which would read as oversold).
type RSI struct {
	period  int
	n       int // changes seen
	prev    float64
	started bool
	gain    float64
	loss    float64
}

// NewRSI returns an RSI over period bars (period >= 1).
func NewRSI(period int) *RSI { return &RSI{period: period} }

// Update reads one closed bar's close.
func (r *RSI) Update(c Candle) { r.update(c.Close) }

func (r *RSI) update(x float64) {
	if !r.started {
		r.prev, r.started = x, true
		return
	}
	d := x - r.prev
	r.prev = x
	var g, l float64
	if d > 0 {
		g = d
	} else {
		l = -d
	}
	p := float64(r.period)
	if r.n < r.period {
		r.gain += g
		r.loss += l
		r.n++
		if r.n == r.period {
			r.gain /= p
			r.loss /= p
		}
		return
	}
	r.gain = (r.gain*(p-1) + g) / p
	r.loss = (r.loss*(p-1) + l) / p
}

// Ready reports whether Period changes (Period+1 bars) were seen.
func (r *RSI) Ready() bool { return r.n >= r.period }

// Lookback is Period+1 bars.
func (r *RSI) Lookback() int { return r.period + 1 }

// Value is the RSI in [0, 100] (0 before Ready).
func (r *RSI) Value() float64 {
	if !r.Ready() {
		return 0
	}
	sum := r.gain + r.loss
	if sum <= 0 {
		return 50
	}
	return 100 * r.gain / sum
}

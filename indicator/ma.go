package indicator

// SMA is the simple moving average of the close over Period bars.
type SMA struct {
	period int
	win    ring
	sum    float64
}

// NewSMA returns an SMA over period bars (period >= 1).
func NewSMA(period int) *SMA { return &SMA{period: period, win: newRing(period)} }

// Update reads one closed bar's close.
func (s *SMA) Update(c Candle) { s.update(c.Close) }

func (s *SMA) update(x float64) {
	old, full := s.win.push(x)
	if full {
		s.sum -= old
	}
	s.sum += x
}

// Ready reports whether Period bars were seen.
func (s *SMA) Ready() bool { return s.win.full() }

// Lookback is Period.
func (s *SMA) Lookback() int { return s.period }

// Value is the average of the last Period closes (0 before Ready).
func (s *SMA) Value() float64 {
	if !s.Ready() {
		return 0
	}
	return s.sum / float64(s.period)
}

// EMA is the exponential moving average of the close with weight
// 2/(Period+1), seeded with the simple average of the first Period closes
// (as TA-Lib does).
type EMA struct {
	period int
	k      float64
	n      int
	value  float64
}

// NewEMA returns an EMA over period bars (period >= 1).
func NewEMA(period int) *EMA { return &EMA{period: period, k: 2 / float64(period+1)} }

// Update reads one closed bar's close.
func (e *EMA) Update(c Candle) { e.update(c.Close) }

func (e *EMA) update(x float64) {
	switch {
	case e.n < e.period:
		e.value += x
		e.n++
		if e.n == e.period {
			e.value /= float64(e.period)
		}
	default:
		e.value += (x - e.value) * e.k
	}
}

// Ready reports whether Period bars were seen.
func (e *EMA) Ready() bool { return e.n >= e.period }

// Lookback is Period.
func (e *EMA) Lookback() int { return e.period }

// Value is the average (0 before Ready).
func (e *EMA) Value() float64 {
	if !e.Ready() {
		return 0
	}
	return e.value
}

// WMA is the linearly weighted moving average of the close over Period
// bars: the newest bar weighs Period, the oldest 1.
type WMA struct {
	period   int
	win      ring
	sum      float64 // plain sum of the window
	weighted float64 // sum of weight times value
}

// NewWMA returns a WMA over period bars (period >= 1).
func NewWMA(period int) *WMA { return &WMA{period: period, win: newRing(period)} }

// Update reads one closed bar's close.
func (w *WMA) Update(c Candle) {
	x := c.Close
	old, full := w.win.push(x)
	if full {
		// Every weight drops by one (the oldest to zero) and x enters
		// with the top weight.
		w.weighted += float64(w.period)*x - w.sum
		w.sum += x - old
		return
	}
	w.weighted += float64(w.win.n) * x
	w.sum += x
}

// Ready reports whether Period bars were seen.
func (w *WMA) Ready() bool { return w.win.full() }

// Lookback is Period.
func (w *WMA) Lookback() int { return w.period }

// Value is the weighted average (0 before Ready).
func (w *WMA) Value() float64 {
	if !w.Ready() {
		return 0
	}
	return w.weighted / float64(w.period*(w.period+1)/2)
}

// DEMA is Mulloy's double EMA of the close: 2*EMA - EMA(EMA), the second
// EMA fed from the first once it is ready (as TA-Lib does).
type DEMA struct {
	e1, e2 EMA
}

// NewDEMA returns a DEMA over period bars (period >= 1).
func NewDEMA(period int) *DEMA { return &DEMA{e1: *NewEMA(period), e2: *NewEMA(period)} }

// Update reads one closed bar's close.
func (d *DEMA) Update(c Candle) {
	d.e1.update(c.Close)
	if d.e1.Ready() {
		d.e2.update(d.e1.value)
	}
}

// Ready reports whether 2*Period-1 bars were seen.
func (d *DEMA) Ready() bool { return d.e2.Ready() }

// Lookback is 2*Period-1.
func (d *DEMA) Lookback() int { return 2*d.e1.period - 1 }

// Value is the DEMA (0 before Ready).
func (d *DEMA) Value() float64 {
	if !d.Ready() {
		return 0
	}
	return 2*d.e1.value - d.e2.value
}

// TEMA is Mulloy's triple EMA of the close: 3*EMA - 3*EMA(EMA) +
// EMA(EMA(EMA)), each EMA fed from the one before once it is ready.
type TEMA struct {
	e1, e2, e3 EMA
}

// NewTEMA returns a TEMA over period bars (period >= 1).
func NewTEMA(period int) *TEMA {
	return &TEMA{e1: *NewEMA(period), e2: *NewEMA(period), e3: *NewEMA(period)}
}

// Update reads one closed bar's close.
func (t *TEMA) Update(c Candle) {
	t.e1.update(c.Close)
	if !t.e1.Ready() {
		return
	}
	t.e2.update(t.e1.value)
	if t.e2.Ready() {
		t.e3.update(t.e2.value)
	}
}

// Ready reports whether 3*Period-2 bars were seen.
func (t *TEMA) Ready() bool { return t.e3.Ready() }

// Lookback is 3*Period-2.
func (t *TEMA) Lookback() int { return 3*t.e1.period - 2 }

// Value is the TEMA (0 before Ready).
func (t *TEMA) Value() float64 {
	if !t.Ready() {
		return 0
	}
	return 3*t.e1.value - 3*t.e2.value + t.e3.value
}

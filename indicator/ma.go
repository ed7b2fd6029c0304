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

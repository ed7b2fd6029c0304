package indicator

// MFI is the money flow index: the share of the typical price times
// volume of the last Period bars that came on bars whose typical price
// rose, from 0 to 100 (as TA-Lib's MFI; a window with no money flow reads
// 50 where TA-Lib says 0).
type MFI struct {
	period  int
	pos     ring
	neg     ring
	sumPos  float64
	sumNeg  float64
	prevTP  float64
	started bool
}

// NewMFI returns an MFI over period bars (period >= 1).
func NewMFI(period int) *MFI { return &MFI{period: period, pos: newRing(period), neg: newRing(period)} }

// Update reads one closed bar.
func (m *MFI) Update(c Candle) {
	tp := (c.High + c.Low + c.Close) / 3
	if !m.started {
		m.prevTP, m.started = tp, true
		return
	}
	var up, down float64
	switch flow := tp * c.Volume; {
	case tp > m.prevTP:
		up = flow
	case tp < m.prevTP:
		down = flow
	}
	m.prevTP = tp
	if old, full := m.pos.push(up); full {
		m.sumPos -= old
	}
	if old, full := m.neg.push(down); full {
		m.sumNeg -= old
	}
	m.sumPos += up
	m.sumNeg += down
}

// Ready reports whether Period+1 bars were seen.
func (m *MFI) Ready() bool { return m.pos.full() }

// Lookback is Period+1.
func (m *MFI) Lookback() int { return m.period + 1 }

// Value is the MFI from 0 to 100 (0 before Ready).
func (m *MFI) Value() float64 {
	if !m.Ready() {
		return 0
	}
	// Running sums can drift a hair below zero after large flows leave.
	pos, neg := max(m.sumPos, 0), max(m.sumNeg, 0)
	if pos+neg <= 0 {
		return 50
	}
	return min(100*pos/(pos+neg), 100)
}

// OBV is Granville's on-balance volume: the first bar's volume, then each
// bar's volume added when the close rose and subtracted when it fell.
type OBV struct {
	value     float64
	prevClose float64
	started   bool
}

// NewOBV returns an OBV.
func NewOBV() *OBV { return &OBV{} }

// Update reads one closed bar.
func (o *OBV) Update(c Candle) {
	switch {
	case !o.started:
		o.value, o.started = c.Volume, true
	case c.Close > o.prevClose:
		o.value += c.Volume
	case c.Close < o.prevClose:
		o.value -= c.Volume
	}
	o.prevClose = c.Close
}

// Ready reports whether a bar was seen.
func (o *OBV) Ready() bool { return o.started }

// Lookback is 1.
func (o *OBV) Lookback() int { return 1 }

// Value is the running volume balance.
func (o *OBV) Value() float64 { return o.value }

// VWAP is the volume-weighted average of the typical price (H+L+C)/3:
// over every bar since the first when Period is 0, over the last Period
// bars otherwise. Bars carry no time here, so a daily reset is the
// strategy's to do (by building a new VWAP at the session start).
type VWAP struct {
	period int
	pv, v  ring
	sumPV  float64
	sumV   float64
	tp     float64
	n      int
}

// NewVWAP returns a VWAP since the first bar (period 0) or over period
// bars.
func NewVWAP(period int) *VWAP {
	w := &VWAP{period: period}
	if period > 0 {
		w.pv, w.v = newRing(period), newRing(period)
	}
	return w
}

// Update reads one closed bar.
func (w *VWAP) Update(c Candle) {
	w.tp = (c.High + c.Low + c.Close) / 3
	pv := w.tp * c.Volume
	if w.period > 0 {
		if old, full := w.pv.push(pv); full {
			w.sumPV -= old
		}
		if old, full := w.v.push(c.Volume); full {
			w.sumV -= old
		}
	}
	w.sumPV += pv
	w.sumV += c.Volume
	w.n++
}

// Ready reports whether Period bars (1 when cumulative) were seen.
func (w *VWAP) Ready() bool { return w.n >= w.Lookback() }

// Lookback is Period, or 1 when cumulative.
func (w *VWAP) Lookback() int { return max(w.period, 1) }

// Value is the VWAP (0 before Ready); the last typical price when no
// volume traded in the window.
func (w *VWAP) Value() float64 {
	if !w.Ready() {
		return 0
	}
	if w.sumV <= 0 {
		return w.tp
	}
	return w.sumPV / w.sumV
}

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

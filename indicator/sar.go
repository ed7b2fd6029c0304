package indicator

// SAR is Wilder's parabolic stop and reverse, as TA-Lib's SAR: the first
// trend is down when the second bar's low falls below the first's by more
// than its high rises, up otherwise; the acceleration factor starts at
// Step, grows by Step at each new extreme up to Max, and resets at each
// reversal; the stop never enters the last two bars' range.
type SAR struct {
	step, maxAF float64
	n           int
	long        bool
	sar, ep, af float64
	prev        Candle // the previous bar's high and low
	value       float64
}

// NewSAR returns a parabolic SAR with the acceleration step and maximum.
func NewSAR(step, maxAF float64) *SAR {
	if step > maxAF {
		step = maxAF
	}
	return &SAR{step: step, maxAF: maxAF}
}

// Update reads one closed bar.
func (s *SAR) Update(c Candle) {
	s.n++
	switch s.n {
	case 1:
		s.prev = c
		return
	case 2:
		up, down := c.High-s.prev.High, s.prev.Low-c.Low
		s.long = !(down > 0 && up < down)
		if s.long {
			s.ep, s.sar = c.High, s.prev.Low
		} else {
			s.ep, s.sar = c.Low, s.prev.High
		}
		s.af = s.step
		// TA-Lib takes the second bar as its own previous bar here.
		s.prev = c
	}
	prevLow, prevHigh := s.prev.Low, s.prev.High
	s.prev = c
	if s.long {
		if c.Low <= s.sar {
			s.long = false
			s.sar = max(s.ep, prevHigh, c.High)
			s.value = s.sar
			s.af, s.ep = s.step, c.Low
			s.sar += s.af * (s.ep - s.sar)
			s.sar = max(s.sar, prevHigh, c.High)
			return
		}
		s.value = s.sar
		if c.High > s.ep {
			s.ep = c.High
			s.af = min(s.af+s.step, s.maxAF)
		}
		s.sar += s.af * (s.ep - s.sar)
		s.sar = min(s.sar, prevLow, c.Low)
		return
	}
	if c.High >= s.sar {
		s.long = true
		s.sar = min(s.ep, prevLow, c.Low)
		s.value = s.sar
		s.af, s.ep = s.step, c.High
		s.sar += s.af * (s.ep - s.sar)
		s.sar = min(s.sar, prevLow, c.Low)
		return
	}
	s.value = s.sar
	if c.Low < s.ep {
		s.ep = c.Low
		s.af = min(s.af+s.step, s.maxAF)
	}
	s.sar += s.af * (s.ep - s.sar)
	s.sar = max(s.sar, prevHigh, c.High)
}

// Ready reports whether two bars were seen.
func (s *SAR) Ready() bool { return s.n >= 2 }

// Lookback is 2.
func (s *SAR) Lookback() int { return 2 }

// Value is the stop for the bar just read (0 before Ready): below the
// price in an up trend, above it in a down trend.
func (s *SAR) Value() float64 { return s.value }

// Long reports whether the trend is up after the bar just read.
func (s *SAR) Long() bool { return s.long }

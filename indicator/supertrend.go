package indicator

// SuperTrend follows TradingView's ta.supertrend: bands at the bar's
// midpoint (H+L)/2 +- Mult * ATR(Period) (Wilder's ATR, as ATR here); the
// upper band only falls and the lower only rises while the close stays
// inside them; the trend turns up when the close crosses above the upper
// band and down when it crosses below the lower. value is the lower band
// in an up trend and the upper band in a down trend; direction is +1 up,
// -1 down. The first ready bar starts in a down trend, as TradingView's.
type SuperTrend struct {
	atr          ATR
	mult         float64
	upper, lower float64
	prevClose    float64
	up           bool
	ready        bool
}

// NewSuperTrend returns a SuperTrend with an ATR over period bars.
func NewSuperTrend(period int, mult float64) *SuperTrend {
	return &SuperTrend{atr: *NewATR(period), mult: mult}
}

var superTrendOutputs = []string{"value", "direction"}

// Update reads one closed bar.
func (s *SuperTrend) Update(c Candle) {
	s.atr.Update(c)
	if !s.atr.Ready() {
		s.prevClose = c.Close
		return
	}
	mid, w := (c.High+c.Low)/2, s.mult*s.atr.avg.value
	upper, lower := mid+w, mid-w
	if !s.ready {
		s.upper, s.lower, s.up, s.ready = upper, lower, false, true
		s.prevClose = c.Close
		return
	}
	if upper < s.upper || s.prevClose > s.upper {
		s.upper = upper
	}
	if lower > s.lower || s.prevClose < s.lower {
		s.lower = lower
	}
	if s.up {
		s.up = c.Close >= s.lower
	} else {
		s.up = c.Close > s.upper
	}
	s.prevClose = c.Close
}

// Ready reports whether Period+1 bars were seen.
func (s *SuperTrend) Ready() bool { return s.ready }

// Lookback is Period+1.
func (s *SuperTrend) Lookback() int { return s.atr.Lookback() }

// Value is the trailing band (Output 0).
func (s *SuperTrend) Value() float64 { return s.Output(0) }

// Outputs are value and direction.
func (s *SuperTrend) Outputs() []string { return superTrendOutputs }

// Output returns value (0) or direction (1, +1 or -1); 0 before Ready.
func (s *SuperTrend) Output(i int) float64 {
	switch {
	case !s.ready:
		return 0
	case i == 0 && s.up:
		return s.lower
	case i == 0:
		return s.upper
	case s.up:
		return 1
	default:
		return -1
	}
}

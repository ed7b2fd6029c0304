package indicator

// position is where x lies in [lo, hi], from 0 to 100; 50 when the range
// is empty (TA-Lib says 0, which would read as oversold on a flat market).
func position(x, lo, hi float64) float64 {
	if hi-lo <= 0 {
		return 50
	}
	return 100 * (x - lo) / (hi - lo)
}

// kd smooths a raw stochastic into the k and d lines both stochastics
// show: k = SMA of the raw value, d = SMA of k.
type kd struct {
	k, d SMA
}

func newKD(k, d int) kd { return kd{k: *NewSMA(k), d: *NewSMA(d)} }

func (s *kd) update(raw float64) {
	s.k.update(raw)
	if s.k.Ready() {
		s.d.update(s.k.Value())
	}
}

func (s *kd) ready() bool { return s.d.Ready() }

// output is k (0) or d (1); 0 before ready.
func (s *kd) output(i int) float64 {
	switch {
	case !s.ready():
		return 0
	case i == 0:
		return s.k.Value()
	}
	return s.d.Value()
}

// Stochastic is Lane's slow stochastic oscillator, as TA-Lib's STOCH with
// simple averages: fast %K = where the close lies in the range of the last
// FastK bars (0 to 100); k = SMA(SlowK) of fast %K; d = SMA(SlowD) of k.
type Stochastic struct {
	hi, lo extreme
	kd
}

// NewStochastic returns a stochastic with the given windows.
func NewStochastic(fastK, slowK, slowD int) *Stochastic {
	return &Stochastic{hi: newMax(fastK), lo: newMin(fastK), kd: newKD(slowK, slowD)}
}

var stochOutputs = []string{"k", "d"}

// Update reads one closed bar.
func (s *Stochastic) Update(c Candle) {
	s.hi.push(c.High)
	s.lo.push(c.Low)
	if !s.hi.full() {
		return
	}
	s.kd.update(position(c.Close, s.lo.value(), s.hi.value()))
}

// Ready reports whether FastK+SlowK+SlowD-2 bars were seen.
func (s *Stochastic) Ready() bool { return s.kd.ready() }

// Lookback is FastK+SlowK+SlowD-2.
func (s *Stochastic) Lookback() int { return s.hi.n + s.k.period + s.d.period - 2 }

// Value is k (Output 0).
func (s *Stochastic) Value() float64 { return s.Output(0) }

// Outputs are k and d.
func (s *Stochastic) Outputs() []string { return stochOutputs }

// Output returns k (0) or d (1), from 0 to 100; 0 before Ready.
func (s *Stochastic) Output(i int) float64 { return s.kd.output(i) }

// StochRSI is the stochastic of the RSI as charting platforms show it:
// k = SMA(K) of where RSI(RSI) lies in its range over Stoch bars, d =
// SMA(D) of k; both 0 to 100.
type StochRSI struct {
	rsi    RSI
	hi, lo extreme
	kd
}

// NewStochRSI returns a stochastic RSI with the given windows.
func NewStochRSI(rsiPeriod, stochPeriod, k, d int) *StochRSI {
	return &StochRSI{rsi: *NewRSI(rsiPeriod), hi: newMax(stochPeriod), lo: newMin(stochPeriod), kd: newKD(k, d)}
}

// Update reads one closed bar's close.
func (s *StochRSI) Update(c Candle) {
	s.rsi.update(c.Close)
	if !s.rsi.Ready() {
		return
	}
	r := s.rsi.Value()
	s.hi.push(r)
	s.lo.push(r)
	if !s.hi.full() {
		return
	}
	s.kd.update(position(r, s.lo.value(), s.hi.value()))
}

// Ready reports whether RSI+Stoch+K+D-2 bars were seen.
func (s *StochRSI) Ready() bool { return s.kd.ready() }

// Lookback is RSI+Stoch+K+D-2.
func (s *StochRSI) Lookback() int { return s.rsi.Lookback() + s.hi.n + s.k.period + s.d.period - 3 }

// Value is k (Output 0).
func (s *StochRSI) Value() float64 { return s.Output(0) }

// Outputs are k and d.
func (s *StochRSI) Outputs() []string { return stochOutputs }

// Output returns k (0) or d (1), from 0 to 100; 0 before Ready.
func (s *StochRSI) Output(i int) float64 { return s.kd.output(i) }

// WilliamsR is Williams' %R: where the close lies below the highest high
// of the last Period bars, from -100 (at the lowest low) to 0 (at the
// highest high); -50 on a flat window (TA-Lib says 0).
type WilliamsR struct {
	hi, lo extreme
	value  float64
}

// NewWilliamsR returns a %R over period bars (period >= 1).
func NewWilliamsR(period int) *WilliamsR { return &WilliamsR{hi: newMax(period), lo: newMin(period)} }

// Update reads one closed bar.
func (w *WilliamsR) Update(c Candle) {
	w.hi.push(c.High)
	w.lo.push(c.Low)
	w.value = position(c.Close, w.lo.value(), w.hi.value()) - 100
}

// Ready reports whether Period bars were seen.
func (w *WilliamsR) Ready() bool { return w.hi.full() }

// Lookback is Period.
func (w *WilliamsR) Lookback() int { return w.hi.n }

// Value is %R from -100 to 0 (0 before Ready).
func (w *WilliamsR) Value() float64 {
	if !w.Ready() {
		return 0
	}
	return w.value
}

package indicator

// MACD is Appel's moving average convergence/divergence of the close:
// macd = EMA(Fast) - EMA(Slow), signal = EMA(Signal) of macd, hist = macd
// - signal. As in TA-Lib, the fast EMA starts Slow-Fast bars late, so both
// EMAs are seeded (with simple averages) on the same bar.
type MACD struct {
	fast, slow, sig EMA
	skip            int // bars before the fast EMA starts
	n               int
}

// NewMACD returns a MACD; fast and slow are swapped if given in the wrong
// order.
func NewMACD(fast, slow, signal int) *MACD {
	if fast > slow {
		fast, slow = slow, fast
	}
	return &MACD{fast: *NewEMA(fast), slow: *NewEMA(slow), sig: *NewEMA(signal), skip: slow - fast}
}

var macdOutputs = []string{"macd", "signal", "hist"}

// Update reads one closed bar's close.
func (m *MACD) Update(c Candle) {
	m.slow.update(c.Close)
	if m.n >= m.skip {
		m.fast.update(c.Close)
	}
	m.n++
	if m.slow.Ready() {
		m.sig.update(m.fast.value - m.slow.value)
	}
}

// Ready reports whether Slow+Signal-1 bars were seen.
func (m *MACD) Ready() bool { return m.sig.Ready() }

// Lookback is Slow+Signal-1.
func (m *MACD) Lookback() int { return m.slow.period + m.sig.period - 1 }

// Value is the macd line (Output 0).
func (m *MACD) Value() float64 { return m.Output(0) }

// Outputs are macd, signal and hist.
func (m *MACD) Outputs() []string { return macdOutputs }

// Output returns macd (0), signal (1) or hist (2); 0 before Ready.
func (m *MACD) Output(i int) float64 {
	if !m.Ready() {
		return 0
	}
	line := m.fast.value - m.slow.value
	switch i {
	case 0:
		return line
	case 1:
		return m.sig.value
	default:
		return line - m.sig.value
	}
}

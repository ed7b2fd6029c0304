package indicator

import "time"

// Candle is the float view of one closed bar that indicators read.
// Indicators compute in float64; money stays decimal on the order path, so
// strategies compare indicator values but never send them.
type Candle struct {
	Open, High, Low, Close, Volume float64
	// Start is the bar's start. Only an indicator that starts again at a
	// session boundary (a VWAP with a session) reads it.
	Start time.Time
}

// Indicator is a streaming indicator: O(1) per Update, no allocation per
// Update.
type Indicator interface {
	// Update reads one closed bar.
	Update(c Candle)
	// Ready reports whether enough bars were seen for Value to mean
	// something.
	Ready() bool
	// Lookback is the number of bars needed before Ready, used to size a
	// strategy's warm-up.
	Lookback() int
	// Value is the primary output: 0 before Ready, never NaN once Ready.
	Value() float64
}

// MultiOutput is implemented by indicators with several outputs (MACD:
// macd, signal, hist; Bollinger: upper, middle, lower ...). Output names
// are lower-case identifiers usable in expressions.
type MultiOutput interface {
	// Outputs names the outputs; Output(i) is the value of Outputs()[i].
	Outputs() []string
	// Output is the value of output i: 0 before Ready.
	Output(i int) float64
}

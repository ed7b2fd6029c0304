package indicator

import "math"

// Bollinger is Bollinger Bands of the close: middle = SMA(Period), upper
// and lower = middle +- K population standard deviations over the same
// window (as TA-Lib's BBANDS with an SMA).
type Bollinger struct {
	period int
	k      float64
	win    ring
	shift  float64 // first value seen; sums are of x-shift to keep precision
	sum    float64
	sumSq  float64
}

// NewBollinger returns bands over period bars, k deviations wide.
func NewBollinger(period int, k float64) *Bollinger {
	return &Bollinger{period: period, k: k, win: newRing(period)}
}

var bandOutputs = []string{"upper", "middle", "lower"}

// Update reads one closed bar's close.
func (b *Bollinger) Update(c Candle) {
	if b.win.n == 0 {
		b.shift = c.Close
	}
	x := c.Close - b.shift
	old, full := b.win.push(x)
	if full {
		b.sum -= old
		b.sumSq -= old * old
	}
	b.sum += x
	b.sumSq += x * x
}

// Ready reports whether Period bars were seen.
func (b *Bollinger) Ready() bool { return b.win.full() }

// Lookback is Period.
func (b *Bollinger) Lookback() int { return b.period }

// Value is the upper band (Output 0).
func (b *Bollinger) Value() float64 { return b.Output(0) }

// Outputs are upper, middle and lower.
func (b *Bollinger) Outputs() []string { return bandOutputs }

// Output returns upper (0), middle (1) or lower (2); 0 before Ready.
func (b *Bollinger) Output(i int) float64 {
	if !b.Ready() {
		return 0
	}
	n := float64(b.period)
	mean := b.sum / n
	// Rounding can leave a tiny negative variance on a flat window.
	sd := math.Sqrt(math.Max(0, b.sumSq/n-mean*mean))
	mid := mean + b.shift
	switch i {
	case 0:
		return mid + b.k*sd
	case 1:
		return mid
	default:
		return mid - b.k*sd
	}
}

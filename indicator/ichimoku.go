package indicator

// Ichimoku is the Ichimoku cloud as TradingView draws it, read at the
// current bar: tenkan and kijun are the midpoints of the highest high and
// lowest low over Tenkan and Kijun bars; the cloud's senkou_a ((tenkan +
// kijun)/2) and senkou_b (midpoint over SenkouB bars) are those computed
// Displacement-1 bars ago, which is where TradingView draws them; chikou is
// the close, which the chart draws Displacement-1 bars back (compare it
// with close[Displacement-1] in a rule).
type Ichimoku struct {
	tenkanHi, tenkanLo extreme
	kijunHi, kijunLo   extreme
	spanHi, spanLo     extreme
	spanA, spanB       ring // spans computed on the last Displacement bars
	close              float64
	n, lookback        int
}

// NewIchimoku returns an Ichimoku cloud with the given windows and
// displacement (>= 1).
func NewIchimoku(tenkan, kijun, senkouB, displacement int) *Ichimoku {
	return &Ichimoku{
		tenkanHi: newMax(tenkan), tenkanLo: newMin(tenkan),
		kijunHi: newMax(kijun), kijunLo: newMin(kijun),
		spanHi: newMax(senkouB), spanLo: newMin(senkouB),
		spanA: newRing(displacement), spanB: newRing(displacement),
		lookback: max(tenkan, kijun, senkouB) + displacement - 1,
	}
}

var ichimokuOutputs = []string{"tenkan", "kijun", "senkou_a", "senkou_b", "chikou"}

// Update reads one closed bar.
func (ic *Ichimoku) Update(c Candle) {
	ic.tenkanHi.push(c.High)
	ic.tenkanLo.push(c.Low)
	ic.kijunHi.push(c.High)
	ic.kijunLo.push(c.Low)
	ic.spanHi.push(c.High)
	ic.spanLo.push(c.Low)
	ic.spanA.push((ic.tenkan() + ic.kijun()) / 2)
	ic.spanB.push((ic.spanHi.value() + ic.spanLo.value()) / 2)
	ic.close = c.Close
	ic.n++
}

func (ic *Ichimoku) tenkan() float64 { return (ic.tenkanHi.value() + ic.tenkanLo.value()) / 2 }
func (ic *Ichimoku) kijun() float64  { return (ic.kijunHi.value() + ic.kijunLo.value()) / 2 }

// Ready reports whether the cloud of the current bar is known:
// max(Tenkan, Kijun, SenkouB) + Displacement - 1 bars.
func (ic *Ichimoku) Ready() bool { return ic.n >= ic.lookback }

// Lookback is max(Tenkan, Kijun, SenkouB) + Displacement - 1.
func (ic *Ichimoku) Lookback() int { return ic.lookback }

// Value is tenkan (Output 0).
func (ic *Ichimoku) Value() float64 { return ic.Output(0) }

// Outputs are tenkan, kijun, senkou_a, senkou_b and chikou.
func (ic *Ichimoku) Outputs() []string { return ichimokuOutputs }

// Output returns tenkan (0), kijun (1), senkou_a (2), senkou_b (3) or
// chikou (4); 0 before Ready.
func (ic *Ichimoku) Output(i int) float64 {
	if !ic.Ready() {
		return 0
	}
	switch i {
	case 0:
		return ic.tenkan()
	case 1:
		return ic.kijun()
	case 2:
		return ic.spanA.ago(len(ic.spanA.buf) - 1)
	case 3:
		return ic.spanB.ago(len(ic.spanB.buf) - 1)
	default:
		return ic.close
	}
}

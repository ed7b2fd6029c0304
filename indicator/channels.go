package indicator

// Donchian is the Donchian channel: upper = highest high and lower =
// lowest low of the last Period bars, middle halfway between.
type Donchian struct {
	hi, lo extreme
}

// NewDonchian returns a channel over period bars (period >= 1).
func NewDonchian(period int) *Donchian { return &Donchian{hi: newMax(period), lo: newMin(period)} }

// Update reads one closed bar.
func (d *Donchian) Update(c Candle) {
	d.hi.push(c.High)
	d.lo.push(c.Low)
}

// Ready reports whether Period bars were seen.
func (d *Donchian) Ready() bool { return d.hi.full() }

// Lookback is Period.
func (d *Donchian) Lookback() int { return d.hi.n }

// Value is the upper band (Output 0).
func (d *Donchian) Value() float64 { return d.Output(0) }

// Outputs are upper, middle and lower.
func (d *Donchian) Outputs() []string { return bandOutputs }

// Output returns upper (0), middle (1) or lower (2); 0 before Ready.
func (d *Donchian) Output(i int) float64 {
	if !d.Ready() {
		return 0
	}
	switch i {
	case 0:
		return d.hi.value()
	case 1:
		return (d.hi.value() + d.lo.value()) / 2
	default:
		return d.lo.value()
	}
}

// Keltner is the Keltner channel as charting platforms draw it: middle =
// EMA(Period) of the close, upper and lower = middle +- Mult * ATR(ATR).
type Keltner struct {
	ema  EMA
	atr  ATR
	mult float64
}

// NewKeltner returns a channel around an EMA over period bars, mult ATRs
// over atrPeriod bars wide.
func NewKeltner(period int, mult float64, atrPeriod int) *Keltner {
	return &Keltner{ema: *NewEMA(period), atr: *NewATR(atrPeriod), mult: mult}
}

// Update reads one closed bar.
func (k *Keltner) Update(c Candle) {
	k.ema.update(c.Close)
	k.atr.Update(c)
}

// Ready reports whether both the EMA and the ATR are.
func (k *Keltner) Ready() bool { return k.ema.Ready() && k.atr.Ready() }

// Lookback is the longer of Period and ATR+1.
func (k *Keltner) Lookback() int { return max(k.ema.Lookback(), k.atr.Lookback()) }

// Value is the upper band (Output 0).
func (k *Keltner) Value() float64 { return k.Output(0) }

// Outputs are upper, middle and lower.
func (k *Keltner) Outputs() []string { return bandOutputs }

// Output returns upper (0), middle (1) or lower (2); 0 before Ready.
func (k *Keltner) Output(i int) float64 {
	if !k.Ready() {
		return 0
	}
	mid, w := k.ema.value, k.mult*k.atr.avg.value
	switch i {
	case 0:
		return mid + w
	case 1:
		return mid
	default:
		return mid - w
	}
}

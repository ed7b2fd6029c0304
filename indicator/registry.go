package indicator

func init() {
	pr := func(def float64) []Param { return []Param{{Name: "period", Default: def, Doc: "bars in the window"}} }
	register(Spec{Name: "sma", Params: pr(20), Doc: "simple moving average of the close"},
		[]kind{period}, func(a args) Indicator { return NewSMA(a.int(0)) })
	register(Spec{Name: "ema", Params: pr(20), Doc: "exponential moving average of the close, seeded with the SMA"},
		[]kind{period}, func(a args) Indicator { return NewEMA(a.int(0)) })
	register(Spec{Name: "rsi", Params: pr(14), Doc: "Wilder's relative strength index of the close, 0 to 100"},
		[]kind{period}, func(a args) Indicator { return NewRSI(a.int(0)) })
}

package indicator

import "time"

// The rules language, `tradebot strategies` and docs/INDICATORS.md read
// these specs; defaults are the usual ones of charting platforms.
func init() {
	pr := func(def float64) []Param { return []Param{{Name: "period", Default: def, Doc: "bars in the window"}} }
	// overPrice marks an indicator whose values are prices (Spec.Overlay).
	const overPrice, ownPane = true, false
	single := func(name string, def float64, overlay bool, doc string, build func(n int) Indicator) {
		register(Spec{Name: name, Params: pr(def), Doc: doc, Overlay: overlay}, []kind{period}, func(a args) Indicator { return build(a.int(0)) })
	}
	single("sma", 20, overPrice, "simple moving average of the close", func(n int) Indicator { return NewSMA(n) })
	single("ema", 20, overPrice, "exponential moving average of the close, seeded with the SMA", func(n int) Indicator { return NewEMA(n) })
	single("wma", 20, overPrice, "linearly weighted moving average of the close", func(n int) Indicator { return NewWMA(n) })
	single("dema", 20, overPrice, "double exponential moving average of the close", func(n int) Indicator { return NewDEMA(n) })
	single("tema", 20, overPrice, "triple exponential moving average of the close", func(n int) Indicator { return NewTEMA(n) })
	single("rsi", 14, ownPane, "Wilder's relative strength index of the close, 0 to 100", func(n int) Indicator { return NewRSI(n) })
	single("atr", 14, ownPane, "Wilder's average true range", func(n int) Indicator { return NewATR(n) })
	single("cci", 20, ownPane, "commodity channel index of the typical price", func(n int) Indicator { return NewCCI(n) })
	single("mfi", 14, ownPane, "money flow index, 0 to 100", func(n int) Indicator { return NewMFI(n) })
	single("roc", 10, ownPane, "rate of change of the close in percent", func(n int) Indicator { return NewROC(n) })
	single("willr", 14, ownPane, "Williams %R, -100 to 0", func(n int) Indicator { return NewWilliamsR(n) })

	register(Spec{Name: "obv", Doc: "on-balance volume"}, nil, func(args) Indicator { return NewOBV() })
	register(Spec{Name: "vwap", Params: []Param{
		{Name: "period", Default: 0, Doc: "bars in the window; 0 for every bar since the first (of the session)"},
		{Name: "session", Default: 0, Doc: "hours after which it starts again, from UTC midnight (24: daily); 0 for never"},
	}, Doc: "volume-weighted average of the typical price", Overlay: overPrice},
		[]kind{count0, sessionH}, func(a args) Indicator { return newVWAP(a.int(0), time.Duration(a.int(1))*time.Hour) })
	register(Spec{Name: "macd", Params: []Param{
		{Name: "fast", Default: 12, Doc: "bars of the fast EMA"},
		{Name: "slow", Default: 26, Doc: "bars of the slow EMA"},
		{Name: "signal", Default: 9, Doc: "bars of the EMA of the macd line"},
	}, Outputs: macdOutputs, Doc: "moving average convergence/divergence: fast EMA - slow EMA, its signal EMA and their difference"},
		[]kind{period, period, period}, func(a args) Indicator { return NewMACD(a.int(0), a.int(1), a.int(2)) })
	register(Spec{Name: "bbands", Params: []Param{
		{Name: "period", Default: 20, Doc: "bars of the SMA and the deviation"},
		{Name: "k", Default: 2, Doc: "band width in standard deviations"},
	}, Outputs: bandOutputs, Doc: "Bollinger Bands: SMA of the close +- k standard deviations", Overlay: overPrice},
		[]kind{period, positive}, func(a args) Indicator { return NewBollinger(a.int(0), a[1]) })
	register(Spec{Name: "adx", Params: pr(14), Outputs: adxOutputs,
		Doc: "Wilder's average directional index with the +DI and -DI lines, 0 to 100"},
		[]kind{period}, func(a args) Indicator { return NewADX(a.int(0)) })
	register(Spec{Name: "stoch", Params: []Param{
		{Name: "k_period", Default: 14, Doc: "bars of the high-low range"},
		{Name: "k_smooth", Default: 3, Doc: "bars of the SMA that makes k"},
		{Name: "d_period", Default: 3, Doc: "bars of the SMA of k that makes d"},
	}, Outputs: stochOutputs, Doc: "slow stochastic oscillator, 0 to 100"},
		[]kind{period, period, period}, func(a args) Indicator { return NewStochastic(a.int(0), a.int(1), a.int(2)) })
	register(Spec{Name: "stochrsi", Params: []Param{
		{Name: "rsi_period", Default: 14, Doc: "bars of the RSI"},
		{Name: "stoch_period", Default: 14, Doc: "RSI values in the high-low range"},
		{Name: "k_smooth", Default: 3, Doc: "bars of the SMA that makes k"},
		{Name: "d_period", Default: 3, Doc: "bars of the SMA of k that makes d"},
	}, Outputs: stochOutputs, Doc: "stochastic oscillator of the RSI, 0 to 100"},
		[]kind{period, period, period, period}, func(a args) Indicator {
			return NewStochRSI(a.int(0), a.int(1), a.int(2), a.int(3))
		})
	register(Spec{Name: "donchian", Params: pr(20), Outputs: bandOutputs,
		Doc: "Donchian channel: highest high, midpoint, lowest low", Overlay: overPrice},
		[]kind{period}, func(a args) Indicator { return NewDonchian(a.int(0)) })
	register(Spec{Name: "keltner", Params: []Param{
		{Name: "period", Default: 20, Doc: "bars of the EMA of the close"},
		{Name: "mult", Default: 2, Doc: "band width in ATRs"},
		{Name: "atr_period", Default: 10, Doc: "bars of the ATR"},
	}, Outputs: bandOutputs, Doc: "Keltner channel: EMA of the close +- mult ATRs", Overlay: overPrice},
		[]kind{period, positive, period}, func(a args) Indicator { return NewKeltner(a.int(0), a[1], a.int(2)) })
	register(Spec{Name: "supertrend", Params: []Param{
		{Name: "period", Default: 10, Doc: "bars of the ATR"},
		{Name: "mult", Default: 3, Doc: "band distance in ATRs"},
	}, Outputs: superTrendOutputs, Doc: "SuperTrend trailing band and direction (+1 up, -1 down)", Overlay: overPrice},
		[]kind{period, positive}, func(a args) Indicator { return NewSuperTrend(a.int(0), a[1]) })
	register(Spec{Name: "sar", Params: []Param{
		{Name: "step", Default: 0.02, Doc: "acceleration factor step"},
		{Name: "max", Default: 0.2, Doc: "largest acceleration factor"},
	}, Doc: "Wilder's parabolic stop and reverse", Overlay: overPrice},
		[]kind{positive, positive}, func(a args) Indicator { return NewSAR(a[0], a[1]) })
	register(Spec{Name: "ichimoku", Params: []Param{
		{Name: "tenkan", Default: 9, Doc: "bars of the conversion line"},
		{Name: "kijun", Default: 26, Doc: "bars of the base line"},
		{Name: "senkou_b", Default: 52, Doc: "bars of the second span"},
		{Name: "displacement", Default: 26, Doc: "bars the cloud is drawn ahead"},
	}, Outputs: ichimokuOutputs, Doc: "Ichimoku cloud read at the current bar", Overlay: overPrice},
		[]kind{period, period, period, period}, func(a args) Indicator {
			return NewIchimoku(a.int(0), a.int(1), a.int(2), a.int(3))
		})
}

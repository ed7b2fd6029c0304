package indicator

// ReadsOnlyClose reports whether ind reads only each bar's close: a
// strategy whose indicators all do, and which reads no other value of
// its bars, can have them built from closes alone
// (bars.Options.ClosesOnly), without a high, low and volume per trade.
func ReadsOnlyClose(ind Indicator) bool {
	_, ok := ind.(closeReader)
	return ok
}

// closeReader is implemented by the indicators of the close alone.
type closeReader interface{ readsOnlyClose() }

func (*SMA) readsOnlyClose()       {}
func (*EMA) readsOnlyClose()       {}
func (*WMA) readsOnlyClose()       {}
func (*DEMA) readsOnlyClose()      {}
func (*TEMA) readsOnlyClose()      {}
func (*RSI) readsOnlyClose()       {}
func (*ROC) readsOnlyClose()       {}
func (*MACD) readsOnlyClose()      {}
func (*Bollinger) readsOnlyClose() {}
func (*StochRSI) readsOnlyClose()  {}

// Package marketdata reads the market data files tradebot replays and
// backtests on, writes tradebot's own tick recording format, and replays
// ticks at a chosen speed.
//
// # Formats
//
// Open detects a file's format from its content (gzip or plain):
//
//   - tradebot recordings (.tbrec): "#tradebot-recording v1", then
//     "T <unix_ns> <product> <price> <size> <B|S>" trade lines and
//     "Q <unix_ns> <product> <bid> <bid_size> <ask> <ask_size>" quote
//     lines. Writer writes them, Reader reads them; decimals keep the
//     text the venue sent.
//   - raw Binance spot captures ("<local_ns> <combined-stream JSON>", as
//     hftbacktest records them): trade and bookTicker become ticks, depth
//     is skipped; ConvertBinanceCapture turns one into a recording.
//   - cryptofeed raw recordings of the Coinbase Exchange feed
//     ("<unix_s.frac>: <json>"): match and last_match become trades.
//   - gocryptotrader trades CSV (unix_s,price,amount,side).
//   - one-minute (or any interval) candles: nautilus_trader bar CSV,
//     freqtrade JSON, gocryptotrader candle CSV
//     (unix_s,volume,open,high,low,close) and Coinbase candles (the REST
//     answer, a JSON array, or JSON lines as CandleWriter writes them).
//
// A Source holds either ticks or candles. Candle readers report gaps
// (Source.Gaps, OnGap) and never fill them; a candle whose high or low
// does not cover its open and close is widened and counted
// (Source.Widened). A product id comes from the file when it names one,
// else from DefaultProduct; a file with neither is an error. Every
// parse error is a *ParseError naming the file, the line and the field.
//
// # Time base
//
// Ticks carry the time they were recorded at. For Binance captures that
// is the local receive time of every message (bookTicker has no venue
// time, and one clock keeps trades and quotes in file order). nautilus
// bar timestamps are taken as the bar's close, as nautilus stamps them,
// and every other candle format's as the bar's start; Candle.Start is
// always the start.
//
// # The OHLC path assumption
//
// A backtest over candles trades on ticks made by CandleTicks: each
// candle becomes four trades, open, then the extreme nearer the open,
// then the other extreme, then close (open, low, high, close when
// open-low < high-open; otherwise open, high, low, close), spread
// evenly from the candle's start to its last nanosecond. So when one
// candle reaches both a stop below and a target above, the one nearer
// the open fills first. This is the common assumption, and only that:
// the true order inside a candle is unknown, and results that hinge on
// it should be checked on tick data.
//
// # Replay
//
// Replayer delivers ticks at Speed times real time, scheduling every
// tick from the replay's start so that it never drifts, or as fast as
// possible for backtests. Loop turns a short recording into an endless
// feed whose times keep increasing, for paper trading on the recording
// that package marketdata/bundled embeds in the binary.
//
// # Speed
//
// Backtests read millions of lines, so the parsers work on byte slices:
// decimals are built from an int64 mantissa and scale (decimal.New),
// product ids are interned, and lines are not copied. See the benchmarks
// in bench_test.go.
package marketdata

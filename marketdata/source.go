package marketdata

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// TickSource yields ticks in file order, then io.EOF.
type TickSource interface {
	Next() (exchange.Tick, error)
}

// Format names a data file format this package reads.
type Format string

// The formats Open detects. Tick formats: Recording, BinanceCapture,
// CryptofeedCoinbase, GocryptotraderTrades. Candle formats: the others.
const (
	Recording             Format = "tradebot-recording"
	BinanceCapture        Format = "binance-capture"
	CryptofeedCoinbase    Format = "cryptofeed-coinbase"
	GocryptotraderTrades  Format = "gocryptotrader-trades-csv"
	NautilusCSV           Format = "nautilus-bars-csv"
	FreqtradeJSON         Format = "freqtrade-json"
	GocryptotraderCandles Format = "gocryptotrader-candles-csv"
	CoinbaseCandles       Format = "coinbase-candles-json"
)

// Source is an opened data file: exactly one of Ticks and Candles is
// set, according to what the file holds. Close it when done.
type Source struct {
	Name    string
	Format  Format
	Ticks   TickSource
	Candles CandleSource

	candles *candleStream
	closers []io.Closer
}

// TickStream returns the file's ticks: the ticks themselves, or for a
// candle file the ticks of CandleTicks for each candle.
func (s *Source) TickStream() TickSource {
	if s.Ticks != nil {
		return s.Ticks
	}
	return TicksFromCandles(s.Candles)
}

// Gaps returns the missing candle runs met so far (all of them once
// Candles returned io.EOF); nil for tick files.
func (s *Source) Gaps() []Gap {
	if s.candles == nil {
		return nil
	}
	return s.candles.Gaps()
}

// Widened returns how many candles so far had a high or low that did not
// cover their open and close and was widened to do so; a backtest should
// report it, since those candles' extremes are guesses.
func (s *Source) Widened() int {
	if s.candles == nil {
		return 0
	}
	return s.candles.Widened()
}

// Interval returns the candle interval (zero for tick files, and before
// the first candle was read).
func (s *Source) Interval() time.Duration {
	if s.candles == nil {
		return 0
	}
	return s.candles.Interval()
}

// Close releases the file and any decompressor.
func (s *Source) Close() error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

// Option adjusts how Open reads a file.
type Option func(*options)

type options struct {
	product   string
	interval  time.Duration
	onGap     func(Gap)
	unordered bool
}

// DefaultProduct sets the product id of a file that names none (every
// candle format but Coinbase's, and gocryptotrader trades). A product
// named in the file wins.
func DefaultProduct(id string) Option { return func(o *options) { o.product = id } }

// CandleInterval fixes the candle interval instead of inferring it from
// the smallest step among the first candles.
func CandleInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// OnGap calls f for each gap as the candle reader meets it.
func OnGap(f func(Gap)) Option { return func(o *options) { o.onGap = f } }

// Open opens a market data file, plain or gzip, and detects its format
// from its content (never from its name). An unrecognised file is an
// error naming it and wrapping ErrUnknownFormat.
func Open(path string, opts ...Option) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := OpenReader(path, f, opts...)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closers = append([]io.Closer{f}, s.closers...)
	return s, nil
}

// OpenReader is Open on a stream; name is used in errors. Closing the
// Source does not close r.
func OpenReader(name string, r io.Reader, opts ...Option) (*Source, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	br, closer, err := decompress(name, r)
	if err != nil {
		return nil, err
	}
	s := &Source{Name: name}
	if closer != nil {
		s.closers = append(s.closers, closer)
	}
	format, err := detect(name, br)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Format = format
	if o.product == "" && !namesProduct(format) {
		s.Close()
		return nil, &ParseError{File: name, Line: 1, Err: errNoProduct}
	}
	lines := newLineReader(name, br)
	var parser candleParser
	stream := &candleStream{name: name, interval: o.interval, product: o.product, onGap: o.onGap, unordered: o.unordered}
	switch format {
	case Recording:
		s.Ticks = &Reader{lines: lines}
	case BinanceCapture:
		s.Ticks = &binanceReader{lines: lines}
	case CryptofeedCoinbase:
		s.Ticks = &cryptofeedReader{lines: lines}
	case GocryptotraderTrades:
		s.Ticks = &gctTradeReader{lines: lines, product: o.product}
	case NautilusCSV:
		parser = &nautilusReader{lines: lines}
		stream.closeTimes = true
	case FreqtradeJSON:
		parser = newFreqtradeReader(name, br)
	case GocryptotraderCandles:
		parser = &gctCandleReader{lines: lines}
	case CoinbaseCandles:
		parser, err = newCoinbaseCandleReader(name, br, lines)
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.Ticks != nil && !o.unordered {
		s.Ticks = &orderedTicks{src: s.Ticks, lines: lines}
	}
	if parser != nil {
		stream.parser = parser
		s.candles = stream
		s.Candles = stream
	}
	return s, nil
}

// namesProduct reports whether a format can carry its product id; the
// others need DefaultProduct, and refusing them at Open is clearer than
// failing at the first candle.
func namesProduct(f Format) bool {
	return f == Recording || f == BinanceCapture || f == CryptofeedCoinbase || f == CoinbaseCandles
}

// detectWindow is how much of a file detection looks at.
const detectWindow = 4096

// detect recognises a format from the start of the content.
func detect(name string, br *bufio.Reader) (Format, error) {
	head, err := br.Peek(detectWindow)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	first := head
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = bytes.TrimSuffix(first, []byte{'\r'})
	trimmed := skipSpace(head)
	switch {
	case bytes.HasPrefix(first, []byte(RecordingHeader)):
		return Recording, nil
	case bytes.EqualFold(bytes.ReplaceAll(first, []byte(" "), nil), []byte("timestamp,open,high,low,close,volume")):
		return NautilusCSV, nil
	case len(trimmed) > 0 && trimmed[0] == '[':
		rest := skipSpace(trimmed[1:])
		if len(rest) > 0 && rest[0] == '{' {
			return CoinbaseCandles, nil
		}
		return FreqtradeJSON, nil
	case len(trimmed) > 0 && trimmed[0] == '{':
		return CoinbaseCandles, nil
	}
	if sp := bytes.IndexByte(first, ' '); sp > 0 && isDigits(first[:sp]) && bytes.HasPrefix(skipSpace(first[sp+1:]), []byte("{")) {
		return BinanceCapture, nil
	}
	if isCryptofeedLine(first) {
		return CryptofeedCoinbase, nil
	}
	if f := bytes.Split(first, []byte(",")); len(f) > 1 && isDigits(f[0]) {
		switch {
		case len(f) == 4:
			return GocryptotraderTrades, nil
		case len(f) == 6:
			return GocryptotraderCandles, nil
		}
	}
	if len(head) == 0 {
		// "starts with \"\"" read as a file of some unknown content.
		return "", &ParseError{File: name, Line: 1, Err: fmt.Errorf("%w: the file is empty", ErrUnknownFormat)}
	}
	return "", &ParseError{File: name, Line: 1, Err: fmt.Errorf("%w: starts with %s", ErrUnknownFormat, quote(first))}
}

// isCryptofeedLine recognises the first line of a cryptofeed raw
// recording: "<ws url> <-> <time>" (the connection), or a message line
// "<unix seconds>: {".
func isCryptofeedLine(b []byte) bool {
	if bytes.HasPrefix(b, []byte("wss://")) || bytes.HasPrefix(b, []byte("ws://")) {
		return bytes.Contains(b, []byte(" <-> ")) || bytes.Contains(b, []byte(" <- "))
	}
	colon := bytes.Index(b, []byte(": {"))
	if colon <= 0 {
		return false
	}
	whole, frac, _ := bytes.Cut(b[:colon], []byte("."))
	return isDigits(whole) && (len(frac) == 0 || isDigits(frac))
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

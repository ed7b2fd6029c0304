package marketdata

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// Writer writes ticks in the recording format (see RecordingHeader). The
// header is written first, even for a recording with no ticks. A Writer
// is not safe for concurrent use: one goroutine, the recorder, owns it.
//
// The first error sticks: every later call returns it, so a recorder can
// check once at Flush or Close.
type Writer struct {
	bw   *bufio.Writer
	gz   *gzip.Writer
	line []byte
	err  error
}

// NewWriter returns a Writer of a plain-text recording to w.
func NewWriter(w io.Writer) *Writer {
	rw := &Writer{bw: bufio.NewWriterSize(w, 64<<10)}
	rw.writeHeader()
	return rw
}

// NewGzipWriter returns a Writer of a gzip-compressed recording to w, at
// a compress/gzip level (gzip.DefaultCompression, gzip.BestCompression).
// The gzip header carries no name and no time, so the same ticks always
// give the same bytes.
func NewGzipWriter(w io.Writer, level int) (*Writer, error) {
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("recording writer: %w", err)
	}
	rw := &Writer{gz: gz, bw: bufio.NewWriterSize(gz, 64<<10)}
	rw.writeHeader()
	return rw, nil
}

func (w *Writer) writeHeader() {
	w.line = append(w.line[:0], RecordingHeader...)
	w.line = append(w.line, '\n')
	_, w.err = w.bw.Write(w.line)
}

// WriteTick writes a trade or quote tick, using Time. Decimals keep their
// scale: a price parsed from "61837.63000000" is written the same way.
func (w *Writer) WriteTick(t exchange.Tick) error {
	if w.err != nil {
		return w.err
	}
	switch t.Kind {
	case exchange.TradeTick:
		side, err := sideLetter(t.TakerSide)
		if err != nil {
			return err
		}
		return w.emit('T', t.Time.UnixNano(), t.ProductID, side, t.Price, t.Size)
	case exchange.QuoteTick:
		return w.emit('Q', t.Time.UnixNano(), t.ProductID, 0, t.Bid, t.BidSize, t.Ask, t.AskSize)
	}
	return fmt.Errorf("recording writer: tick kind %d is neither trade nor quote", t.Kind)
}

func (w *Writer) emit(kind byte, nanos int64, product string, side byte, ds ...decimal.Decimal) error {
	if err := w.start(kind, nanos, []byte(product)); err != nil {
		return err
	}
	for _, d := range ds {
		w.line = append(w.line, ' ')
		w.line = appendDecimal(w.line, d)
	}
	if side != 0 {
		w.line = append(w.line, ' ', side)
	}
	return w.finish()
}

// WriteTrade writes a trade with its decimals given as the venue's text,
// which is written unchanged after checking that it is a decimal number.
// taker is the aggressor. Coinbase's market_trades channel reports the
// maker's side, so a recorder of that channel passes its Opposite.
func (w *Writer) WriteTrade(nanos int64, product, price, size string, taker exchange.Side) error {
	side, err := sideLetter(taker)
	if err != nil {
		return err
	}
	return w.writeTrade(nanos, []byte(product), []byte(price), []byte(size), side)
}

// WriteQuote writes a best bid and ask with decimals given as the
// venue's text, written unchanged after checking each is a number.
func (w *Writer) WriteQuote(nanos int64, product, bid, bidSize, ask, askSize string) error {
	return w.writeQuote(nanos, []byte(product), []byte(bid), []byte(bidSize), []byte(ask), []byte(askSize))
}

// writeTrade is WriteTrade on byte slices, for converters that hold the
// text in a read buffer.
func (w *Writer) writeTrade(nanos int64, product, price, size []byte, side byte) error {
	if err := w.start('T', nanos, product); err != nil {
		return err
	}
	if err := w.text("price", price); err != nil {
		return err
	}
	if err := w.text("size", size); err != nil {
		return err
	}
	w.line = append(w.line, ' ', side)
	return w.finish()
}

func (w *Writer) writeQuote(nanos int64, product, bid, bidSize, ask, askSize []byte) error {
	if err := w.start('Q', nanos, product); err != nil {
		return err
	}
	for _, f := range [...]struct {
		name string
		text []byte
	}{{"bid", bid}, {"bid_size", bidSize}, {"ask", ask}, {"ask_size", askSize}} {
		if err := w.text(f.name, f.text); err != nil {
			return err
		}
	}
	return w.finish()
}

func (w *Writer) start(kind byte, nanos int64, product []byte) error {
	if w.err != nil {
		return w.err
	}
	if nanos < 0 {
		return fmt.Errorf("recording writer: time %d ns is before 1970", nanos)
	}
	if !validProduct(product) {
		return fmt.Errorf("recording writer: invalid product id %s", quote(product))
	}
	w.line = append(w.line[:0], kind, ' ')
	w.line = strconv.AppendInt(w.line, nanos, 10)
	w.line = append(w.line, ' ')
	w.line = append(w.line, product...)
	return nil
}

// text appends a decimal's text after checking that the Reader will
// accept it: a stray space or newline would corrupt the recording.
func (w *Writer) text(field string, b []byte) error {
	if _, err := parseDecimal(b); err != nil {
		return fmt.Errorf("recording writer: %s: %w", field, err)
	}
	w.line = append(w.line, ' ')
	w.line = append(w.line, b...)
	return nil
}

func (w *Writer) finish() error {
	w.line = append(w.line, '\n')
	_, w.err = w.bw.Write(w.line)
	return w.err
}

// Flush writes buffered lines through to the underlying writer, and for
// a gzip recording completes a compressed block, so that a recorder that
// dies after Flush loses nothing already flushed.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.err = w.bw.Flush(); w.err != nil {
		return w.err
	}
	if w.gz != nil {
		w.err = w.gz.Flush()
	}
	return w.err
}

// Close flushes and, for gzip, writes the gzip trailer. It does not close
// the underlying writer. Later writes return an error.
func (w *Writer) Close() error {
	err := w.Flush()
	if w.gz != nil {
		if cerr := w.gz.Close(); err == nil {
			err = cerr
		}
		w.gz = nil
	}
	if w.err == nil {
		w.err = errWriterClosed
	}
	return err
}

var errWriterClosed = errors.New("recording writer: closed")

func sideLetter(s exchange.Side) (byte, error) {
	switch s {
	case exchange.Buy:
		return 'B', nil
	case exchange.Sell:
		return 'S', nil
	}
	return 0, fmt.Errorf("recording writer: taker side %q is neither BUY nor SELL", s)
}

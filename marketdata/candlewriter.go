package marketdata

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// CandleWriter writes candles as Coinbase-shaped JSON lines, the form
// the download command saves and Open reads back. It is not safe for
// concurrent use.
type CandleWriter struct {
	bw  *bufio.Writer
	buf []byte
	err error
}

// NewCandleWriter returns a CandleWriter to w.
func NewCandleWriter(w io.Writer) *CandleWriter {
	return &CandleWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

// Write writes one candle. Its Start must be a whole second (Coinbase
// candles always are), and its product id, if any, a valid one.
func (w *CandleWriter) Write(c exchange.Candle) error {
	if w.err != nil {
		return w.err
	}
	if c.Start.Nanosecond() != 0 || c.Start.Unix() < 0 {
		return fmt.Errorf("candle writer: start %s is not a whole second after 1970", c.Start.Format(time.RFC3339Nano))
	}
	if c.ProductID != "" && !validProduct([]byte(c.ProductID)) {
		return fmt.Errorf("candle writer: invalid product id %q", c.ProductID)
	}
	b := append(w.buf[:0], `{"start":"`...)
	b = strconv.AppendInt(b, c.Start.Unix(), 10)
	for _, f := range [...]struct {
		name string
		d    decimal.Decimal
	}{{"low", c.Low}, {"high", c.High}, {"open", c.Open}, {"close", c.Close}, {"volume", c.Volume}} {
		b = append(b, `","`...)
		b = append(b, f.name...)
		b = append(b, `":"`...)
		b = appendDecimal(b, f.d)
	}
	b = append(b, '"')
	if c.ProductID != "" {
		b = append(b, `,"product_id":"`...)
		b = append(b, c.ProductID...)
		b = append(b, '"')
	}
	if g := GranularityName(c.Interval); g != "" {
		b = append(b, `,"granularity":"`...)
		b = append(b, g...)
		b = append(b, '"')
	}
	b = append(b, "}\n"...)
	w.buf = b
	_, w.err = w.bw.Write(b)
	return w.err
}

// Flush writes buffered candles through to the underlying writer.
func (w *CandleWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}

package marketdata

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// freqtradeReader reads freqtrade's JSON candles: one array of
//
//	[open_time_ms, open, high, low, close, volume]
//
// rows, with numbers (not strings). The file is read whole (a year of
// one-minute rows is about 40 MB) and scanned in place, counting lines
// so that errors point at the right one even in a pretty-printed file.
type freqtradeReader struct {
	name string
	src  *bufio.Reader
	b    []byte // the unread rest of the file
	ln   int    // line of b[0]
	row  int
	rowL int // line the current row started on
	done bool
	err  error
}

func newFreqtradeReader(name string, src *bufio.Reader) *freqtradeReader {
	return &freqtradeReader{name: name, src: src, ln: 1}
}

func (r *freqtradeReader) line() int { return r.rowL }

func (r *freqtradeReader) fail(field string, err error) error {
	if field == "" && r.row > 0 {
		field = fmt.Sprintf("row %d", r.row)
	} else if r.row > 0 {
		field = fmt.Sprintf("row %d %s", r.row, field)
	}
	r.err = &ParseError{File: r.name, Line: r.ln, Field: field, Err: err}
	return r.err
}

// skip passes whitespace, counting newlines.
func (r *freqtradeReader) skip() {
	for len(r.b) > 0 {
		switch r.b[0] {
		case '\n':
			r.ln++
		case ' ', '\t', '\r':
		default:
			return
		}
		r.b = r.b[1:]
	}
}

// expect consumes the byte c after whitespace.
func (r *freqtradeReader) expect(c byte, what string) error {
	r.skip()
	if len(r.b) == 0 || r.b[0] != c {
		got := "end of file"
		if len(r.b) > 0 {
			got = quote(r.b)
		}
		return r.fail("", fmt.Errorf("want %s, got %s", what, got))
	}
	r.b = r.b[1:]
	return nil
}

// number returns the next number token.
func (r *freqtradeReader) number(field string) ([]byte, error) {
	r.skip()
	i := 0
	for i < len(r.b) && r.b[i] != ',' && r.b[i] != ']' && r.b[i] != ' ' && r.b[i] != '\n' && r.b[i] != '\r' && r.b[i] != '\t' {
		i++
	}
	if i == 0 {
		return nil, r.fail(field, errors.New("missing number"))
	}
	tok := r.b[:i]
	r.b = r.b[i:]
	return tok, nil
}

var freqtradeColumns = [6]string{"open_time_ms", "open", "high", "low", "close", "volume"}

func (r *freqtradeReader) next() (exchange.Candle, error) {
	var c exchange.Candle
	if r.err != nil {
		return c, r.err
	}
	if r.done {
		return c, io.EOF
	}
	if r.row == 0 && r.b == nil {
		all, err := io.ReadAll(r.src)
		if err != nil {
			r.err = fmt.Errorf("read %s: %w", r.name, err)
			return c, r.err
		}
		r.b = all
		if err := r.expect('[', "[ opening the array of rows"); err != nil {
			return c, err
		}
		r.skip()
		if len(r.b) > 0 && r.b[0] == ']' {
			return c, r.end()
		}
	} else {
		r.skip()
		if len(r.b) > 0 && r.b[0] == ']' {
			return c, r.end()
		}
		if err := r.expect(',', ", or ] after a row"); err != nil {
			return c, err
		}
	}
	r.row++
	r.skip()
	r.rowL = r.ln
	if err := r.expect('[', "[ opening a row"); err != nil {
		return c, err
	}
	var f [6][]byte
	for i := range f {
		if i > 0 {
			if err := r.expect(',', ", between the 6 numbers of a row"); err != nil {
				return c, err
			}
		}
		tok, err := r.number(freqtradeColumns[i])
		if err != nil {
			return c, err
		}
		f[i] = tok
	}
	if err := r.expect(']', "] closing a row of 6 numbers"); err != nil {
		return c, err
	}
	ms, err := parseInt(f[0])
	if err != nil {
		return c, r.fail(freqtradeColumns[0], err)
	}
	if ms > maxUnixSeconds*1000 {
		return c, r.fail(freqtradeColumns[0], fmt.Errorf("%d ms is beyond year 9999", ms))
	}
	c.Start = time.UnixMilli(ms).UTC()
	for i, dst := range [5]*decimal.Decimal{&c.Open, &c.High, &c.Low, &c.Close, &c.Volume} {
		v, err := parseDecimal(f[i+1])
		if err != nil {
			return c, r.fail(freqtradeColumns[i+1], err)
		}
		*dst = v
	}
	return c, nil
}

// end consumes the closing bracket and checks nothing follows it.
func (r *freqtradeReader) end() error {
	r.b = r.b[1:]
	r.skip()
	r.row = 0 // what follows belongs to no row
	if len(r.b) != 0 {
		return r.fail("", fmt.Errorf("text after the closing ]: %s", quote(r.b)))
	}
	r.done = true
	return io.EOF
}

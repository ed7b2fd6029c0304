package marketdata

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// freqtradeReader reads freqtrade's JSON candles: one array of
//
//	[open_time_ms, open, high, low, close, volume]
//
// rows, with numbers (not strings). It streams: the file is read in
// chunks that each end with a ']', so that a row (which holds no ']'
// but its last) always lies whole in one chunk and is scanned in place
// in the reader's buffer, never copied. Whitespace is skipped anywhere,
// counting lines so that errors point at the right one even in a
// pretty-printed file.
type freqtradeReader struct {
	name    string
	src     *bufio.Reader
	b       []byte // the unread rest of the current chunk
	eof     bool   // src is exhausted: b is the last of the file
	long    []byte // assembles a chunk longer than src's buffer
	ln      int    // line of b[0]
	row     int
	rowL    int // line the current row started on
	started bool
	done    bool
	err     error
	nums    decimalCache
	// careful sends every row down the careful path; tests set it to
	// check the quick paths against it.
	careful bool
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

// more reads the next chunk into b: the file up to and including the
// next ']', or its rest at the end.
func (r *freqtradeReader) more() error {
	b, err := r.src.ReadSlice(']')
	if err == bufio.ErrBufferFull {
		// Only whitespace, or a corrupt file, makes a chunk this long.
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > maxLineLength {
				return r.fail("", fmt.Errorf("no ] in %d bytes", maxLineLength))
			}
			b, err = r.src.ReadSlice(']')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	switch {
	case err == io.EOF:
		r.eof = true
	case err != nil:
		r.err = fmt.Errorf("read %s after line %d: %w", r.name, r.ln, err)
		return r.err
	}
	r.b = b
	return nil
}

// skip passes whitespace, counting newlines, reading on as needed; it
// stops at the next other byte or at the end of the file.
func (r *freqtradeReader) skip() error {
	for {
		i, ln := spaceAt(r.b, 0, r.ln)
		r.b, r.ln = r.b[i:], ln
		if len(r.b) > 0 || r.eof {
			return nil
		}
		if err := r.more(); err != nil {
			return err
		}
	}
}

// expect consumes the byte c after whitespace.
func (r *freqtradeReader) expect(c byte, what string) error {
	if err := r.skip(); err != nil {
		return err
	}
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

// numberEnd marks the bytes that end a number token in a row.
var numberEnd = [256]bool{',': true, ']': true, ' ': true, '\n': true, '\r': true, '\t': true}

// number returns the next number token. It cannot run past the chunk:
// a chunk ends with a ']', which ends a token, or with the file.
func (r *freqtradeReader) number(field string) ([]byte, error) {
	if err := r.skip(); err != nil {
		return nil, err
	}
	i := 0
	for i < len(r.b) && !numberEnd[r.b[i]] {
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

// spaceAt passes the JSON whitespace of b from i, counting newlines.
func spaceAt(b []byte, i, ln int) (int, int) {
	for ; i < len(b); i++ {
		switch b[i] {
		case '\n':
			ln++
		case ' ', '\t', '\r':
		default:
			return i, ln
		}
	}
	return i, ln
}

// fastRow scans the next row, after the first, when it is well formed
// and whole in the current chunk: the common case, done in local
// variables because storing into the reader on every byte costs a
// write barrier each time while the collector runs. At anything else it
// returns ok false having changed nothing, and the careful path reads
// the same bytes again, reading on or reporting the error.
func (r *freqtradeReader) fastRow() (f [6][]byte, ok bool) {
	b, ln := r.b, r.ln
	i, ln := spaceAt(b, 0, ln)
	if i == len(b) || b[i] != ',' {
		return f, false
	}
	i, ln = spaceAt(b, i+1, ln)
	rowL := ln
	if i == len(b) || b[i] != '[' {
		return f, false
	}
	i++
	for k := range f {
		i, ln = spaceAt(b, i, ln)
		start := i
		for i < len(b) && !numberEnd[b[i]] {
			i++
		}
		if i == start {
			return f, false
		}
		f[k] = b[start:i]
		i, ln = spaceAt(b, i, ln)
		want := byte(',')
		if k == len(f)-1 {
			want = ']'
		}
		if i == len(b) || b[i] != want {
			return f, false
		}
		i++
	}
	r.b, r.ln, r.rowL = b[i:], ln, rowL
	r.row++
	return f, true
}

func (r *freqtradeReader) next() (exchange.Candle, error) {
	var c exchange.Candle
	if r.err != nil {
		return c, r.err
	}
	if r.done {
		return c, io.EOF
	}
	if r.started && !r.careful {
		if len(r.b) == 0 && !r.eof {
			if err := r.more(); err != nil {
				return c, err
			}
		}
		if c, ok := r.quickRow(); ok {
			return c, nil
		}
		if f, ok := r.fastRow(); ok {
			return r.candle(&f)
		}
	}
	if !r.started {
		r.started = true
		if err := r.expect('[', "[ opening the array of rows"); err != nil {
			return c, err
		}
		if err := r.skip(); err != nil {
			return c, err
		}
		if len(r.b) > 0 && r.b[0] == ']' {
			return c, r.end()
		}
	} else {
		if err := r.skip(); err != nil {
			return c, err
		}
		if len(r.b) > 0 && r.b[0] == ']' {
			return c, r.end()
		}
		if err := r.expect(',', ", or ] after a row"); err != nil {
			return c, err
		}
	}
	r.row++
	if err := r.skip(); err != nil {
		return c, err
	}
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
	return r.candle(&f)
}

// quickRow reads the next row, after the first, when it is what
// freqtrade writes: on one line, whole in the current chunk, six numbers
// with nothing but spaces around them. Each number is parsed as its end
// is found (see numberAt); it must end where the careful path's token
// would, at a space, comma or bracket, and so the careful path would
// have read the same six tokens. At anything else (a newline or tab in
// the row, a number numberAt does not take, a time out of range) it
// returns ok false having changed nothing but the decimal cache, and
// fastRow, or the careful path, reads the row again and reports it.
func (r *freqtradeReader) quickRow() (c exchange.Candle, ok bool) {
	b := r.b
	i, ln := spaceAt(b, 0, r.ln)
	if i == len(b) || b[i] != ',' {
		return c, false
	}
	i, ln = spaceAt(b, i+1, ln)
	if i == len(b) || b[i] != '[' {
		return c, false
	}
	start := skipSpaces(b, i+1)
	i = start
	for i < len(b) && b[i]-'0' <= 9 {
		i++
	}
	ms, err := parseInt(b[start:i])
	if i = skipSpaces(b, i); err != nil || ms > maxUnixSeconds*1000 || i == len(b) || b[i] != ',' {
		return c, false
	}
	var m [5]int64 // open, high, low, close, volume
	var e [5]int32
	for k := range m {
		if m[k], e[k], i, ok = numberAt(b, skipSpaces(b, i+1)); !ok {
			return c, false
		}
		want := byte(',')
		if k == len(m)-1 {
			want = ']'
		}
		if i = skipSpaces(b, i); i == len(b) || b[i] != want {
			return c, false
		}
	}
	c.Start = time.UnixMilli(ms).UTC()
	c.Open, c.High, c.Low = r.nums.value(m[0], e[0]), r.nums.value(m[1], e[1]), r.nums.value(m[2], e[2])
	c.Close, c.Volume = r.nums.value(m[3], e[3]), r.nums.value(m[4], e[4])
	r.b, r.ln, r.rowL = b[i+1:], ln, ln
	r.row++
	return c, true
}

// skipSpaces passes the spaces of b from i.
func skipSpaces(b []byte, i int) int {
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

// candle converts the numbers of the row just read. The fields are
// assigned one by one rather than through a table of pointers into c,
// which cost a write barrier check on each.
func (r *freqtradeReader) candle(f *[6][]byte) (exchange.Candle, error) {
	var c exchange.Candle
	ms, err := parseInt(f[0])
	if err != nil {
		return c, r.fail(freqtradeColumns[0], err)
	}
	if ms > maxUnixSeconds*1000 {
		return c, r.fail(freqtradeColumns[0], fmt.Errorf("%d ms is beyond year 9999", ms))
	}
	c.Start = time.UnixMilli(ms).UTC()
	if c.Open, err = r.nums.parse(f[1]); err != nil {
		return c, r.fail(freqtradeColumns[1], err)
	}
	if c.High, err = r.nums.parse(f[2]); err != nil {
		return c, r.fail(freqtradeColumns[2], err)
	}
	if c.Low, err = r.nums.parse(f[3]); err != nil {
		return c, r.fail(freqtradeColumns[3], err)
	}
	if c.Close, err = r.nums.parse(f[4]); err != nil {
		return c, r.fail(freqtradeColumns[4], err)
	}
	if c.Volume, err = r.nums.parse(f[5]); err != nil {
		return c, r.fail(freqtradeColumns[5], err)
	}
	return c, nil
}

// end consumes the closing bracket and checks nothing follows it.
func (r *freqtradeReader) end() error {
	r.b = r.b[1:]
	r.row = 0 // what follows belongs to no row
	if err := r.skip(); err != nil {
		return err
	}
	if len(r.b) != 0 {
		return r.fail("", fmt.Errorf("text after the closing ]: %s", quote(r.b)))
	}
	r.done = true
	return io.EOF
}

package marketdata

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// RecordingHeader is the first line of every file in the project's
// recording format (.tbrec). The version changes only if a line's meaning
// changes; new line kinds would get a new letter instead.
const RecordingHeader = "#tradebot-recording v1"

// The recording format, one event per line, fields separated by one space:
//
//	#tradebot-recording v1
//	T <unix_nanos> <product> <price> <size> <taker_side B|S>
//	Q <unix_nanos> <product> <bid> <bid_size> <ask> <ask_size>
//
// Later lines starting with '#' are comments; blank lines are ignored. Decimals are kept as the
// venue sent them. The file may be gzip-compressed; readers detect it.

// Reader reads ticks from a recording. It is not safe for concurrent use.
type Reader struct {
	lines    *lineReader
	closer   io.Closer
	products interner
	nums     decimalCache
	header   bool
}

// NewReader returns a Reader of a recording, gunzipping it if needed.
// name is used in error messages (a file path, or "stdin"). The header
// line is checked by the first call to Next.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br, closer, err := decompress(name, r)
	if err != nil {
		return nil, err
	}
	return &Reader{lines: newLineReader(name, br), closer: closer}, nil
}

// Next returns the next tick, or io.EOF after the last one. Time and
// Received are both the recorded time, in UTC. A malformed line returns
// a *ParseError and the next call goes on with the following line, so a
// tool can report bad lines and keep reading.
func (r *Reader) Next() (exchange.Tick, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			if err == io.EOF && !r.header {
				return exchange.Tick{}, &ParseError{File: r.lines.name, Line: 1, Err: fmt.Errorf("empty file, want header %q", RecordingHeader)}
			}
			return exchange.Tick{}, err
		}
		if !r.header {
			if string(line) != RecordingHeader {
				return exchange.Tick{}, r.lines.errorf("", "header is %s, want %q", quote(line), RecordingHeader)
			}
			r.header = true
			continue
		}
		if len(line) == 0 || line[0] == '#' {
			// Comments, and a blank line an editor may leave at the end.
			continue
		}
		if t, ok := r.quickLine(line); ok {
			return t, nil
		}
		return r.parse(line)
	}
}

// Close releases the decompressor; it does not close the underlying reader.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// quickLine reads a well-formed trade or quote line in one pass, each
// number parsed as its end is found (see numberAt). At anything else it
// returns ok false, and parse cuts the line into fields and reports the
// fault.
func (r *Reader) quickLine(line []byte) (t exchange.Tick, ok bool) {
	if len(line) < 2 || line[1] != ' ' || (line[0] != 'T' && line[0] != 'Q') {
		return t, false
	}
	end := 2
	for end < len(line) && line[end]-'0' <= 9 {
		end++
	}
	if end == len(line) || line[end] != ' ' {
		return t, false
	}
	ns, err := parseInt(line[2:end])
	if err != nil {
		return t, false
	}
	product := line[end+1:]
	sp := bytes.IndexByte(product, ' ')
	if sp < 0 {
		return t, false
	}
	product = product[:sp]
	if !validProduct(product) {
		return t, false
	}
	i := end + 1 + sp // the space after the product
	n := 4            // a quote's numbers
	if line[0] == 'T' {
		n = 2
	}
	var m [4]int64
	var e [4]int32
	for k := range n {
		if m[k], e[k], i, ok = numberAt(line, i+1); !ok {
			return t, false
		}
		// A quote's last number ends the line; every other is
		// followed by one space.
		if k < n-1 || n == 2 {
			if i == len(line) || line[i] != ' ' {
				return t, false
			}
		} else if i != len(line) {
			return t, false
		}
	}
	if n == 2 {
		switch string(line[i+1:]) {
		case "B":
			t.TakerSide = exchange.Buy
		case "S":
			t.TakerSide = exchange.Sell
		default:
			return t, false
		}
		t.Kind = exchange.TradeTick
		t.Price, t.Size = r.nums.value(m[0], e[0]), r.nums.value(m[1], e[1])
	} else {
		t.Kind = exchange.QuoteTick
		t.Bid, t.BidSize = r.nums.value(m[0], e[0]), r.nums.value(m[1], e[1])
		t.Ask, t.AskSize = r.nums.value(m[2], e[2]), r.nums.value(m[3], e[3])
	}
	t.Time = time.Unix(0, ns).UTC()
	t.Received = t.Time
	t.ProductID = r.products.get(product)
	return t, true
}

func (r *Reader) parse(line []byte) (exchange.Tick, error) {
	var t exchange.Tick
	fs := cutFields(line, ' ')
	f := &fs.f
	if len(f[0]) != 1 {
		return t, r.lines.errorf("kind", "unknown line kind %s", quote(f[0]))
	}
	switch f[0][0] {
	case 'T':
		if fs.n != 6 {
			return t, r.lines.errorf("", "trade line has %d fields, want 6", fs.n)
		}
		t.Kind = exchange.TradeTick
	case 'Q':
		if fs.n != 7 {
			return t, r.lines.errorf("", "quote line has %d fields, want 7", fs.n)
		}
		t.Kind = exchange.QuoteTick
	default:
		return t, r.lines.errorf("kind", "unknown line kind %s", quote(f[0]))
	}
	ns, err := parseInt(f[1])
	if err != nil {
		return t, r.lines.wrap("unix_nanos", err)
	}
	t.Time = time.Unix(0, ns).UTC()
	t.Received = t.Time
	if !validProduct(f[2]) {
		return t, r.lines.errorf("product", "invalid product id %s", quote(f[2]))
	}
	t.ProductID = r.products.get(f[2])
	if t.Kind == exchange.TradeTick {
		if t.Price, err = r.nums.parse(f[3]); err != nil {
			return t, r.lines.wrap("price", err)
		}
		if t.Size, err = r.nums.parse(f[4]); err != nil {
			return t, r.lines.wrap("size", err)
		}
		switch string(f[5]) {
		case "B":
			t.TakerSide = exchange.Buy
		case "S":
			t.TakerSide = exchange.Sell
		default:
			return t, r.lines.errorf("taker_side", "%s is not B or S", quote(f[5]))
		}
		return t, nil
	}
	if t.Bid, err = r.nums.parse(f[3]); err != nil {
		return t, r.lines.wrap("bid", err)
	}
	if t.BidSize, err = r.nums.parse(f[4]); err != nil {
		return t, r.lines.wrap("bid_size", err)
	}
	if t.Ask, err = r.nums.parse(f[5]); err != nil {
		return t, r.lines.wrap("ask", err)
	}
	if t.AskSize, err = r.nums.parse(f[6]); err != nil {
		return t, r.lines.wrap("ask_size", err)
	}
	return t, nil
}

// validProduct reports whether b can be a product id in a recording:
// non-empty printable ASCII without spaces, so that every line splits
// into the same fields it was written with.
func validProduct(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		// Quotes and backslashes would need escaping in the JSON
		// candle lines; no venue uses them in a product id.
		if c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return !bytes.HasPrefix(b, []byte("#"))
}

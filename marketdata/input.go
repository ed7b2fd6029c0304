package marketdata

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"

	"github.com/klauspost/compress/gzip"
)

// bufferSize is large enough that no line of any supported format
// except a depth snapshot needs the slow long-line path, and no larger:
// a short run touches each of its pages once, and at 256 kB the month's
// backtest took about 120 more page faults (of 2,500) while parsing ran no
// faster (BenchmarkParse*).
const bufferSize = 64 << 10

// maxLineLength bounds one line, so that a corrupt or hostile file
// cannot make a reader hold gigabytes; the longest real line (a Binance
// REST depth snapshot) is far shorter.
const maxLineLength = 16 << 20

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// decompress returns a buffered reader of r's content, transparently
// gunzipping it when it starts with the gzip magic. The returned closer
// releases the gzip reader (nil when the input was plain).
func decompress(name string, r io.Reader) (*bufio.Reader, io.Closer, error) {
	br := bufio.NewReaderSize(r, readBufferSize(r))
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if !bytes.Equal(head, gzipMagic) {
		return skipBOM(br), nil, nil
	}
	// klauspost's gzip reader: the same stream format and API as
	// compress/gzip's, and its decoder runs about 1.4 times as fast,
	// which is most of the cost of reading a compressed recording.
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: gzip: %w", name, err)
	}
	// Concatenated gzip members are one stream, as gunzip treats them.
	return skipBOM(bufio.NewReaderSize(zr, bufferSize)), zr, nil
}

// utf8BOM is what spreadsheet programs put before a CSV they save.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// skipBOM drops a leading UTF-8 byte order mark, which would otherwise
// hide a CSV header from detection.
func skipBOM(br *bufio.Reader) *bufio.Reader {
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	return br
}

// readBufferSize sizes the first buffer to the input when its size is
// known, so that opening a small file or an in-memory sample does not
// allocate and clear the full buffer; detection needs detectWindow.
func readBufferSize(r io.Reader) int {
	size := int64(-1)
	switch v := r.(type) {
	case interface{ Len() int }:
		size = int64(v.Len())
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	if size < 0 || size >= bufferSize {
		return bufferSize
	}
	return max(int(size)+1, detectWindow)
}

// lineReader yields the lines of a text stream without copying them in
// the common case; a returned line is valid until the next call.
type lineReader struct {
	name string
	br   *bufio.Reader
	line int    // number of the line last returned, 1-based
	long []byte // assembles lines longer than the buffer
}

func newLineReader(name string, br *bufio.Reader) *lineReader {
	return &lineReader{name: name, br: br}
}

// next returns the next line without its "\n" or "\r\n", or io.EOF.
// A last line without a newline is still a line.
func (l *lineReader) next() ([]byte, error) {
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(l.long) > maxLineLength {
				return nil, fmt.Errorf("read %s: line %d is longer than %d bytes", l.name, l.line+1, maxLineLength)
			}
			b, err = l.br.ReadSlice('\n')
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s after line %d: %w", l.name, l.line, err)
	}
	if len(b) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	l.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

// errorf builds a ParseError at the current line.
func (l *lineReader) errorf(field string, format string, args ...any) error {
	return &ParseError{File: l.name, Line: l.line, Field: field, Err: fmt.Errorf(format, args...)}
}

// wrap builds a ParseError at the current line from a cause.
func (l *lineReader) wrap(field string, err error) error {
	return &ParseError{File: l.name, Line: l.line, Field: field, Err: err}
}

// maxFields is the most fields a line of any CSV-like format has (a
// recording's quote line has 7).
const maxFields = 8

// lineFields is a line cut at a separator. Readers keep it on their
// stack: storing field slices into a reader on the heap cost a write
// barrier per field whenever the collector was marking.
type lineFields struct {
	f [maxFields][]byte
	n int // fields in the line; beyond maxFields they are counted only
}

// cutFields cuts line at sep. It looks at eight bytes at a time: a
// line has a separator every ten bytes or so, too close for
// bytes.IndexByte to pay for its call.
func cutFields(line []byte, sep byte) (fs lineFields) {
	const low7 = 0x7f7f7f7f7f7f7f7f
	pattern := uint64(sep) * 0x0101010101010101
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:]) ^ pattern
		// The high bit of each byte of seps is set exactly where x has
		// a zero byte, that is where line has sep; no sum carries from
		// one byte into the next, so every position is exact.
		seps := ^((x&low7 + low7) | x | low7)
		for seps != 0 {
			j := i + bits.TrailingZeros64(seps)/8
			if fs.n < maxFields {
				fs.f[fs.n] = line[start:j]
			}
			fs.n++
			start = j + 1
			seps &= seps - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == sep {
			if fs.n < maxFields {
				fs.f[fs.n] = line[start:i]
			}
			fs.n++
			start = i + 1
		}
	}
	if fs.n < maxFields {
		fs.f[fs.n] = line[start:]
	}
	fs.n++
	return fs
}

// maxInterned bounds the product names an interner remembers.
const maxInterned = 4096

// interner returns one string per distinct product id, so that reading a
// million lines for one product allocates its name once.
type interner struct {
	last string
	all  map[string]string
}

func (n *interner) get(b []byte) string {
	if string(b) == n.last {
		return n.last
	}
	s, ok := n.all[string(b)]
	if !ok {
		if n.all == nil {
			n.all = make(map[string]string)
		}
		s = string(b)
		// A hostile file must not grow the table without bound; past the
		// cap, names are still correct, just no longer shared.
		if len(n.all) < maxInterned {
			n.all[s] = s
		}
	}
	n.last = s
	return s
}

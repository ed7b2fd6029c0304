package marketdata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

// Coinbase candles come in three shapes, all with Coinbase's fields
// (start in Unix seconds, prices and volume as strings):
//
//   - the REST answer {"candles":[{"start":..,"low":..,...}]}, newest first;
//   - a JSON array of those objects;
//   - JSON lines, one object per line, oldest first, as CandleWriter
//     writes them, with optional "product_id" and "granularity".
//
// The first two are small (Coinbase serves at most 350 candles a call)
// and are read whole and sorted; JSON lines are streamed.

// coinbaseGranularities maps Coinbase's granularity enum to intervals.
var coinbaseGranularities = map[string]time.Duration{
	"ONE_MINUTE":     time.Minute,
	"FIVE_MINUTE":    5 * time.Minute,
	"FIFTEEN_MINUTE": 15 * time.Minute,
	"THIRTY_MINUTE":  30 * time.Minute,
	"ONE_HOUR":       time.Hour,
	"TWO_HOUR":       2 * time.Hour,
	"FOUR_HOUR":      4 * time.Hour,
	"SIX_HOUR":       6 * time.Hour,
	"ONE_DAY":        24 * time.Hour,
}

// GranularityName returns Coinbase's granularity enum value for an
// interval ("ONE_MINUTE"), or "" if Coinbase has none.
func GranularityName(d time.Duration) string {
	for name, g := range coinbaseGranularities {
		if g == d {
			return name
		}
	}
	return ""
}

// coinbaseCandle is one candle object; jsonText accepts a string or a
// bare number, so that hand-made files with numbers also load.
type coinbaseCandle struct {
	Start       jsonText `json:"start"`
	Low         jsonText `json:"low"`
	High        jsonText `json:"high"`
	Open        jsonText `json:"open"`
	Close       jsonText `json:"close"`
	Volume      jsonText `json:"volume"`
	ProductID   string   `json:"product_id"`
	Granularity string   `json:"granularity"`
}

type jsonText []byte

func (t *jsonText) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' {
		*t = append((*t)[:0], b[1:len(b)-1]...)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		return errors.New("null where a number is required")
	}
	*t = append((*t)[:0], b...)
	return nil
}

// coinbaseCandleReader yields candles from a whole-file list (REST or
// array) or from JSON lines.
type coinbaseCandleReader struct {
	name  string
	lines *lineReader // JSON lines; nil for a whole-file list
	list  []exchange.Candle
	idx   int
	scan  objectScanner
	// products and nums intern product ids and values when streaming
	// JSON lines.
	products interner
	nums     decimalCache
}

func newCoinbaseCandleReader(name string, br *bufio.Reader, lines *lineReader) (*coinbaseCandleReader, error) {
	r := &coinbaseCandleReader{name: name}
	if isJSONLines(br) {
		r.lines = lines
		return r, nil
	}
	all, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var raw []coinbaseCandle
	if trimmed := skipSpace(all); len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(all, &raw)
	} else {
		var rest struct {
			Candles *[]coinbaseCandle `json:"candles"`
		}
		err = json.Unmarshal(all, &rest)
		if err == nil && rest.Candles == nil {
			err = errors.New(`no "candles" member`)
		}
		if rest.Candles != nil {
			raw = *rest.Candles
		}
	}
	if err != nil {
		return nil, &ParseError{File: name, Line: jsonErrorLine(all, err), Err: err}
	}
	r.list = make([]exchange.Candle, len(raw))
	for i := range raw {
		if err := raw[i].candle(&r.list[i]); err != nil {
			return nil, &ParseError{File: name, Line: 1, Field: fmt.Sprintf("candles[%d]", i), Err: err}
		}
	}
	// The REST answer is newest first; candle streams go forward.
	sort.SliceStable(r.list, func(i, j int) bool { return r.list[i].Start.Before(r.list[j].Start) })
	return r, nil
}

// isJSONLines reports whether the content is one complete candle object
// per line: the first line must be a whole object with a "start".
func isJSONLines(br *bufio.Reader) bool {
	head, _ := br.Peek(detectWindow)
	first := skipSpace(head)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	} else if len(head) == detectWindow {
		return false
	}
	var s objectScanner
	if !s.start(first) {
		return false
	}
	start := false
	for {
		key, _, _, ok := s.next()
		if !ok {
			break
		}
		start = start || string(key) == "start"
	}
	return s.err == nil && start && len(skipSpace(s.rest())) == 0
}

// jsonErrorLine turns encoding/json's byte offset into a line number.
func jsonErrorLine(b []byte, err error) int {
	var off int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return 1
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return 1 + bytes.Count(b[:off], []byte{'\n'})
}

func (c *coinbaseCandle) candle(dst *exchange.Candle) error {
	return fillCoinbaseCandle(dst, c.Start, c.Low, c.High, c.Open, c.Close, c.Volume, []byte(c.ProductID), []byte(c.Granularity), nil, nil)
}

// fillCoinbaseCandle parses the fields of one candle object; products
// and nums, when streaming, intern the product id and parse the values
// through the reader's cache (a few hundred candles of a REST answer
// need neither).
func fillCoinbaseCandle(dst *exchange.Candle, start, low, high, open, close, volume, product, granularity []byte, products *interner, nums *decimalCache) error {
	fields := [...]struct {
		name string
		text []byte
	}{{"start", start}, {"low", low}, {"high", high}, {"open", open}, {"close", close}, {"volume", volume}}
	for _, f := range fields {
		if f.text == nil {
			return fmt.Errorf("%s: missing", f.name)
		}
	}
	var err error
	if dst.Start, err = unixSeconds(start); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	for i, p := range [...]*decimal.Decimal{&dst.Low, &dst.High, &dst.Open, &dst.Close, &dst.Volume} {
		if nums != nil {
			*p, err = nums.parse(fields[i+1].text)
		} else {
			*p, err = parseDecimal(fields[i+1].text)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", fields[i+1].name, err)
		}
	}
	if len(product) > 0 {
		if !validProduct(product) {
			return fmt.Errorf("product_id: invalid %s", quote(product))
		}
		if products != nil {
			dst.ProductID = products.get(product)
		} else {
			dst.ProductID = string(product)
		}
	}
	if len(granularity) > 0 {
		d, ok := coinbaseGranularities[string(granularity)]
		if !ok {
			return fmt.Errorf("granularity: unknown %s", quote(granularity))
		}
		dst.Interval = d
	}
	return nil
}

func (r *coinbaseCandleReader) line() int {
	if r.lines != nil {
		return r.lines.line
	}
	return 1
}

func (r *coinbaseCandleReader) next() (exchange.Candle, error) {
	var c exchange.Candle
	if r.lines == nil {
		if r.idx >= len(r.list) {
			return c, io.EOF
		}
		r.idx++
		return r.list[r.idx-1], nil
	}
	for {
		line, err := r.lines.next()
		if err != nil {
			return c, err
		}
		if len(skipSpace(line)) == 0 {
			continue
		}
		var start, low, high, open, close, volume, product, granularity []byte
		if !r.scan.start(line) {
			return c, r.lines.wrap("", r.scan.err)
		}
		for {
			key, val, _, ok := r.scan.next()
			if !ok {
				break
			}
			switch string(key) {
			case "start":
				start = val
			case "low":
				low = val
			case "high":
				high = val
			case "open":
				open = val
			case "close":
				close = val
			case "volume":
				volume = val
			case "product_id":
				product = val
			case "granularity":
				granularity = val
			}
		}
		if r.scan.err != nil {
			return c, r.lines.wrap("", r.scan.err)
		}
		if len(skipSpace(r.scan.rest())) != 0 {
			return c, r.lines.errorf("", "text after the object: %s", quote(r.scan.rest()))
		}
		if err := fillCoinbaseCandle(&c, start, low, high, open, close, volume, product, granularity, &r.products, &r.nums); err != nil {
			return c, r.lines.wrap("", err)
		}
		return c, nil
	}
}

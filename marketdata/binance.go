package marketdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// A Binance capture is what hftbacktest records from the Binance spot
// combined stream: one line per message, "<local receive ns> <json>",
// where the JSON is {"stream":"btcusdt@trade","data":{...}}. The trade
// and bookTicker streams become trade and quote ticks; depth diffs and
// REST depth snapshots (lines without a "stream") are skipped.
//
// Time base: every tick carries the local receive time. bookTicker has
// no venue time at all, and a trade's "T" (ms) runs about a second ahead
// of the receive clock in the bundled capture, so mixing the two would
// reorder trades against quotes. The receive time is also what a live
// recording of the Coinbase feed would have, and it is non-decreasing
// in the file.

// binanceEvent is one parsed capture line; the byte slices point into
// the line and are valid until the next read.
type binanceEvent struct {
	kind                       exchange.TickKind // 0: a line to skip
	nanos                      int64
	symbol                     []byte
	price, size                []byte
	side                       byte // 'B' or 'S': the taker
	bid, bidSize, ask, askSize []byte
}

// parseBinanceLine parses one capture line into ev. On error it returns
// the field at fault for the caller's ParseError.
func parseBinanceLine(line []byte, ev *binanceEvent) (field string, err error) {
	*ev = binanceEvent{}
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return "", fmt.Errorf("want \"<local ns> <json>\", got %s", quote(line))
	}
	if ev.nanos, err = parseInt(line[:sp]); err != nil {
		return "local_ns", err
	}
	var (
		top       objectScanner
		stream    []byte
		data      []byte
		hasStream bool
	)
	top.start(line[sp+1:])
	for {
		key, val, isString, ok := top.next()
		if !ok {
			break
		}
		switch string(key) {
		case "stream":
			if !isString {
				return "stream", errors.New("not a string")
			}
			stream, hasStream = val, true
		case "data":
			data = val
		}
	}
	if top.err != nil {
		return "", top.err
	}
	if len(skipSpace(top.rest())) != 0 {
		return "", fmt.Errorf("%w: text after the object: %s", errJSON, quote(top.rest()))
	}
	if !hasStream {
		// A REST depth snapshot, or another message outside the streams.
		return "", nil
	}
	at := bytes.IndexByte(stream, '@')
	if at < 0 {
		return "stream", fmt.Errorf("stream %s has no @", quote(stream))
	}
	switch name := stream[at+1:]; {
	case string(name) == "trade":
		ev.kind = exchange.TradeTick
	case string(name) == "bookTicker":
		ev.kind = exchange.QuoteTick
	default:
		return "", nil
	}
	if data == nil {
		return "data", errors.New("missing")
	}
	return ev.parseData(data)
}

// parseData picks the fields of a trade or bookTicker payload.
func (ev *binanceEvent) parseData(data []byte) (string, error) {
	var s objectScanner
	if !s.start(data) {
		return "data", s.err
	}
	var maker []byte
	for {
		key, val, isString, ok := s.next()
		if !ok {
			break
		}
		if len(key) != 1 {
			continue
		}
		if key[0] == 'm' && ev.kind == exchange.TradeTick {
			maker = val
			continue
		}
		if !isString {
			continue
		}
		switch key[0] {
		case 's':
			ev.symbol = val
		case 'p':
			ev.price = val
		case 'q':
			ev.size = val
		case 'b':
			ev.bid = val
		case 'B':
			ev.bidSize = val
		case 'a':
			ev.ask = val
		case 'A':
			ev.askSize = val
		}
	}
	if s.err != nil {
		return "data", s.err
	}
	if len(ev.symbol) == 0 {
		return "data.s", errors.New("missing symbol")
	}
	if ev.kind == exchange.TradeTick {
		switch {
		case ev.price == nil:
			return "data.p", errors.New("missing price")
		case ev.size == nil:
			return "data.q", errors.New("missing quantity")
		}
		// m is "the buyer is the maker": then the seller took liquidity.
		switch string(maker) {
		case "true":
			ev.side = 'S'
		case "false":
			ev.side = 'B'
		default:
			return "data.m", fmt.Errorf("want true or false, got %s", quote(maker))
		}
		return "", nil
	}
	for _, f := range [...]struct {
		name string
		v    []byte
	}{{"data.b", ev.bid}, {"data.B", ev.bidSize}, {"data.a", ev.ask}, {"data.A", ev.askSize}} {
		if f.v == nil {
			return f.name, errors.New("missing")
		}
	}
	return "", nil
}

// binanceQuotes are the quote assets of Binance spot symbols, longest
// first so that BTCUSDT splits as BTC-USDT and not BTCUSD-T.
var binanceQuotes = []string{"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "EURI", "USDP", "DAI", "BTC", "ETH", "BNB", "EUR", "GBP", "TRY", "BRL", "JPY", "AUD", "USD"}

// binanceProduct turns a symbol such as BTCUSDT into a product id in
// Coinbase's spelling, BTC-USDT.
func binanceProduct(symbol []byte) (string, error) {
	for _, q := range binanceQuotes {
		if len(symbol) > len(q) && string(symbol[len(symbol)-len(q):]) == q {
			p := make([]byte, 0, len(symbol)+1)
			p = append(p, symbol[:len(symbol)-len(q)]...)
			p = append(p, '-')
			p = append(p, q...)
			if !validProduct(p) {
				break
			}
			return string(p), nil
		}
	}
	return "", fmt.Errorf("symbol %s has no known quote asset", quote(symbol))
}

// binanceProducts caches symbol to product id, so that a capture of
// several symbols maps each once.
type binanceProducts struct {
	lastSymbol, lastProduct string
	bySymbol                map[string]string
}

func (c *binanceProducts) get(symbol []byte) (string, error) {
	if string(symbol) == c.lastSymbol && c.lastProduct != "" {
		return c.lastProduct, nil
	}
	p, ok := c.bySymbol[string(symbol)]
	if !ok {
		var err error
		if p, err = binanceProduct(symbol); err != nil {
			return "", err
		}
		if c.bySymbol == nil {
			c.bySymbol = make(map[string]string)
		}
		if len(c.bySymbol) < maxInterned {
			c.bySymbol[string(symbol)] = p
		}
	}
	c.lastSymbol, c.lastProduct = string(symbol), p
	return p, nil
}

// binanceReader is the TickSource of a raw Binance capture.
type binanceReader struct {
	lines    *lineReader
	ev       binanceEvent
	products binanceProducts
	nums     decimalCache
}

// Next returns the next trade or quote, skipping depth and snapshots.
func (r *binanceReader) Next() (exchange.Tick, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			return exchange.Tick{}, err
		}
		if field, err := parseBinanceLine(line, &r.ev); err != nil {
			return exchange.Tick{}, r.lines.wrap(field, err)
		}
		if r.ev.kind == 0 {
			continue
		}
		return r.tick()
	}
}

func (r *binanceReader) tick() (exchange.Tick, error) {
	ev := &r.ev
	t := exchange.Tick{Kind: ev.kind, Time: time.Unix(0, ev.nanos).UTC()}
	t.Received = t.Time
	var err error
	if t.ProductID, err = r.products.get(ev.symbol); err != nil {
		return t, r.lines.wrap("data.s", err)
	}
	if ev.kind == exchange.TradeTick {
		if t.Price, err = r.nums.parse(ev.price); err != nil {
			return t, r.lines.wrap("data.p", err)
		}
		if t.Size, err = r.nums.parse(ev.size); err != nil {
			return t, r.lines.wrap("data.q", err)
		}
		t.TakerSide = exchange.Buy
		if ev.side == 'S' {
			t.TakerSide = exchange.Sell
		}
		return t, nil
	}
	if t.Bid, err = r.nums.parse(ev.bid); err != nil {
		return t, r.lines.wrap("data.b", err)
	}
	if t.BidSize, err = r.nums.parse(ev.bidSize); err != nil {
		return t, r.lines.wrap("data.B", err)
	}
	if t.Ask, err = r.nums.parse(ev.ask); err != nil {
		return t, r.lines.wrap("data.a", err)
	}
	if t.AskSize, err = r.nums.parse(ev.askSize); err != nil {
		return t, r.lines.wrap("data.A", err)
	}
	return t, nil
}

// ConvertBinanceCapture converts a raw Binance spot capture (plain or
// gzip) into the recording format: trades and bookTicker quotes, with
// their decimal text unchanged, stamped with the local receive time (see
// the package documentation for why), in file order. Depth diffs and
// snapshots are dropped. It may be called once per file of a multi-file
// capture with the same Writer; it does not close w.
func ConvertBinanceCapture(r io.Reader, w *Writer) error {
	name := "binance capture"
	if f, ok := r.(interface{ Name() string }); ok {
		name = f.Name()
	}
	br, closer, err := decompress(name, r)
	if err != nil {
		return err
	}
	if closer != nil {
		defer closer.Close()
	}
	lines := newLineReader(name, br)
	var (
		ev       binanceEvent
		products binanceProducts
	)
	for {
		line, err := lines.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if field, err := parseBinanceLine(line, &ev); err != nil {
			return lines.wrap(field, err)
		}
		if ev.kind == 0 {
			continue
		}
		product, err := products.get(ev.symbol)
		if err != nil {
			return lines.wrap("data.s", err)
		}
		if ev.kind == exchange.TradeTick {
			err = w.writeTrade(ev.nanos, []byte(product), ev.price, ev.size, ev.side)
		} else {
			err = w.writeQuote(ev.nanos, []byte(product), ev.bid, ev.bidSize, ev.ask, ev.askSize)
		}
		if err != nil {
			return fmt.Errorf("convert %s line %d: %w", name, lines.line, err)
		}
	}
}

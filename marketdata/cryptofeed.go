package marketdata

import (
	"bytes"
	"fmt"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// A cryptofeed raw recording of the Coinbase Exchange feed (the older
// ws-feed, not Advanced Trade) has one message per line,
//
//	1618677817.1295161: {"type":"match","side":"sell","size":"985","price":"0.00001305","product_id":"SKL-BTC",...}
//
// after header lines that start with the feed's URL (the connection and
// the subscribe frames sent). match and last_match messages become trade
// ticks stamped with the receive time, as for Binance captures; every
// other message (level2, ticker without sizes, subscriptions) is skipped.
// Coinbase's side is the maker's, so the taker is the opposite side.
// last_match is the trade just before the subscription: it gives the
// last price at the start of the replay.

// cryptofeedReader is the TickSource of such a recording.
type cryptofeedReader struct {
	lines    *lineReader
	products interner
	scan     objectScanner
	nums     decimalCache
}

// Next returns the next trade.
func (r *cryptofeedReader) Next() (exchange.Tick, error) {
	for {
		line, err := r.lines.next()
		if err != nil {
			return exchange.Tick{}, err
		}
		if len(line) == 0 || line[0] < '0' || line[0] > '9' {
			continue // a header line: the URL and what was sent
		}
		t, ok, field, err := r.parse(line)
		if err != nil {
			return t, r.lines.wrap(field, err)
		}
		if ok {
			return t, nil
		}
	}
}

func (r *cryptofeedReader) parse(line []byte) (t exchange.Tick, ok bool, field string, err error) {
	colon := bytes.Index(line, []byte(": "))
	if colon < 0 {
		return t, false, "", fmt.Errorf("want \"<unix seconds>: <json>\", got %s", quote(line))
	}
	ns, err := parseUnixFraction(line[:colon])
	if err != nil {
		return t, false, "receive_time", err
	}
	if !r.scan.start(line[colon+2:]) {
		return t, false, "", r.scan.err
	}
	var kind, product, price, size, side []byte
	for {
		key, val, _, more := r.scan.next()
		if !more {
			break
		}
		switch string(key) {
		case "type":
			kind = val
			if string(kind) != "match" && string(kind) != "last_match" {
				return t, false, "", nil // level2 and ticker: not trades
			}
		case "product_id":
			product = val
		case "price":
			price = val
		case "size":
			size = val
		case "side":
			side = val
		}
	}
	if r.scan.err != nil {
		return t, false, "", r.scan.err
	}
	if kind == nil {
		return t, false, "type", fmt.Errorf("missing")
	}
	if !validProduct(product) {
		return t, false, "product_id", fmt.Errorf("invalid product id %s", quote(product))
	}
	t = exchange.Tick{ProductID: r.products.get(product), Kind: exchange.TradeTick, Time: time.Unix(0, ns).UTC()}
	t.Received = t.Time
	if t.Price, err = r.nums.parse(price); err != nil {
		return t, false, "price", err
	}
	if t.Size, err = r.nums.parse(size); err != nil {
		return t, false, "size", err
	}
	switch string(side) {
	case "buy":
		t.TakerSide = exchange.Sell // a resting buy was hit by a seller
	case "sell":
		t.TakerSide = exchange.Buy
	default:
		return t, false, "side", fmt.Errorf("want buy or sell, got %s", quote(side))
	}
	return t, true, "", nil
}

// parseUnixFraction reads Unix seconds with an optional fraction, such
// as "1618677817.1295161", exactly into nanoseconds (a float64 would
// round and could reorder close messages).
func parseUnixFraction(b []byte) (int64, error) {
	whole, frac := b, []byte(nil)
	if dot := bytes.IndexByte(b, '.'); dot >= 0 {
		whole, frac = b[:dot], b[dot+1:]
	}
	sec, err := parseInt(whole)
	if err != nil {
		return 0, err
	}
	if sec >= (1<<63-1)/int64(time.Second) { // from 2262 on, nanoseconds overflow an int64
		return 0, fmt.Errorf("unix time %s out of range", quote(b))
	}
	if len(frac) > 9 {
		frac = frac[:9] // finer than a nanosecond is noise
	}
	var ns int64
	scale := int64(100000000)
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid unix time %s", quote(b))
		}
		ns += int64(c-'0') * scale
		scale /= 10
	}
	return sec*1e9 + ns, nil
}

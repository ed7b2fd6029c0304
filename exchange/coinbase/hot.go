package coinbase

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// This file decodes the three hot market-data messages (ticker,
// market_trades, l2_data) straight into ticks and book levels. A
// hand-written scanner handles the shapes Coinbase sends; anything
// unusual falls back to encoding/json over the minimal structs below, so
// both paths yield the same result (FuzzHotDecodeAgreesWithEncodingJSON).

// hotMessage is one decoded hot message. Its slices are reused between
// messages by the decoder that owns it (the connection's reader
// goroutine); consumers copy what they keep.
type hotMessage struct {
	channel string
	seq     int64
	time    time.Time
	// received is when the message arrived.
	received time.Time
	ticks    []exchange.Tick
	levels   []l2Level
}

// l2Level is one level change of an l2_data message.
type l2Level struct {
	productID string
	snapshot  bool
	bid       bool
	price     fixed
	qty       fixed
}

func (m *hotMessage) reset() {
	m.channel, m.seq, m.time = "", 0, time.Time{}
	m.ticks, m.levels = m.ticks[:0], m.levels[:0]
}

// hotDecoder decodes hot messages; it interns product ids so that a
// steady feed allocates no strings. Not safe for concurrent use.
type hotDecoder struct {
	products map[string]string
}

// maxInterned bounds the product-id table against a feed of ever-new ids.
const maxInterned = 4096

func (d *hotDecoder) intern(b []byte) string {
	if s, ok := d.products[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.products == nil {
		d.products = make(map[string]string)
	}
	if len(d.products) < maxInterned {
		d.products[s] = s
	}
	return s
}

// errNotHot says the message is not of a hot channel.
var errNotHot = errors.New("not a hot channel")

// decode fills m from b; received stamps the ticks. It returns errNotHot
// for other channels, and an error for a malformed hot message.
func (d *hotDecoder) decode(b []byte, received time.Time, m *hotMessage) error {
	m.reset()
	m.received = received
	if d.fast(b, received, m) {
		return nil
	}
	m.reset()
	m.received = received
	return d.slow(b, received, m)
}

// fast is the hand-written path; false means "use the slow path".
func (d *hotDecoder) fast(b []byte, received time.Time, m *hotMessage) bool {
	s := scanner{b: b}
	s.expect('{')
	first := true
	sawEvents, sawChannel, sawTime := false, false, false
	for !s.bad && s.next(&first, '}') {
		k := s.key()
		switch string(k) {
		case "channel":
			if sawChannel {
				return false
			}
			sawChannel = true
			switch string(s.str()) {
			case ChannelTicker:
				m.channel = ChannelTicker
			case ChannelMarketTrades:
				m.channel = ChannelMarketTrades
			case ChannelL2Data:
				m.channel = ChannelL2Data
			default:
				return false
			}
		case "client_id", "type", "message":
			s.str()
		case "timestamp":
			if sawTime {
				return false
			}
			sawTime = true
			t, ok := parseTimeFast(s.str())
			if !ok {
				return false
			}
			m.time = t
		case "sequence_num":
			m.seq = s.uint()
		case "events":
			if !sawChannel || sawEvents {
				return false
			}
			sawEvents = true
			d.events(&s, received, m)
		default:
			s.skip(0)
		}
	}
	s.end()
	if s.bad || !sawChannel {
		return false
	}
	if m.channel == ChannelTicker {
		for i := range m.ticks {
			m.ticks[i].Time = m.time
		}
	}
	return true
}

func (d *hotDecoder) events(s *scanner, received time.Time, m *hotMessage) {
	s.expect('[')
	first := true
	for !s.bad && s.next(&first, ']') {
		s.expect('{')
		efirst := true
		var productID string
		snapshot, sawList, sawType, sawProduct := false, false, false, false
		startLevels := len(m.levels)
		for !s.bad && s.next(&efirst, '}') {
			k := s.key()
			switch {
			case string(k) == "type":
				if sawType {
					s.fail()
					return
				}
				sawType = true
				typ := s.str()
				snapshot = string(typ) == "snapshot"
			case string(k) == "product_id" && m.channel == ChannelL2Data:
				if sawProduct {
					s.fail()
					return
				}
				sawProduct = true
				productID = d.intern(s.str())
			case string(k) == "tickers" && m.channel == ChannelTicker,
				string(k) == "trades" && m.channel == ChannelMarketTrades,
				string(k) == "updates" && m.channel == ChannelL2Data:
				if sawList {
					s.fail()
					return
				}
				sawList = true
				d.list(s, received, m)
			default:
				s.skip(1)
			}
		}
		// Product and type may follow the updates in the object.
		for i := startLevels; i < len(m.levels); i++ {
			m.levels[i].productID, m.levels[i].snapshot = productID, snapshot
		}
	}
}

func (d *hotDecoder) list(s *scanner, received time.Time, m *hotMessage) {
	s.expect('[')
	first := true
	for !s.bad && s.next(&first, ']') {
		s.expect('{')
		switch m.channel {
		case ChannelTicker:
			d.ticker(s, received, m)
		case ChannelMarketTrades:
			d.trade(s, received, m)
		case ChannelL2Data:
			d.level(s, m)
		}
	}
}

// decField reads a kept decimal string value.
func decField(s *scanner) decimal.Decimal {
	b := s.str()
	if s.bad {
		return decimal.Zero
	}
	if f, ok := parseFixed(b); ok {
		return decimal.New(f.m, -f.scale)
	}
	v, err := parseDecString(string(b))
	if err != nil {
		s.fail()
	}
	return v
}

func (d *hotDecoder) ticker(s *scanner, received time.Time, m *hotMessage) {
	t := exchange.Tick{Kind: exchange.QuoteTick, Received: received}
	first := true
	for !s.bad && s.next(&first, '}') {
		switch string(s.key()) {
		case "product_id":
			t.ProductID = d.intern(s.str())
		case "best_bid":
			t.Bid = decField(s)
		case "best_bid_quantity":
			t.BidSize = decField(s)
		case "best_ask":
			t.Ask = decField(s)
		case "best_ask_quantity":
			t.AskSize = decField(s)
		default:
			s.skip(2)
		}
	}
	m.ticks = append(m.ticks, t)
}

func (d *hotDecoder) trade(s *scanner, received time.Time, m *hotMessage) {
	t := exchange.Tick{Kind: exchange.TradeTick, Received: received}
	first := true
	sawSide := false
	for !s.bad && s.next(&first, '}') {
		switch string(s.key()) {
		case "product_id":
			t.ProductID = d.intern(s.str())
		case "price":
			t.Price = decField(s)
		case "size":
			t.Size = decField(s)
		case "side":
			sawSide = true
			switch string(s.str()) {
			case "BUY":
				t.TakerSide = takerSide("BUY")
			case "SELL":
				t.TakerSide = takerSide("SELL")
			default:
				s.fail()
			}
		case "time":
			b := s.str()
			tm, ok := parseTimeFast(b)
			if !ok {
				s.fail()
			}
			t.Time = tm
		default:
			s.skip(2)
		}
	}
	if !sawSide {
		s.fail() // a trade without a side cannot say who took liquidity
	}
	m.ticks = append(m.ticks, t)
}

// takerSide turns market_trades' maker side into the taker's side.
func takerSide(maker string) exchange.Side {
	switch maker {
	case "BUY":
		return exchange.Sell
	case "SELL":
		return exchange.Buy
	}
	return ""
}

func fixedField(s *scanner) fixed {
	b := s.str()
	if s.bad {
		return fixed{}
	}
	if f, ok := parseFixed(b); ok {
		return f
	}
	v, err := parseDecString(string(b))
	if err != nil {
		s.fail()
		return fixed{}
	}
	f, ok := fixedFromDecimal(v)
	if !ok {
		s.fail()
	}
	return f
}

// fixedFromDecimal converts a decimal whose mantissa fits in int64.
func fixedFromDecimal(v decimal.Decimal) (fixed, bool) {
	c, e := v.Coefficient(), v.Exponent()
	if !c.IsInt64() {
		return fixed{}, false
	}
	m := c.Int64()
	for ; e > 0; e-- {
		if m > 1e17 || m < -1e17 {
			return fixed{}, false
		}
		m *= 10
	}
	return fixed{m, -e}, true
}

func (d *hotDecoder) level(s *scanner, m *hotMessage) {
	var l l2Level
	sawSide := false
	first := true
	for !s.bad && s.next(&first, '}') {
		switch string(s.key()) {
		case "side":
			switch string(s.str()) {
			case "bid":
				l.bid = true
			case "offer", "ask":
				l.bid = false
			default:
				s.fail()
			}
			sawSide = true
		case "price_level":
			l.price = fixedField(s)
		case "new_quantity":
			l.qty = fixedField(s)
		default:
			s.skip(2)
		}
	}
	if !sawSide {
		s.fail()
	}
	m.levels = append(m.levels, l)
}

// The slow path: encoding/json over the fields the feed uses.
type (
	hotEnvelope[E any] struct {
		Channel     string  `json:"channel"`
		Timestamp   Time    `json:"timestamp"`
		SequenceNum FlexInt `json:"sequence_num"`
		Events      []E     `json:"events"`
	}
	hotTickerEvent struct {
		Tickers []struct {
			ProductID       string `json:"product_id"`
			BestBid         Dec    `json:"best_bid"`
			BestBidQuantity Dec    `json:"best_bid_quantity"`
			BestAsk         Dec    `json:"best_ask"`
			BestAskQuantity Dec    `json:"best_ask_quantity"`
		} `json:"tickers"`
	}
	hotTradesEvent struct {
		Trades []struct {
			ProductID string `json:"product_id"`
			Price     Dec    `json:"price"`
			Size      Dec    `json:"size"`
			Side      string `json:"side"`
			Time      Time   `json:"time"`
		} `json:"trades"`
	}
	hotL2Event struct {
		Type      string `json:"type"`
		ProductID string `json:"product_id"`
		Updates   []struct {
			Side        string `json:"side"`
			PriceLevel  Dec    `json:"price_level"`
			NewQuantity Dec    `json:"new_quantity"`
		} `json:"updates"`
	}
)

func (d *hotDecoder) slow(b []byte, received time.Time, m *hotMessage) error {
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	switch h.Channel {
	case ChannelTicker:
		var e hotEnvelope[hotTickerEvent]
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		m.channel, m.seq, m.time = ChannelTicker, int64(e.SequenceNum), e.Timestamp.Time
		for _, ev := range e.Events {
			for _, t := range ev.Tickers {
				m.ticks = append(m.ticks, exchange.Tick{ProductID: t.ProductID, Kind: exchange.QuoteTick, Time: m.time, Received: received,
					Bid: t.BestBid.Decimal, BidSize: t.BestBidQuantity.Decimal, Ask: t.BestAsk.Decimal, AskSize: t.BestAskQuantity.Decimal})
			}
		}
	case ChannelMarketTrades:
		var e hotEnvelope[hotTradesEvent]
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		m.channel, m.seq, m.time = ChannelMarketTrades, int64(e.SequenceNum), e.Timestamp.Time
		for _, ev := range e.Events {
			for _, t := range ev.Trades {
				side := takerSide(t.Side)
				if side == "" {
					return fmt.Errorf("market_trades: side %.20q is not BUY or SELL", t.Side)
				}
				m.ticks = append(m.ticks, exchange.Tick{ProductID: t.ProductID, Kind: exchange.TradeTick, Time: t.Time.Time, Received: received,
					Price: t.Price.Decimal, Size: t.Size.Decimal, TakerSide: side})
			}
		}
	case ChannelL2Data:
		var e hotEnvelope[hotL2Event]
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		m.channel, m.seq, m.time = ChannelL2Data, int64(e.SequenceNum), e.Timestamp.Time
		for _, ev := range e.Events {
			for _, u := range ev.Updates {
				l := l2Level{productID: ev.ProductID, snapshot: ev.Type == "snapshot"}
				switch u.Side {
				case "bid":
					l.bid = true
				case "offer", "ask":
				default:
					return fmt.Errorf("l2_data: side %.20q is not bid or offer", u.Side)
				}
				var ok1, ok2 bool
				l.price, ok1 = fixedFromDecimal(u.PriceLevel.Decimal)
				l.qty, ok2 = fixedFromDecimal(u.NewQuantity.Decimal)
				if !ok1 || !ok2 {
					return fmt.Errorf("l2_data: level %s x %s out of range", u.PriceLevel.Decimal, u.NewQuantity.Decimal)
				}
				m.levels = append(m.levels, l)
			}
		}
	default:
		return errNotHot
	}
	return nil
}

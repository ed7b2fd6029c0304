package coinbase

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// marketSession handles the market-data connection. Its books, decoder
// and buffers are owned by the connection's goroutine.
type marketSession struct {
	f       *Feed
	dec     hotDecoder
	msg     hotMessage
	books   map[string]*marketBook
	touched []*marketBook
	level2  bool
	// alias maps the product id Coinbase sends to the one configured;
	// see usdcAliases.
	alias map[string]string
}

// marketBook is a book with its resync state.
type marketBook struct {
	*Book
	// stale is true from a sequence gap until the next snapshot: the book
	// may miss levels, so it emits no quotes.
	stale    bool
	lastBest [4]int64
}

// maxBooks bounds the books a feed keeps, against a server sending
// levels for ever-new products.
const maxBooks = 1024

func newMarketSession(f *Feed) *marketSession {
	return &marketSession{f: f, books: map[string]*marketBook{}, level2: slices.Contains(f.cfg.Channels, ChannelLevel2),
		alias: usdcAliases(f.cfg.Products)}
}

// usdcAliases returns, for each configured "X-USDC" product, the entry
// "X-USD" -> "X-USDC": Coinbase serves market data for -USDC ids from the
// -USD book and labels it -USD (API.md 4.1), while tradebot must see the
// product it asked for. Pairs Coinbase keeps apart (USDT-USDC, EURC-USDC)
// and -USD ids that are configured themselves are left alone.
func usdcAliases(products []string) map[string]string {
	alias := map[string]string{}
	for _, p := range products {
		base, ok := strings.CutSuffix(p, "-USDC")
		if !ok || base == "USDT" || base == "EURC" || slices.Contains(products, base+"-USD") {
			continue
		}
		alias[base+"-USD"] = p
	}
	return alias
}

// label returns the product id to report for an id Coinbase sent.
func (m *marketSession) label(id string) string {
	if a, ok := m.alias[id]; ok {
		return a
	}
	return id
}

func (m *marketSession) subscriptions() []subscription {
	subs := make([]subscription, 0, len(m.f.cfg.Channels))
	for _, ch := range m.f.cfg.Channels {
		subs = append(subs, subscription{channel: ch, products: m.f.cfg.Products})
	}
	return subs
}

func (m *marketSession) connected(reconnect bool) {
	// A new connection brings fresh snapshots; until they arrive the old
	// books are out of date.
	for _, b := range m.books {
		b.stale = true
	}
}

func (m *marketSession) handle(raw []byte, c *conn) error {
	now := m.f.clk.Now()
	err := m.dec.decode(raw, now, &m.msg)
	switch {
	case errors.Is(err, errNotHot):
		return m.handleOther(raw, c)
	case err != nil:
		m.malformed(raw, err)
		return nil
	}
	gap, stale := c.sequence(m.msg.seq)
	if stale {
		return nil
	}
	if gap > 0 && m.level2 {
		if err := m.resyncBooks(c); err != nil {
			return err
		}
	}
	switch m.msg.channel {
	case ChannelTicker, ChannelMarketTrades:
		m.emitTicks()
	case ChannelL2Data:
		return m.applyLevels(c)
	}
	return nil
}

// emitTicks hands ticks to OnTick oldest first: Coinbase batches trades
// newest first.
func (m *marketSession) emitTicks() {
	ticks := m.msg.ticks
	if m.f.cfg.OnTick == nil || len(ticks) == 0 {
		return
	}
	if len(m.alias) > 0 {
		for i := range ticks {
			ticks[i].ProductID = m.label(ticks[i].ProductID)
		}
	}
	if len(ticks) > 1 && ticks[0].Kind == exchange.TradeTick && ticks[0].Time.After(ticks[len(ticks)-1].Time) {
		for i := len(ticks) - 1; i >= 0; i-- {
			m.f.cfg.OnTick(ticks[i])
		}
		return
	}
	for _, t := range ticks {
		m.f.cfg.OnTick(t)
	}
}

func (m *marketSession) book(productID string) *marketBook {
	if b, ok := m.books[productID]; ok {
		return b
	}
	if len(m.books) >= maxBooks {
		return nil
	}
	b := &marketBook{Book: NewBook(m.label(productID)), stale: true}
	m.books[productID] = b
	return b
}

// applyLevels applies an l2_data message and emits a quote for every
// book whose top changed.
func (m *marketSession) applyLevels(c *conn) error {
	m.touched = m.touched[:0]
	for _, l := range m.msg.levels {
		b := m.book(l.productID)
		if b == nil {
			continue
		}
		if !slices.Contains(m.touched, b) {
			m.touched = append(m.touched, b)
			if l.snapshot {
				b.Reset()
				b.stale = false
			}
		}
		if err := b.apply(l.bid, l.price, l.qty); err != nil {
			m.f.log.Warn("coinbase order book update refused, resubscribing", "product", b.ProductID, "err", err)
			return m.resyncBooks(c)
		}
	}
	for _, b := range m.touched {
		if b.stale {
			continue
		}
		if b.Crossed() {
			m.f.log.Warn("coinbase order book crossed, resubscribing", "product", b.ProductID)
			return m.resyncBooks(c)
		}
		best := b.bestRaw()
		if best == b.lastBest {
			continue
		}
		b.lastBest = best
		if bid, bidSize, ask, askSize, ok := b.Best(); ok && m.f.cfg.OnTick != nil {
			m.f.cfg.OnTick(exchange.Tick{ProductID: b.ProductID, Kind: exchange.QuoteTick, Time: m.msg.time, Received: m.msg.received,
				Bid: bid, BidSize: bidSize, Ask: ask, AskSize: askSize})
		}
	}
	return nil
}

// resyncBooks marks every book stale and resubscribes level2, which
// makes Coinbase send fresh snapshots.
func (m *marketSession) resyncBooks(c *conn) error {
	for _, b := range m.books {
		b.stale = true
	}
	sub := subscription{channel: ChannelLevel2, products: m.f.cfg.Products}
	if err := c.subscribe("unsubscribe", sub); err != nil {
		return errReconnect{"write"}
	}
	if err := c.subscribe("subscribe", sub); err != nil {
		return errReconnect{"write"}
	}
	return nil
}

// handleOther processes the channels off the hot path.
func (m *marketSession) handleOther(raw []byte, c *conn) error {
	var h Header
	if err := json.Unmarshal(raw, &h); err != nil {
		m.malformed(raw, err)
		return nil
	}
	if h.Type == "error" {
		m.f.log.Error("coinbase feed error message", "feed", c.name, "message", sanitizeSnippet([]byte(h.Message)))
		return errReconnect{errorReason(h.Message)}
	}
	if h.Channel == "" {
		return nil
	}
	if _, stale := c.sequence(int64(h.SequenceNum)); stale {
		return nil
	}
	switch h.Channel {
	case ChannelCandles:
		var msg Message[CandlesEvent]
		if err := json.Unmarshal(raw, &msg); err != nil {
			m.malformed(raw, err)
			return nil
		}
		if m.f.cfg.OnCandle == nil {
			return nil
		}
		for _, ev := range msg.Events {
			for _, cd := range ev.Candles {
				m.f.cfg.OnCandle(exchange.Candle{ProductID: m.label(cd.ProductID), Start: time.Unix(int64(cd.Start), 0).UTC(), Interval: 5 * time.Minute,
					Open: cd.Open.Decimal, High: cd.High.Decimal, Low: cd.Low.Decimal, Close: cd.Close.Decimal, Volume: cd.Volume.Decimal})
			}
		}
	}
	return nil
}

func (m *marketSession) malformed(raw []byte, err error) {
	var h Header
	_ = json.Unmarshal(raw, &h)
	m.f.obs.MalformedMessage("market", channelLabel(h.Channel))
	m.f.log.Warn("coinbase feed skipped a malformed message", "feed", "market", "channel", channelLabel(h.Channel), "err", err)
}

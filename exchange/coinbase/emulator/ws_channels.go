package emulator

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// userBatch is how many open orders one user snapshot message carries.
const userBatch = 50

// marketChannels are the channels the market-data endpoint serves; the
// user endpoint serves heartbeats and user only (API.md 4.1).
var marketChannels = map[string]bool{
	coinbase.ChannelHeartbeats: true, coinbase.ChannelTicker: true, coinbase.ChannelLevel2: true,
	coinbase.ChannelMarketTrades: true, coinbase.ChannelCandles: true, coinbase.ChannelStatus: true,
	coinbase.ChannelUser: true,
}

func errMsg(text string) outMsg {
	return outMsg{raw: coinbase.ErrorMessage{Type: "error", Message: text}}
}

// handleSubscribe applies one subscribe or unsubscribe message.
func (e *Emulator) handleSubscribe(c *wsConn, req coinbase.SubscribeRequest) {
	if req.Type != "subscribe" && req.Type != "unsubscribe" {
		c.send(errMsg("unknown message type " + strconv.Quote(req.Type)))
		return
	}
	name := req.Channel
	if !marketChannels[name] || (c.user && name != coinbase.ChannelHeartbeats && name != coinbase.ChannelUser) {
		c.send(errMsg("Failure to subscribe: channel " + strconv.Quote(name) + " is not served here"))
		return
	}
	if req.JWT != "" {
		e.stats.jwt(req.JWT)
		k, err := e.verify(req.JWT, "")
		if err == nil {
			if err = e.keyRefusal(k, c.remote); err != nil {
				e.stats.authFailed()
			}
		}
		if err != nil {
			e.log.Info("emulator: WebSocket JWT refused", "channel", name, "reason", err.Error())
			c.send(errMsg("authentication failure"))
			return
		}
	} else if name == coinbase.ChannelUser {
		e.stats.authFailed()
		c.send(errMsg("authentication failure"))
		return
	}
	needsProducts := name != coinbase.ChannelHeartbeats && name != coinbase.ChannelUser && name != coinbase.ChannelStatus
	for _, p := range req.ProductIDs {
		if e.market.products[p] == nil {
			c.send(errMsg("Failure to subscribe: product " + strconv.Quote(p) + " is not listed"))
			return
		}
	}
	if req.Type == "subscribe" && needsProducts && len(req.ProductIDs) == 0 {
		c.send(errMsg("Failure to subscribe: product_ids are required for channel " + name))
		return
	}
	if name == coinbase.ChannelUser {
		// Holding userMu keeps order updates from passing the snapshot.
		e.ws.userMu.Lock()
		defer e.ws.userMu.Unlock()
	} else {
		e.market.mu.Lock()
		defer e.market.mu.Unlock()
	}
	c.mu.Lock()
	c.subscribed = true
	var added []string
	if req.Type == "subscribe" {
		set := c.subs[name]
		if set == nil {
			set = make(map[string]bool)
			c.subs[name] = set
		}
		for _, p := range req.ProductIDs {
			if !set[p] {
				set[p] = true
				added = append(added, p)
			}
		}
		if name == coinbase.ChannelHeartbeats {
			c.heartbeats = true
		}
	} else if set := c.subs[name]; set != nil {
		for _, p := range req.ProductIDs {
			delete(set, p)
		}
		if len(req.ProductIDs) == 0 || len(set) == 0 {
			delete(c.subs, name)
			if name == coinbase.ChannelHeartbeats {
				c.heartbeats = false
			}
		}
	}
	ack := make(map[string][]string, len(c.subs))
	for ch, set := range c.subs {
		ps := make([]string, 0, len(set))
		for p := range set {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		ack[ch] = ps
	}
	c.mu.Unlock()
	c.send(outMsg{channel: coinbase.ChannelSubscriptions, events: []coinbase.SubscriptionsEvent{{Subscriptions: ack}}})
	if req.Type != "subscribe" {
		return
	}
	if name == coinbase.ChannelUser {
		e.userSnapshot(c, req.ProductIDs)
		return
	}
	for _, p := range added {
		e.marketSnapshot(c, name, e.market.products[p])
	}
	if name == coinbase.ChannelStatus {
		e.statusSnapshot(c)
	}
}

// marketSnapshot sends one product's snapshot of a market channel. The
// caller holds market.mu.
func (e *Emulator) marketSnapshot(c *wsConn, name string, pm *productMarket) {
	now := e.clk.Now()
	switch name {
	case coinbase.ChannelTicker:
		if pm.last.IsPositive() {
			c.send(outMsg{channel: coinbase.ChannelTicker, events: []coinbase.TickerEvent{{Type: "snapshot", Tickers: []coinbase.Ticker{e.ticker(pm, now)}}}})
		}
	case coinbase.ChannelMarketTrades:
		n := min(len(pm.trades), 50)
		trades := make([]coinbase.WSTrade, 0, n)
		for i := len(pm.trades) - 1; i >= len(pm.trades)-n; i-- {
			trades = append(trades, wsTrade(pm.product.ID, pm.trades[i]))
		}
		c.send(outMsg{channel: coinbase.ChannelMarketTrades, events: []coinbase.MarketTradesEvent{{Type: "snapshot", Trades: trades}}})
	case coinbase.ChannelLevel2:
		ups := make([]coinbase.L2Update, 0, len(pm.bids)+len(pm.asks))
		at := coinbase.Time{Time: pm.bookTime.UTC()}
		for _, l := range pm.bids {
			ups = append(ups, coinbase.L2Update{Side: "bid", EventTime: at, PriceLevel: coinbase.D(l.price), NewQuantity: coinbase.D(l.size)})
		}
		for _, l := range pm.asks {
			ups = append(ups, coinbase.L2Update{Side: "offer", EventTime: at, PriceLevel: coinbase.D(l.price), NewQuantity: coinbase.D(l.size)})
		}
		c.send(outMsg{channel: coinbase.ChannelL2Data, events: []coinbase.L2Event{{Type: "snapshot", ProductID: pm.product.ID, Updates: ups}}})
	case coinbase.ChannelCandles:
		if cs := e.wsCandles(pm, now); len(cs) > 0 {
			c.send(outMsg{channel: coinbase.ChannelCandles, events: []coinbase.CandlesEvent{{Type: "snapshot", Candles: cs}}})
		}
	}
}

func (e *Emulator) statusSnapshot(c *wsConn) {
	var ps []coinbase.StatusProduct
	for _, id := range e.market.order {
		p := e.market.products[id].product
		ps = append(ps, coinbase.StatusProduct{ProductType: "SPOT", ID: p.ID, BaseCurrency: p.BaseCurrency, QuoteCurrency: p.QuoteCurrency,
			BaseIncrement: coinbase.D(p.BaseIncrement), QuoteIncrement: coinbase.D(p.QuoteIncrement),
			DisplayName: p.BaseCurrency + "/" + p.QuoteCurrency, Status: "online", MinMarketFunds: coinbase.D(p.QuoteMinSize)})
	}
	c.send(outMsg{channel: coinbase.ChannelStatus, events: []coinbase.StatusEvent{{Type: "snapshot", Products: ps}}})
}

// userSnapshot sends the open orders in batches of 50; a batch of fewer
// than 50 (possibly none) ends the snapshot. The caller holds userMu.
func (e *Emulator) userSnapshot(c *wsConn, products []string) {
	open, _ := e.sim.OpenOrders(context.Background(), "")
	if len(products) > 0 {
		open = slices.DeleteFunc(open, func(o exchange.Order) bool { return !slices.Contains(products, o.ProductID) })
	}
	for i := 0; ; i += userBatch {
		batch := open[i:min(i+userBatch, len(open))]
		orders := make([]coinbase.UserOrder, 0, len(batch))
		for _, o := range batch {
			orders = append(orders, e.userOrder(o))
		}
		c.send(outMsg{channel: coinbase.ChannelUser, events: []coinbase.UserEvent{{Type: "snapshot", Orders: orders,
			Positions: &coinbase.UserPositions{PerpetualFuturesPositions: []map[string]any{}, ExpiringFuturesPositions: []map[string]any{}}}}})
		if len(batch) < userBatch {
			return
		}
	}
}

// orderUpdate sends an order's whole new state to the user subscribers of
// its product.
func (h *wsHub) orderUpdate(o exchange.Order) {
	h.userMu.Lock()
	defer h.userMu.Unlock()
	var msg *outMsg
	for _, c := range h.list() {
		if c.userMuted.Load() || !c.wants(coinbase.ChannelUser, o.ProductID) {
			continue
		}
		if msg == nil {
			msg = &outMsg{channel: coinbase.ChannelUser, events: []coinbase.UserEvent{{Type: "update", Orders: []coinbase.UserOrder{h.e.userOrder(o)}}}}
		}
		c.send(*msg)
	}
}

// publish sends events to every connection subscribed to name for the
// product, building them only if someone listens.
func (h *wsHub) publish(name, wire, productID string, build func() any) {
	var events any
	for _, c := range h.list() {
		if !c.wants(name, productID) {
			continue
		}
		if events == nil {
			events = build()
		}
		c.send(outMsg{channel: wire, events: events})
	}
}

// publishTrade sends a trade to market_trades and the new ticker to ticker
// subscribers. The caller holds market.mu.
func (h *wsHub) publishTrade(pm *productMarket, tr trade) {
	id := pm.product.ID
	h.publish(coinbase.ChannelMarketTrades, coinbase.ChannelMarketTrades, id, func() any {
		return []coinbase.MarketTradesEvent{{Type: "update", Trades: []coinbase.WSTrade{wsTrade(id, tr)}}}
	})
	h.publish(coinbase.ChannelTicker, coinbase.ChannelTicker, id, func() any {
		return []coinbase.TickerEvent{{Type: "update", Tickers: []coinbase.Ticker{h.e.ticker(pm, tr.time)}}}
	})
}

// publishCandle sends the current five-minute candle.
func (h *wsHub) publishCandle(pm *productMarket, now time.Time) {
	h.publish(coinbase.ChannelCandles, coinbase.ChannelCandles, pm.product.ID, func() any {
		return []coinbase.CandlesEvent{{Type: "update", Candles: h.e.wsCandles(pm, now)}}
	})
}

// publishBook sends the changed levels of the synthetic book.
func (h *wsHub) publishBook(pm *productMarket, ups []bookUpdate, at time.Time) {
	h.publish(coinbase.ChannelLevel2, coinbase.ChannelL2Data, pm.product.ID, func() any {
		out := make([]coinbase.L2Update, len(ups))
		for i, u := range ups {
			side := "offer"
			if u.bid {
				side = "bid"
			}
			out[i] = coinbase.L2Update{Side: side, EventTime: coinbase.Time{Time: at.UTC()}, PriceLevel: coinbase.D(u.price), NewQuantity: coinbase.D(u.size)}
		}
		return []coinbase.L2Event{{Type: "update", ProductID: pm.product.ID, Updates: out}}
	})
}

func wsTrade(productID string, t trade) coinbase.WSTrade {
	return coinbase.WSTrade{TradeID: t.id, ProductID: productID, Price: coinbase.D(t.price), Size: coinbase.D(t.size),
		Side: string(t.makerSide), Time: coinbase.Time{Time: t.time.UTC()}}
}

// ticker builds a product's ticker entry. The caller holds market.mu.
func (e *Emulator) ticker(pm *productMarket, now time.Time) coinbase.Ticker {
	d := pm.day(now)
	return coinbase.Ticker{Type: "ticker", ProductID: pm.product.ID, Price: coinbase.D(pm.last),
		Volume24H: coinbase.D(d.volume), Low24H: coinbase.D(d.low), High24H: coinbase.D(d.high),
		Low52W: coinbase.D(pm.low52), High52W: coinbase.D(pm.high52), PricePercentChg24H: coinbase.D(percentChange(d.open, pm.last)),
		BestBid: coinbase.D(pm.bid), BestBidQuantity: coinbase.D(pm.bidSize), BestAsk: coinbase.D(pm.ask), BestAskQuantity: coinbase.D(pm.askSize)}
}

// percentChange is (to-from)/from in percent, to 8 places; 0 without a
// starting price.
func percentChange(from, to decimal.Decimal) decimal.Decimal {
	if !from.IsPositive() {
		return decimal.Zero
	}
	return to.Sub(from).Div(from).Mul(decimal.New(100, 0)).Round(8)
}

// wsCandles returns the current five-minute candle, as the candles
// channel sends it.
func (e *Emulator) wsCandles(pm *productMarket, now time.Time) []coinbase.WSCandle {
	start := now.UTC().Truncate(5 * time.Minute)
	cs := pm.candlesBetween(5*time.Minute, start, start)
	out := make([]coinbase.WSCandle, 0, len(cs))
	for _, c := range cs {
		out = append(out, coinbase.WSCandle{Start: coinbase.StrInt(c.Start.Unix()), High: coinbase.D(c.High), Low: coinbase.D(c.Low),
			Open: coinbase.D(c.Open), Close: coinbase.D(c.Close), Volume: coinbase.D(c.Volume), ProductID: pm.product.ID})
	}
	return out
}

package emulator

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// Bounds of what the market state keeps per product.
const (
	bookDepth     = 50        // levels per side of the synthetic book
	keptTrades    = 1000      // recent trades for /ticker and snapshots
	keptMinutes   = 14 * 1440 // one-minute candles: two weeks
	statsLifetime = time.Second
)

// marketState is the emulated market as the public endpoints and channels
// show it: per product the last trade, a book built from the best bid and
// ask, recent trades and one-minute candles. mu guards everything; the
// tick path holds it while publishing to the WebSocket hub, and a
// subscription holds it while it builds its snapshot, so that a
// subscriber's updates always follow its snapshot.
type marketState struct {
	mu       sync.Mutex
	products map[string]*productMarket
	order    []string
}

type level struct{ price, size decimal.Decimal }

type trade struct {
	id        string
	price     decimal.Decimal
	size      decimal.Decimal
	makerSide exchange.Side
	time      time.Time
	bid, ask  decimal.Decimal
}

type productMarket struct {
	product exchange.Product

	last     decimal.Decimal
	lastTime time.Time
	bid, ask decimal.Decimal
	bidSize  decimal.Decimal
	askSize  decimal.Decimal
	bookTime time.Time
	// bids descend and asks ascend from the best level.
	bids, asks []level

	trades   []trade // oldest first
	tradeSeq int64

	candles []exchange.Candle // one-minute, oldest first
	given   map[time.Duration][]exchange.Candle

	low52, high52  decimal.Decimal
	lastCandleSent time.Time

	stats     dayStats
	statsTime time.Time
}

// dayStats are the 24-hour figures of the ticker and product answers.
type dayStats struct {
	volume, low, high, open decimal.Decimal
}

func newMarketState(products []exchange.Product, seed []exchange.Candle) *marketState {
	m := &marketState{products: make(map[string]*productMarket, len(products))}
	for _, p := range products {
		m.products[p.ID] = &productMarket{product: p, given: make(map[time.Duration][]exchange.Candle)}
		m.order = append(m.order, p.ID)
	}
	for _, c := range seed {
		pm := m.products[c.ProductID]
		if pm == nil {
			continue
		}
		if c.Interval == time.Minute {
			pm.candles = append(pm.candles, c)
		} else {
			pm.given[c.Interval] = append(pm.given[c.Interval], c)
		}
	}
	for _, pm := range m.products {
		slices.SortFunc(pm.candles, func(a, b exchange.Candle) int { return a.Start.Compare(b.Start) })
		for iv := range pm.given {
			slices.SortFunc(pm.given[iv], func(a, b exchange.Candle) int { return a.Start.Compare(b.Start) })
		}
		if n := len(pm.candles); n > 0 {
			pm.last = pm.candles[n-1].Close
		}
	}
	return m
}

// apply records one tick and publishes what it changed.
func (m *marketState) apply(t exchange.Tick, hub *wsHub) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pm := m.products[t.ProductID]
	if pm == nil {
		return
	}
	switch t.Kind {
	case exchange.TradeTick:
		if !t.Price.IsPositive() {
			return
		}
		tr := pm.addTrade(t)
		hub.publishTrade(pm, tr)
		if t.Time.Sub(pm.lastCandleSent) >= time.Second {
			pm.lastCandleSent = t.Time
			hub.publishCandle(pm, t.Time)
		}
	case exchange.QuoteTick:
		if ups := pm.setQuote(t); len(ups) > 0 {
			hub.publishBook(pm, ups, t.Time)
		}
	}
}

func (pm *productMarket) addTrade(t exchange.Tick) trade {
	pm.last, pm.lastTime = t.Price, t.Time
	pm.tradeSeq++
	maker := exchange.Sell
	if t.TakerSide == exchange.Sell {
		maker = exchange.Buy
	}
	tr := trade{id: fmt.Sprint(pm.tradeSeq), price: t.Price, size: t.Size, makerSide: maker, time: t.Time, bid: pm.bid, ask: pm.ask}
	if len(pm.trades) >= keptTrades {
		pm.trades = slices.Delete(pm.trades, 0, len(pm.trades)-keptTrades+1)
	}
	pm.trades = append(pm.trades, tr)
	if pm.low52.IsZero() || t.Price.LessThan(pm.low52) {
		pm.low52 = t.Price
	}
	if t.Price.GreaterThan(pm.high52) {
		pm.high52 = t.Price
	}
	pm.addToCandle(t)
	return tr
}

// addToCandle folds a trade into its one-minute candle.
func (pm *productMarket) addToCandle(t exchange.Tick) {
	start := t.Time.UTC().Truncate(time.Minute)
	i := len(pm.candles) - 1
	for i >= 0 && pm.candles[i].Start.After(start) {
		i--
	}
	if i >= 0 && pm.candles[i].Start.Equal(start) {
		c := &pm.candles[i]
		c.High = decimal.Max(c.High, t.Price)
		c.Low = decimal.Min(c.Low, t.Price)
		c.Close = t.Price
		c.Volume = c.Volume.Add(t.Size)
		return
	}
	c := exchange.Candle{ProductID: pm.product.ID, Start: start, Interval: time.Minute,
		Open: t.Price, High: t.Price, Low: t.Price, Close: t.Price, Volume: t.Size}
	pm.candles = slices.Insert(pm.candles, i+1, c)
	if len(pm.candles) > keptMinutes {
		pm.candles = slices.Delete(pm.candles, 0, len(pm.candles)-keptMinutes)
	}
}

// bookUpdate is one changed level of the synthetic book; a zero size
// removes the level.
type bookUpdate struct {
	bid         bool
	price, size decimal.Decimal
}

// setQuote moves the best bid and ask and returns the levels that changed.
// The book is what the quotes imply: a new best bid removes the bids above
// it (they were taken or pulled) and the asks at or below it, and keeps
// the lower bids as last seen, down to bookDepth levels; asks likewise.
func (pm *productMarket) setQuote(t exchange.Tick) []bookUpdate {
	oldBids, oldAsks := slices.Clone(pm.bids), slices.Clone(pm.asks)
	if t.Bid.IsPositive() {
		pm.bid, pm.bidSize = t.Bid, t.BidSize
		pm.bids = setLevel(pm.bids, t.Bid, t.BidSize, true)
		pm.asks = slices.DeleteFunc(pm.asks, func(l level) bool { return l.price.LessThanOrEqual(t.Bid) })
	}
	if t.Ask.IsPositive() {
		pm.ask, pm.askSize = t.Ask, t.AskSize
		pm.asks = setLevel(pm.asks, t.Ask, t.AskSize, false)
		pm.bids = slices.DeleteFunc(pm.bids, func(l level) bool { return l.price.GreaterThanOrEqual(t.Ask) })
	}
	pm.bookTime = t.Time
	return append(diffLevels(oldBids, pm.bids, true), diffLevels(oldAsks, pm.asks, false)...)
}

// setLevel makes price the best level of one side with size, dropping the
// levels better than it. bids descend, asks ascend.
func setLevel(side []level, price, size decimal.Decimal, bid bool) []level {
	better := func(l level) bool {
		if bid {
			return l.price.GreaterThanOrEqual(price)
		}
		return l.price.LessThanOrEqual(price)
	}
	side = slices.DeleteFunc(side, better)
	if size.IsPositive() {
		side = slices.Insert(side, 0, level{price: price, size: size})
	}
	if len(side) > bookDepth {
		side = side[:bookDepth]
	}
	return side
}

func diffLevels(before, after []level, bid bool) []bookUpdate {
	var out []bookUpdate
	for _, a := range after {
		i := slices.IndexFunc(before, func(b level) bool { return b.price.Equal(a.price) })
		if i < 0 || !before[i].size.Equal(a.size) {
			out = append(out, bookUpdate{bid: bid, price: a.price, size: a.size})
		}
	}
	for _, b := range before {
		if !slices.ContainsFunc(after, func(a level) bool { return a.price.Equal(b.price) }) {
			out = append(out, bookUpdate{bid: bid, price: b.price, size: decimal.Zero})
		}
	}
	return out
}

// day returns the 24-hour figures up to now, recomputed at most once a
// second of the tick clock.
func (pm *productMarket) day(now time.Time) dayStats {
	if !pm.statsTime.IsZero() && now.Sub(pm.statsTime) < statsLifetime && now.After(pm.statsTime) {
		return pm.stats
	}
	from := now.Add(-24 * time.Hour)
	var s dayStats
	for _, c := range pm.candles {
		if c.Start.Before(from) {
			continue
		}
		if s.open.IsZero() {
			s.open, s.low, s.high = c.Open, c.Low, c.High
		}
		s.volume = s.volume.Add(c.Volume)
		s.low = decimal.Min(s.low, c.Low)
		s.high = decimal.Max(s.high, c.High)
	}
	pm.stats, pm.statsTime = s, now
	return s
}

// candlesBetween returns the candles of interval that start in
// [from, to], oldest first: the given candles of that interval if any
// were seeded, else the one-minute candles aggregated.
func (pm *productMarket) candlesBetween(interval time.Duration, from, to time.Time) []exchange.Candle {
	if given := pm.given[interval]; len(given) > 0 {
		var out []exchange.Candle
		for _, c := range given {
			if !c.Start.Before(from) && !c.Start.After(to) {
				out = append(out, c)
			}
		}
		return out
	}
	var out []exchange.Candle
	for _, c := range pm.candles {
		start := c.Start.Truncate(interval)
		if start.Before(from) || start.After(to) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Start.Equal(start) {
			a := &out[n-1]
			a.High = decimal.Max(a.High, c.High)
			a.Low = decimal.Min(a.Low, c.Low)
			a.Close = c.Close
			a.Volume = a.Volume.Add(c.Volume)
			continue
		}
		c.Start, c.Interval = start, interval
		out = append(out, c)
	}
	return out
}

// product returns the market of id, or nil. Callers hold mu.
func (m *marketState) product(id string) *productMarket { return m.products[id] }

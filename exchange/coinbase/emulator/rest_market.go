package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange/coinbase"
)

// MaxCandles is the most candles one request may span, with Coinbase's
// wording when exceeded.
const MaxCandles = 350

var granularities = map[string]time.Duration{
	"ONE_MINUTE": time.Minute, "FIVE_MINUTE": 5 * time.Minute, "FIFTEEN_MINUTE": 15 * time.Minute,
	"THIRTY_MINUTE": 30 * time.Minute, "ONE_HOUR": time.Hour, "TWO_HOUR": 2 * time.Hour,
	"FOUR_HOUR": 4 * time.Hour, "SIX_HOUR": 6 * time.Hour, "ONE_DAY": 24 * time.Hour,
}

// productJSON renders a product with its live figures. The caller holds
// market.mu.
func (e *Emulator) productJSON(pm *productMarket) coinbase.Product {
	p := pm.product
	now := e.clk.Now()
	d := pm.day(now)
	mid := decimal.Zero
	if pm.bid.IsPositive() && pm.ask.IsPositive() {
		mid = pm.bid.Add(pm.ask).Div(decimal.New(2, 0))
	}
	return coinbase.Product{
		ProductID: p.ID, Price: coinbase.D(pm.last), PricePercentageChange24h: coinbase.D(percentChange(d.open, pm.last)),
		Volume24h: coinbase.D(d.volume), VolumePercentageChange24h: coinbase.D(decimal.Zero),
		BaseIncrement: coinbase.D(p.BaseIncrement), QuoteIncrement: coinbase.D(p.QuoteIncrement), PriceIncrement: coinbase.D(p.PriceIncrement),
		QuoteMinSize: coinbase.D(p.QuoteMinSize), QuoteMaxSize: coinbase.D(p.QuoteMaxSize),
		BaseMinSize: coinbase.D(p.BaseMinSize), BaseMaxSize: coinbase.D(p.BaseMaxSize),
		BaseName: p.BaseCurrency, QuoteName: p.QuoteCurrency, Status: "online",
		CancelOnly: p.CancelOnly, LimitOnly: p.LimitOnly, PostOnly: p.PostOnly, TradingDisabled: p.TradingDisabled,
		AuctionMode: e.sim.AuctionMode(p.ID), ProductType: "SPOT", QuoteCurrencyID: p.QuoteCurrency, BaseCurrencyID: p.BaseCurrency,
		MidMarketPrice: coinbase.D(mid), AliasTo: []string{},
		BaseDisplaySymbol: p.BaseCurrency, QuoteDisplaySymbol: p.QuoteCurrency,
		DisplayName: p.BaseCurrency + "-" + p.QuoteCurrency, ProductVenue: "CBE",
		BestBidPrice: coinbase.D(pm.bid), BestAskPrice: coinbase.D(pm.ask),
	}
}

func invalidProduct(w http.ResponseWriter) { badRequest(w, "ProductID is invalid") }

func (e *Emulator) listProducts(w http.ResponseWriter, r *http.Request, _ Key) {
	q := r.URL.Query()
	if t := q.Get("product_type"); t != "" && t != "SPOT" {
		writeJSON(w, http.StatusOK, coinbase.ListProductsResponse{Products: []coinbase.Product{}})
		return
	}
	want := q["product_ids"]
	e.market.mu.Lock()
	out := coinbase.ListProductsResponse{Products: []coinbase.Product{}}
	for _, id := range e.market.order {
		if len(want) > 0 && !slices.Contains(want, id) {
			continue
		}
		out.Products = append(out.Products, e.productJSON(e.market.products[id]))
	}
	e.market.mu.Unlock()
	out.NumProducts = len(out.Products)
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) getProduct(w http.ResponseWriter, r *http.Request, _ Key) {
	e.market.mu.Lock()
	pm := e.market.product(r.PathValue("product_id"))
	if pm == nil {
		e.market.mu.Unlock()
		invalidProduct(w)
		return
	}
	p := e.productJSON(pm)
	e.market.mu.Unlock()
	writeJSON(w, http.StatusOK, p)
}

func (e *Emulator) bestBidAsk(w http.ResponseWriter, r *http.Request, _ Key) {
	ids := r.URL.Query()["product_ids"]
	e.market.mu.Lock()
	defer e.market.mu.Unlock()
	if len(ids) == 0 {
		ids = e.market.order
	}
	out := coinbase.BestBidAskResponse{Pricebooks: []coinbase.PriceBook{}}
	for _, id := range ids {
		pm := e.market.product(id)
		if pm == nil {
			invalidProduct(w)
			return
		}
		out.Pricebooks = append(out.Pricebooks, pricebook(pm, 1))
	}
	writeJSON(w, http.StatusOK, out)
}

// pricebook renders up to depth levels a side (0: all). The caller holds
// market.mu.
func pricebook(pm *productMarket, depth int) coinbase.PriceBook {
	pb := coinbase.PriceBook{ProductID: pm.product.ID, Bids: []coinbase.PriceLevel{}, Asks: []coinbase.PriceLevel{},
		Time: coinbase.Time{Time: pm.bookTime.UTC()}}
	for i, l := range pm.bids {
		if depth > 0 && i >= depth {
			break
		}
		pb.Bids = append(pb.Bids, coinbase.PriceLevel{Price: coinbase.D(l.price), Size: coinbase.D(l.size)})
	}
	for i, l := range pm.asks {
		if depth > 0 && i >= depth {
			break
		}
		pb.Asks = append(pb.Asks, coinbase.PriceLevel{Price: coinbase.D(l.price), Size: coinbase.D(l.size)})
	}
	return pb
}

func (e *Emulator) productBook(w http.ResponseWriter, r *http.Request, _ Key) {
	limit, ok := queryLimit(r, bookDepth, bookDepth)
	if !ok {
		badRequest(w, "limit is not a number")
		return
	}
	e.market.mu.Lock()
	defer e.market.mu.Unlock()
	pm := e.market.product(r.URL.Query().Get("product_id"))
	if pm == nil {
		invalidProduct(w)
		return
	}
	out := coinbase.ProductBookResponse{Pricebook: pricebook(pm, limit), Last: coinbase.D(pm.last)}
	if pm.bid.IsPositive() && pm.ask.IsPositive() {
		mid := pm.bid.Add(pm.ask).Div(decimal.New(2, 0))
		spread := pm.ask.Sub(pm.bid)
		out.MidMarket, out.SpreadAbsolute = coinbase.D(mid), coinbase.D(spread)
		out.SpreadBps = coinbase.D(spread.Div(mid).Mul(decimal.New(10000, 0)).Round(4))
	}
	writeJSON(w, http.StatusOK, out)
}

// marketTrades serves /products/{id}/ticker: the latest trades, newest
// first, with the best bid and ask.
func (e *Emulator) marketTrades(w http.ResponseWriter, r *http.Request, _ Key) {
	limit, ok := queryLimit(r, 100, keptTrades)
	if !ok {
		badRequest(w, "limit is not a number")
		return
	}
	e.market.mu.Lock()
	defer e.market.mu.Unlock()
	pm := e.market.product(r.PathValue("product_id"))
	if pm == nil {
		invalidProduct(w)
		return
	}
	out := coinbase.MarketTradesResponse{Trades: []coinbase.RESTTrade{}, BestBid: coinbase.D(pm.bid), BestAsk: coinbase.D(pm.ask)}
	for i := len(pm.trades) - 1; i >= 0 && len(out.Trades) < limit; i-- {
		t := pm.trades[i]
		out.Trades = append(out.Trades, coinbase.RESTTrade{TradeID: t.id, ProductID: pm.product.ID, Price: coinbase.D(t.price),
			Size: coinbase.D(t.size), Time: coinbase.Time{Time: t.time.UTC()}, Side: string(t.makerSide),
			Bid: coinbase.D(t.bid), Ask: coinbase.D(t.ask)})
	}
	writeJSON(w, http.StatusOK, out)
}

// candles serves /products/{id}/candles: newest first, at most 350 per
// request, as Coinbase does.
func (e *Emulator) candles(w http.ResponseWriter, r *http.Request, _ Key) {
	q := r.URL.Query()
	interval, ok := granularities[q.Get("granularity")]
	if !ok {
		badRequest(w, fmt.Sprintf("granularity %q is not one of ONE_MINUTE, FIVE_MINUTE, FIFTEEN_MINUTE, THIRTY_MINUTE, ONE_HOUR, TWO_HOUR, FOUR_HOUR, SIX_HOUR, ONE_DAY", q.Get("granularity")))
		return
	}
	start, err1 := strconv.ParseInt(q.Get("start"), 10, 64)
	end, err2 := strconv.ParseInt(q.Get("end"), 10, 64)
	if err1 != nil || err2 != nil || end < start {
		badRequest(w, "start and end must be unix seconds with start before end")
		return
	}
	step := int64(interval / time.Second)
	if (end-start)/step > MaxCandles {
		badRequest(w, fmt.Sprintf("Invalid start/end: start and end must be within %d candles, requested %d", MaxCandles, (end-start)/step))
		return
	}
	limit, ok := queryLimit(r, MaxCandles, MaxCandles)
	if !ok {
		badRequest(w, "limit is not a number")
		return
	}
	e.market.mu.Lock()
	pm := e.market.product(r.PathValue("product_id"))
	if pm == nil {
		e.market.mu.Unlock()
		invalidProduct(w)
		return
	}
	from := time.Unix(start, 0).UTC().Truncate(interval)
	cs := pm.candlesBetween(interval, from, time.Unix(end, 0).UTC())
	e.market.mu.Unlock()
	out := coinbase.CandlesResponse{Candles: []coinbase.RESTCandle{}}
	for i := len(cs) - 1; i >= 0 && len(out.Candles) < limit; i-- {
		c := cs[i]
		out.Candles = append(out.Candles, coinbase.RESTCandle{Start: coinbase.StrInt(c.Start.Unix()), Low: coinbase.D(c.Low),
			High: coinbase.D(c.High), Open: coinbase.D(c.Open), Close: coinbase.D(c.Close), Volume: coinbase.D(c.Volume)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) serverTime(w http.ResponseWriter, _ *http.Request, _ Key) {
	now := e.clk.Now().UTC()
	writeJSON(w, http.StatusOK, coinbase.ServerTime{ISO: coinbase.Time{Time: now},
		EpochSeconds: strconv.FormatInt(now.Unix(), 10), EpochMillis: strconv.FormatInt(now.UnixMilli(), 10)})
}

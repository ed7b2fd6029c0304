package sim

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// step is one market event in a scenario: a trade at price, or a quote.
// step is one tick: a trade, a quote, or a trade that carries the quote
// of its moment (as Coinbase's ticker channel does).
type step struct{ trade, bid, ask string }

func (h *harness) run(steps []step) {
	for _, s := range steps {
		switch {
		case s.trade == "":
			h.quote(s.bid, s.ask)
		case s.bid == "" && s.ask == "":
			h.trade(s.trade)
		default:
			t := exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d(s.trade), Size: d("1")}
			if s.bid != "" {
				t.Bid = d(s.bid)
			}
			if s.ask != "" {
				t.Ask = d(s.ask)
			}
			h.x.OnTick(&t)
		}
	}
}

func TestLimitOrders(t *testing.T) {
	tests := []struct {
		name     string
		slippage string
		before   []step // market before placing
		req      exchange.OrderRequest
		after    []step // market after placing
		status   exchange.OrderStatus
		// the fill, computed by hand ("" for none)
		price, fee string
		liq        exchange.Liquidity
		usd, btc   exchange.Balance
	}{
		{
			name:   "buy rests and does not fill on a trade at its price",
			before: []step{{trade: "100.00"}},
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("99.00")},
			after:  []step{{trade: "99.00"}},
			status: exchange.StatusOpen,
			// hold 99 * 0.5 * 1.006 = 49.797
			usd: exchange.Balance{Available: d("9950.203"), Hold: d("49.797")},
			btc: exchange.Balance{Available: d("1")},
		},
		{
			name:   "buy fills as maker at its limit when a trade goes through",
			before: []step{{trade: "100.00"}},
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("99.00")},
			after:  []step{{trade: "99.00"}, {trade: "98.99"}},
			status: exchange.StatusFilled,
			// 99 * 0.5 = 49.50; fee 0.198
			price: "99.00", fee: "0.198", liq: exchange.Maker,
			usd: exchange.Balance{Available: d("9950.302")},
			btc: exchange.Balance{Available: d("1.5")},
		},
		{
			name:   "sell fills as maker at its limit when a trade goes through",
			before: []step{{trade: "100.00"}},
			req:    exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("101.00")},
			after:  []step{{trade: "101.00"}, {trade: "101.01"}},
			status: exchange.StatusFilled,
			// 101 * 0.5 = 50.50; fee 0.202
			price: "101.00", fee: "0.202", liq: exchange.Maker,
			usd: exchange.Balance{Available: d("10050.298")},
			btc: exchange.Balance{Available: d("0.5")},
		},
		{
			name:   "buy fills as maker when the ask comes down to it",
			before: []step{{bid: "99.50", ask: "100.00"}},
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("99.00")},
			after:  []step{{bid: "98.90", ask: "99.01"}, {bid: "98.90", ask: "99.00"}},
			status: exchange.StatusFilled,
			price:  "99.00", fee: "0.396", liq: exchange.Maker,
			usd: exchange.Balance{Available: d("9900.604")},
			btc: exchange.Balance{Available: d("2")},
		},
		{
			name:   "sell fills as maker when the bid comes up to it",
			before: []step{{bid: "99.50", ask: "100.00"}},
			req:    exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("101.00")},
			after:  []step{{bid: "100.99", ask: "101.10"}, {bid: "101.00", ask: "101.10"}},
			status: exchange.StatusFilled,
			price:  "101.00", fee: "0.404", liq: exchange.Maker,
			usd: exchange.Balance{Available: d("10100.596")},
			btc: exchange.Balance{Available: d("0")},
		},
		{
			name:   "marketable buy takes the ask as taker",
			before: []step{{bid: "99.50", ask: "100.00"}},
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("100.50")},
			status: exchange.StatusFilled,
			price:  "100.00", fee: "0.3", liq: exchange.Taker,
			usd: exchange.Balance{Available: d("9949.70")},
			btc: exchange.Balance{Available: d("1.5")},
		},
		{
			name:     "slippage never takes a buy beyond its limit",
			slippage: "10",
			before:   []step{{bid: "99.50", ask: "100.00"}},
			// 100 * 1.001 = 100.10, capped at 100.05
			req:    exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("100.05")},
			status: exchange.StatusFilled,
			price:  "100.05", fee: "0.6003", liq: exchange.Taker,
			usd: exchange.Balance{Available: d("9899.3497")},
			btc: exchange.Balance{Available: d("2")},
		},
		{
			name:   "marketable sell on the last trade alone",
			before: []step{{trade: "100.00"}},
			req:    exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("99.00")},
			status: exchange.StatusFilled,
			price:  "100.00", fee: "0.6", liq: exchange.Taker,
			usd: exchange.Balance{Available: d("10099.4")},
			btc: exchange.Balance{Available: d("0")},
		},
		{
			name:   "immediate-or-cancel that cannot take is cancelled",
			before: []step{{bid: "99.50", ask: "100.00"}},
			req: exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, TimeInForce: exchange.ImmediateOrCancel,
				BaseSize: d("1"), LimitPrice: d("99.00")},
			after:  []step{{trade: "98.00"}},
			status: exchange.StatusCancelled,
			usd:    exchange.Balance{Available: d("10000")},
			btc:    exchange.Balance{Available: d("1")},
		},
		{
			name:   "a limit with no market known rests",
			req:    exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("99.00")},
			status: exchange.StatusOpen,
			usd:    exchange.Balance{Available: d("10000")},
			btc:    exchange.Balance{Available: d("0"), Hold: d("1")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.slippage)
			h.run(tt.before)
			o := h.mustPlace(tt.req)
			h.run(tt.after)
			o = h.order(o.ID)
			if o.Status != tt.status {
				t.Fatalf("status = %s, want %s", o.Status, tt.status)
			}
			if tt.price == "" {
				h.wantNoFill(o.ID)
			} else {
				h.wantFill(o.ID, tt.price, tt.req.BaseSize.String(), tt.fee, tt.liq)
			}
			h.wantBalance("USD", tt.usd.Available.String(), tt.usd.Hold.String())
			h.wantBalance("BTC", tt.btc.Available.String(), tt.btc.Hold.String())
		})
	}
}

func TestPostOnlyLimitThatWouldCrossIsRejected(t *testing.T) {
	h := newHarness(t)
	h.quote("99.50", "100.00")
	_, err := h.place(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("100.00"), PostOnly: true})
	wantReject(t, err, exchange.ReasonPostOnlyWouldCross)
	o := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("99.99"), PostOnly: true})
	if o.Status != exchange.StatusOpen {
		t.Fatalf("non-crossing post-only status = %s, want OPEN", o.Status)
	}
}

func TestRestingOrdersFillBestPriceFirstThenEarliest(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	a := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("98")})
	b := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("99")})
	c := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("99")})
	h.trade("97")
	var got []string
	for _, f := range h.x.Fills() {
		got = append(got, f.OrderID)
	}
	want := []string{b.ID, c.ID, a.ID}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("fill order = %v, want %v", got, want)
	}
}

func TestGoodTilDateOrderExpires(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	_, err := h.place(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, TimeInForce: exchange.GoodTilDate,
		BaseSize: d("1"), LimitPrice: d("90"), EndTime: t0})
	wantReject(t, err, exchange.ReasonInvalidRequest)
	o := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, TimeInForce: exchange.GoodTilDate,
		BaseSize: d("1"), LimitPrice: d("90"), EndTime: t0.Add(60e9)})
	h.clk.Set(t0.Add(59e9))
	h.trade("100")
	if got := h.order(o.ID).Status; got != exchange.StatusOpen {
		t.Fatalf("before end time status = %s", got)
	}
	h.clk.Set(t0.Add(60e9))
	h.trade("100")
	if got := h.order(o.ID).Status; got != exchange.StatusExpired {
		t.Fatalf("after end time status = %s, want EXPIRED", got)
	}
	h.wantBalance("USD", "10000", "0")
	h.trade("80")
	h.wantNoFill(o.ID)
}

func TestTickerTradeCarryingAQuoteUpdatesBoth(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	o := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("99.00")})
	// The trade at 99.50 is above the limit, but the ask at 99.00 reaches it.
	h.x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d("99.50"), Bid: d("98.90"), Ask: d("99.00")})
	h.wantFill(o.ID, "99.00", "1", "0.396", exchange.Maker)
	bid, ask := h.x.Quote(btcUSD.ID)
	if !bid.Equal(d("98.90")) || !ask.Equal(d("99.00")) || !h.x.LastTrade(btcUSD.ID).Equal(d("99.50")) {
		t.Fatalf("quote %s/%s last %s after a ticker tick", bid, ask, h.x.LastTrade(btcUSD.ID))
	}
}

func TestTicksOnlyMoveTheirOwnProduct(t *testing.T) {
	ethUSD := btcUSD
	ethUSD.ID, ethUSD.BaseCurrency = "ETH-USD", "ETH"
	x, err := New(Config{Products: []exchange.Product{btcUSD, ethUSD},
		Balances: map[string]decimal.Decimal{"USD": d("10000")}}, clock.NewSim(t0))
	if err != nil {
		t.Fatal(err)
	}
	x.OnTick(&exchange.Tick{ProductID: "ETH-USD", Kind: exchange.TradeTick, Price: d("100")})
	o, err := x.PlaceOrder(t.Context(), exchange.OrderRequest{ClientOrderID: "e", ProductID: "ETH-USD",
		Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("99")})
	if err != nil {
		t.Fatal(err)
	}
	x.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50")})
	x.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("49"), Ask: d("50")})
	if got, _ := x.Order(o.ID); got.Status != exchange.StatusOpen {
		t.Fatalf("a BTC tick moved an ETH order to %s", got.Status)
	}
	if !x.LastTrade("ETH-USD").Equal(d("100")) {
		t.Fatalf("ETH last trade = %s", x.LastTrade("ETH-USD"))
	}
	x.OnTick(&exchange.Tick{ProductID: "ETH-USD", Kind: exchange.TradeTick, Price: d("98")})
	if got, _ := x.Order(o.ID); got.Status != exchange.StatusFilled {
		t.Fatalf("ETH trade through the limit left the order %s", got.Status)
	}
}

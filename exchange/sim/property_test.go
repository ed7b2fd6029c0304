package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// TestRandomSessionsKeepFundsConsistent drives the exchange with random
// orders, cancels, edits and ticks and checks after every step that funds
// add up and holds match the open orders, with whole fills and with
// partial fills (ticks then carry random sizes, or none), and with orders
// and edits queued (QUEUED, EDIT_QUEUED, auction mode) or not.
func TestRandomSessionsKeepFundsConsistent(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		start := map[string]decimal.Decimal{"USD": d("5000"), "BTC": d("20")}
		clk := clock.NewSim(t0)
		partial := rapid.Bool().Draw(rt, "partial")
		queueFor := time.Duration(rapid.IntRange(0, 3).Draw(rt, "queueSeconds")) * time.Second
		editQueueFor := time.Duration(rapid.IntRange(0, 2).Draw(rt, "editQueueSeconds")) * time.Second
		x, err := New(Config{Products: []exchange.Product{btcUSD}, Balances: start, Fees: DefaultFees(),
			SlippageBps: decimal.NewFromInt(int64(rapid.IntRange(0, 50).Draw(rt, "slippage"))), PartialFills: partial,
			QueueFor: queueFor, EditQueueFor: editQueueFor}, clk)
		if err != nil {
			rt.Fatal(err)
		}
		ctx := context.Background()
		price := rapid.Custom(func(rt *rapid.T) decimal.Decimal {
			return decimal.New(int64(rapid.IntRange(9000, 11000).Draw(rt, "cents")), -2)
		})
		size := rapid.Custom(func(rt *rapid.T) decimal.Decimal {
			return decimal.New(int64(rapid.IntRange(1, 3000).Draw(rt, "milli")), -3)
		})
		// shown is the size a tick shows: often none, then whole fills.
		shown := rapid.Custom(func(rt *rapid.T) decimal.Decimal {
			return decimal.New(int64(rapid.IntRange(0, 1500).Draw(rt, "shownMilli")), -3)
		})
		n := 0
		pick := func(rt *rapid.T) (exchange.Order, bool) {
			all := x.Orders()
			if len(all) == 0 {
				return exchange.Order{}, false
			}
			return all[rapid.IntRange(0, len(all)-1).Draw(rt, "order")], true
		}
		rt.Repeat(map[string]func(*rapid.T){
			"trade": func(rt *rapid.T) {
				clk.Set(clk.Now().Add(1e9))
				x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: price.Draw(rt, "trade"), Size: shown.Draw(rt, "tradeSize")})
			},
			"quote": func(rt *rapid.T) {
				bid := price.Draw(rt, "bid")
				x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.QuoteTick, Bid: bid, BidSize: shown.Draw(rt, "bidSize"),
					Ask: bid.Add(decimal.New(int64(rapid.IntRange(1, 100).Draw(rt, "spread")), -2)), AskSize: shown.Draw(rt, "askSize")})
			},
			"place": func(rt *rapid.T) {
				n++
				req := exchange.OrderRequest{
					ClientOrderID: fmt.Sprintf("c%d", n),
					ProductID:     btcUSD.ID,
					Side:          rapid.SampledFrom([]exchange.Side{exchange.Buy, exchange.Sell}).Draw(rt, "side"),
					Type:          rapid.SampledFrom([]exchange.OrderType{exchange.Market, exchange.Limit, exchange.StopLimit, exchange.Bracket}).Draw(rt, "type"),
					BaseSize:      size.Draw(rt, "size"),
				}
				if req.Type != exchange.Market {
					req.LimitPrice = price.Draw(rt, "limit")
				}
				if req.Type == exchange.StopLimit || req.Type == exchange.Bracket {
					req.StopPrice = price.Draw(rt, "stop")
					req.StopDirection = rapid.SampledFrom([]exchange.StopDirection{exchange.StopUp, exchange.StopDown}).Draw(rt, "dir")
				}
				if req.Type == exchange.Limit && req.Side == exchange.Buy && rapid.Bool().Draw(rt, "attach") {
					tp := price.Draw(rt, "tp")
					req.Attached = &exchange.AttachedBracket{LimitPrice: tp, StopTriggerPrice: tp.Sub(d("5"))}
				}
				o, err := x.PlaceOrder(ctx, req)
				if err == nil && x.PlaceCount(req.ClientOrderID) != 1 {
					rt.Errorf("order %s placed but PlaceCount %d", o.ID, x.PlaceCount(req.ClientOrderID))
				}
			},
			"cancel": func(rt *rapid.T) {
				if o, ok := pick(rt); ok {
					_ = x.CancelOrder(ctx, o.ID)
				}
			},
			"edit": func(rt *rapid.T) {
				if o, ok := pick(rt); ok {
					_, _ = x.EditOrder(ctx, o.ID, exchange.OrderEdit{LimitPrice: price.Draw(rt, "newLimit"), BaseSize: size.Draw(rt, "newSize")})
				}
			},
			"auction": func(rt *rapid.T) {
				_ = x.SetAuctionMode(btcUSD.ID, rapid.Bool().Draw(rt, "auction"))
			},
			"": func(rt *rapid.T) { checkInvariants(rt, x, start) },
		})
	})
}

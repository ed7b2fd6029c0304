package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
)

// A backtest feeds ticks on a simulated clock; an entry with an attached
// take-profit and stop-loss becomes a bracket when it fills.
func Example() {
	dec := decimal.RequireFromString
	clk := clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	x, err := sim.New(sim.Config{
		Products: []exchange.Product{{
			ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD",
			BaseIncrement: dec("0.00000001"), QuoteIncrement: dec("0.01"), PriceIncrement: dec("0.01"),
			BaseMinSize: dec("0.000016"), BaseMaxSize: dec("2600"),
		}},
		Balances: map[string]decimal.Decimal{"USD": dec("1000")},
		Fees:     sim.DefaultFees(),
	}, clk)
	if err != nil {
		panic(err)
	}
	x.SetHandler(func(e exchange.OrderEvent) {
		if e.Fill != nil {
			fmt.Printf("%s %s %s at %s, fee %s (%s)\n", e.Order.Type, e.Fill.Side, e.Fill.Size, e.Fill.Price, e.Fill.Fee, e.Fill.Liquidity)
		}
	})
	trade := func(p string) {
		clk.Set(clk.Now().Add(time.Second))
		x.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: dec(p)})
	}
	trade("50000.00")
	_, err = x.PlaceOrder(context.Background(), exchange.OrderRequest{
		ClientOrderID: "entry-1", ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Limit,
		BaseSize: dec("0.01"), LimitPrice: dec("49900.00"),
		Attached: &exchange.AttachedBracket{LimitPrice: dec("52000.00"), StopTriggerPrice: dec("49000.00")},
	})
	if err != nil {
		panic(err)
	}
	trade("49899.99") // through the entry's limit
	trade("52000.01") // through the take-profit
	bals, _ := x.Balances(context.Background())
	for _, b := range bals {
		fmt.Printf("%s %s\n", b.Currency, b.Available)
	}
	// Output:
	// LIMIT BUY 0.01 at 49900, fee 1.996 (MAKER)
	// BRACKET SELL 0.01 at 52000, fee 2.08 (MAKER)
	// BTC 0
	// USD 1016.924
}

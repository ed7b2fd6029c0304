package risk_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
)

// The engine's use of the guard: check an entry, apply its fill, release
// it when the order ends; halt; the stop-loss still passes.
func Example() {
	d := decimal.RequireFromString
	clk := clock.NewSim(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	g, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		panic(err)
	}
	g.OnStateChange(func(from, to risk.State, rule, reason string) {
		fmt.Printf("state %s -> %s by %s: %s\n", from, to, rule, reason)
	})
	btc := exchange.Product{ID: "BTC-USD", BaseIncrement: d("0.00000001"), QuoteIncrement: d("0.01"),
		PriceIncrement: d("0.01"), BaseMinSize: d("0.000016"), QuoteMinSize: d("1")}
	g.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: clk.Now(), Price: d("60000")})

	entry := risk.Intent{Strategy: "btc-sma", ProductID: "BTC-USD", Product: btc, Side: exchange.Buy,
		Type: exchange.Limit, BaseSize: d("0.01"), LimitPrice: d("60000")}
	dec, res := g.Check(entry)
	fmt.Println(dec.Verdict, dec.Rule)
	g.OnFill("btc-sma", "BTC-USD", exchange.Buy, d("0.01"), d("60000"), d("3.6"), res)
	g.Release(res)

	big := entry
	big.BaseSize = d("0.02")
	dec, _ = g.Check(big)
	fmt.Println(dec.Verdict, dec.Rule, dec.Limit, dec.Value)

	g.Halt("operator")
	dec, _ = g.Check(entry)
	fmt.Println(dec.Verdict, dec.Rule)
	stop := risk.Intent{Strategy: "btc-sma", ProductID: "BTC-USD", Product: btc, Side: exchange.Sell,
		Type: exchange.Market, BaseSize: d("0.01"), ReduceOnly: true}
	dec, _ = g.Check(stop)
	fmt.Println(dec.Verdict, dec.Rule)
	// Output:
	// allow ok
	// reject max_order_notional 1000 1200
	// state ACTIVE -> HALTED by kill_switch: operator
	// reject kill_switch
	// allow exit
}

package sim

import (
	"context"
	"fmt"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// singleGoroutineScenario rests a buy and a sell-stop, moves the market
// through both on two products' worth of ticks, and places an order from
// inside the handler (as the engine's exits do when a fill arrives), then
// returns every event in the order the handler saw it.
func singleGoroutineScenario(t *testing.T, single bool) []string {
	h := newHarness(t)
	if single {
		h.x.SingleGoroutine()
	}
	var seen []string
	h.x.SetHandler(func(e exchange.OrderEvent) {
		line := fmt.Sprintf("%s %s %s", e.Order.ClientOrderID, e.Order.Status, e.Order.FilledSize)
		if f := e.Fill; f != nil {
			line += fmt.Sprintf(" fill %s@%s fee %s %s", f.Size, f.Price, f.Fee, f.Liquidity)
		}
		seen = append(seen, line)
		if e.Order.ClientOrderID == "buy" && e.Order.Status == exchange.StatusFilled {
			// Called back into the exchange while it delivers.
			if _, err := h.x.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: "then-sell",
				ProductID: btcUSD.ID, Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.1")}); err != nil {
				t.Errorf("PlaceOrder from the handler: %v", err)
			}
		}
	})
	h.trade("100.00")
	h.mustPlace(exchange.OrderRequest{ClientOrderID: "buy", Side: exchange.Buy, Type: exchange.Limit,
		BaseSize: d("0.5"), LimitPrice: d("99.00")})
	h.mustPlace(exchange.OrderRequest{ClientOrderID: "stop", Side: exchange.Sell, Type: exchange.StopLimit,
		BaseSize: d("0.2"), StopPrice: d("97.00"), LimitPrice: d("96.00"), StopDirection: exchange.StopDown})
	h.x.OnTick(&exchange.Tick{ProductID: "ETH-USD", Kind: exchange.TradeTick, Price: d("1"), Size: d("1")})
	h.run([]step{{trade: "99.50"}, {trade: "98.99"}, {bid: "97.50", ask: "97.60"}, {trade: "96.90"}, {trade: "96.50"}})
	return seen
}

func TestSingleGoroutineExchangeMatchesAndDeliversAsALockedOne(t *testing.T) {
	want := singleGoroutineScenario(t, false)
	got := singleGoroutineScenario(t, true)
	if len(want) < 4 {
		t.Fatalf("only %d events: the scenario does not fill", len(want))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("single goroutine events:\n%v\nlocked:\n%v", got, want)
	}
}

package sim

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

// realOrderSamples are Coinbase create-order payloads whose
// order_configuration seeds the fuzz corpus.
var realOrderSamples = []string{
	"coinbase/samples/rest_create_order_success.json",
	"coinbase/samples/rest_create_order_success_stop_limit_gtd.json",
	"coinbase/samples/rest_create_order_failure.json",
}

// orderConfig is the part of a Coinbase order_configuration the seeds use.
type orderConfig struct {
	BaseSize      string `json:"base_size"`
	QuoteSize     string `json:"quote_size"`
	LimitPrice    string `json:"limit_price"`
	StopPrice     string `json:"stop_price"`
	StopDirection string `json:"stop_direction"`
	PostOnly      bool   `json:"post_only"`
}

var algoUSD = exchange.Product{
	ID: "ALGO-USD", BaseCurrency: "ALGO", QuoteCurrency: "USD",
	BaseIncrement: d("1"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.0001"),
	BaseMinSize: d("1"), BaseMaxSize: d("1000000"), QuoteMinSize: d("1"), QuoteMaxSize: d("1000000"),
}

// FuzzPlaceOrder feeds arbitrary order fields, as the emulator would pass
// them from an HTTP request, to a real exchange: it must never panic or
// hang, must refuse with a *RejectError or accept, and must keep its funds
// consistent either way.
func FuzzPlaceOrder(f *testing.F) {
	for _, rel := range realOrderSamples {
		raw, err := os.ReadFile(testenv.SharedFile(f, rel))
		if err != nil {
			f.Fatal(err)
		}
		var msg struct {
			SuccessResponse struct {
				Side string `json:"side"`
			} `json:"success_response"`
			OrderConfiguration map[string]orderConfig `json:"order_configuration"`
		}
		if err := json.Unmarshal(raw, &msg); err != nil {
			f.Fatalf("%s: %v", rel, err)
		}
		for key, c := range msg.OrderConfiguration {
			typ := exchange.Limit
			if c.StopPrice != "" {
				typ = exchange.StopLimit
			}
			side := msg.SuccessResponse.Side
			if side == "" {
				side = "BUY"
			}
			f.Add(side, string(typ), key, c.BaseSize, c.QuoteSize, c.LimitPrice, c.StopPrice, c.StopDirection, c.PostOnly, "0.17", "0.1701", c.LimitPrice, c.BaseSize)
		}
	}
	f.Add("SELL", "BRACKET", "", "10", "", "0.25", "0.15", "", false, "0.17", "0.20", "0.26", "")
	f.Add("BUY", "MARKET", "", "", "12.5", "", "", "", false, "0.1701", "", "", "")
	f.Add("BUY", "LIMIT", "", "1e-99999", "", "1e99999", "", "", false, "1e-5000", "", "1e-99999", "1e99999")
	f.Fuzz(func(t *testing.T, side, typ, tif, base, quote, limit, stop, dir string, postOnly bool, bid, trade, newLimit, newSize string) {
		start := map[string]decimal.Decimal{"USD": d("1000"), "ALGO": d("5000")}
		x, err := New(Config{Products: []exchange.Product{algoUSD}, Balances: start, Fees: DefaultFees(), SlippageBps: d("3")}, clock.NewSim(t0))
		if err != nil {
			t.Fatal(err)
		}
		num := func(s string) decimal.Decimal {
			v, err := decimal.NewFromString(s)
			if err != nil {
				return decimal.Zero
			}
			return v
		}
		x.OnTick(&exchange.Tick{ProductID: algoUSD.ID, Kind: exchange.QuoteTick, Bid: num(bid), Ask: num(bid).Add(d("0.0002"))})
		req := exchange.OrderRequest{
			ClientOrderID: "fuzz", ProductID: algoUSD.ID, Side: exchange.Side(side), Type: exchange.OrderType(typ),
			TimeInForce: exchange.TimeInForce(tif), BaseSize: num(base), QuoteSize: num(quote),
			LimitPrice: num(limit), StopPrice: num(stop), StopDirection: exchange.StopDirection(dir),
			PostOnly: postOnly, EndTime: t0.Add(time.Hour),
		}
		o, err := x.PlaceOrder(context.Background(), req)
		var rej *exchange.RejectError
		if err != nil && !errors.As(err, &rej) {
			t.Fatalf("PlaceOrder error %v is not a *RejectError", err)
		}
		if err == nil {
			_, err := x.EditOrder(context.Background(), o.ID, exchange.OrderEdit{LimitPrice: num(newLimit), BaseSize: num(newSize)})
			var ee *EditError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("EditOrder error %v is not an *EditError", err)
			}
		}
		x.OnTick(&exchange.Tick{ProductID: algoUSD.ID, Kind: exchange.TradeTick, Price: num(trade)})
		checkInvariants(t, x, start)
	})
}

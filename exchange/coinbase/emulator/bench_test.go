package emulator

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// BenchmarkTick measures one market event through the emulator with no
// subscriber: the synthetic book, trades, candles and the sim.
func BenchmarkTick(b *testing.B) {
	v := startEnv(b, config{})
	v.market("50000", "50001", "50000.5")
	ticks := []exchange.Tick{
		{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("50000"), BidSize: d("1"), Ask: d("50001"), AskSize: d("2")},
		{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50001"), Size: d("0.1"), TakerSide: exchange.Buy},
		{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: d("50000.5"), BidSize: d("1"), Ask: d("50001.5"), AskSize: d("2")},
		{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: d("50000.5"), Size: d("0.1"), TakerSide: exchange.Sell},
	}
	i := 0
	for b.Loop() {
		t := ticks[i%len(ticks)]
		t.Time = time.Now()
		v.e.Tick(t)
		i++
	}
}

// BenchmarkTradeToSubscriber measures the latency from a trade tick to
// its market_trades message read by a WebSocket client on loopback, with
// ticker and level2 subscribed on the same connection.
func BenchmarkTradeToSubscriber(b *testing.B) {
	v := startEnv(b, config{})
	v.market("50000", "50001", "50000.5")
	w := v.dial(v.e.MarketDataURL())
	for _, ch := range []string{"ticker", "level2", "market_trades"} {
		w.subscribe(ch, "", "BTC-USD")
	}
	w.until("market_trades") // the snapshot
	for b.Loop() {
		v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: time.Now(), Price: d("50001"), Size: d("0.1"), TakerSide: exchange.Buy})
		w.until("market_trades")
	}
}

// BenchmarkCreateOrder measures POST /orders from the real client over
// loopback: JWT signing and verification, JSON both ways, the sim.
func BenchmarkCreateOrder(b *testing.B) {
	v := startEnv(b, config{opts: Options{RateLimits: RateLimits{Disabled: true}}, client: coinbase.Config{PrivateRate: 1e9}})
	v.market("50000", "50001", "50000.5")
	ctx := context.Background()
	n := 0
	for b.Loop() {
		n++
		if _, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: fmt.Sprintf("bench-%d", n), ProductID: "BTC-USD",
			Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.00001"), LimitPrice: d("10000")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate measures the verification of one REST JWT.
func BenchmarkAuthenticate(b *testing.B) {
	k, kf, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Options{Keys: []Key{k}})
	if err != nil {
		b.Fatal(err)
	}
	creds := mustCreds(b, kf)
	tok, err := creds.RESTToken("GET example.com/api/v3/brokerage/accounts", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://example.com"+RESTPath+"/accounts", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	for b.Loop() {
		if _, ok := e.authenticate(r, e.bearer(r)); !ok {
			b.Fatal("refused")
		}
	}
}

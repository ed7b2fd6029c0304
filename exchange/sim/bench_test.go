package sim

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

func benchExchange(b *testing.B) *Exchange {
	b.Helper()
	x, err := New(Config{
		Products:    []exchange.Product{btcUSD},
		Balances:    map[string]decimal.Decimal{"USD": d("1000000000"), "BTC": d("1000000")},
		Fees:        DefaultFees(),
		SlippageBps: d("5"),
	}, clock.NewSim(t0))
	if err != nil {
		b.Fatal(err)
	}
	return x
}

// benchTicks alternates trades and quotes between 99.50 and 100.14, which
// cross nothing resting below 90 or above 110.
func benchTicks() []exchange.Tick {
	var ticks []exchange.Tick
	for i := range 64 {
		p := decimal.New(int64(9950+i), -2)
		ticks = append(ticks,
			exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: p, Size: d("0.1")},
			exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.QuoteTick, Bid: p, Ask: p.Add(d("0.01"))})
	}
	return ticks
}

func BenchmarkOnTickNoRestingOrders(b *testing.B) {
	x := benchExchange(b)
	x.SetHandler(func(exchange.OrderEvent) {})
	ticks := benchTicks()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x.OnTick(&ticks[i%len(ticks)])
	}
}

func BenchmarkOnTick1000RestingOrders(b *testing.B) {
	x := benchExchange(b)
	x.SetHandler(func(exchange.OrderEvent) {})
	x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d("100")})
	ctx := context.Background()
	for i := range 1000 {
		req := exchange.OrderRequest{ClientOrderID: fmt.Sprintf("r%d", i), ProductID: btcUSD.ID, BaseSize: d("0.01")}
		switch i % 4 {
		case 0:
			req.Type, req.Side, req.LimitPrice = exchange.Limit, exchange.Buy, decimal.New(int64(8000+i), -2)
		case 1:
			req.Type, req.Side, req.LimitPrice = exchange.Limit, exchange.Sell, decimal.New(int64(11000+i), -2)
		case 2:
			req.Type, req.Side = exchange.StopLimit, exchange.Sell
			req.StopDirection, req.StopPrice, req.LimitPrice = exchange.StopDown, decimal.New(int64(8000+i), -2), d("70")
		default:
			req.Type, req.Side = exchange.Bracket, exchange.Sell
			req.StopPrice, req.LimitPrice = decimal.New(int64(8000+i), -2), decimal.New(int64(12000+i), -2)
		}
		if _, err := x.PlaceOrder(ctx, req); err != nil {
			b.Fatalf("resting order %d: %v", i, err)
		}
	}
	ticks := benchTicks()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x.OnTick(&ticks[i%len(ticks)])
	}
	b.StopTimer()
	if n := len(x.Fills()); n != 0 {
		b.Fatalf("%d fills; the benchmark ticks must cross nothing", n)
	}
}

func BenchmarkPlaceOrderMarket(b *testing.B) {
	x := benchExchange(b)
	x.SetHandler(func(exchange.OrderEvent) {})
	x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.QuoteTick, Bid: d("99.99"), Ask: d("100.01")})
	ids := make([]string, 1<<16)
	for i := range ids {
		ids[i] = fmt.Sprintf("m%d", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i == len(ids) {
			b.StopTimer()
			x = benchExchange(b)
			x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.QuoteTick, Bid: d("99.99"), Ask: d("100.01")})
			i = 0
			b.StartTimer()
		}
		side := exchange.Buy
		if i%2 == 1 {
			side = exchange.Sell
		}
		if _, err := x.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: ids[i], ProductID: btcUSD.ID,
			Side: side, Type: exchange.Market, BaseSize: d("0.01")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplayRealTrades replays 1,000 real trades with a ladder of
// resting orders; it reports trades per second.
func BenchmarkReplayRealTrades(b *testing.B) {
	ticks := loadTrades(b, realTrades)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		clk := clock.NewSim(ticks[0].Time)
		x, err := New(Config{Products: []exchange.Product{btcUSDT},
			Balances: map[string]decimal.Decimal{"USDT": d("100000"), "BTC": d("10")}, Fees: DefaultFees()}, clk)
		if err != nil {
			b.Fatal(err)
		}
		x.OnTick(&ticks[0])
		for i := range 20 {
			side, limit := exchange.Buy, decimal.New(int64(1598600+i*50), -2)
			if limit.GreaterThan(ticks[0].Price) {
				side = exchange.Sell
			}
			if _, err := x.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: fmt.Sprint(i), ProductID: btcUSDT.ID,
				Side: side, Type: exchange.Limit, BaseSize: d("0.01"), LimitPrice: limit}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for _, tk := range ticks[1:] {
			clk.Set(tk.Time)
			x.OnTick(&tk)
		}
	}
	b.ReportMetric(float64(len(ticks)-1)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
}

// BenchmarkLimitRoundTrip is a backtest's busy path: a resting buy filled
// by a trade through it, then a resting sell filled the same way, with
// events delivered to a handler. One op is both round trips' four calls.
func BenchmarkLimitRoundTrip(b *testing.B) {
	x := benchExchange(b)
	x.SetHandler(func(exchange.OrderEvent) {})
	ctx := context.Background()
	ids := make([]string, 1<<16)
	for i := range ids {
		ids[i] = fmt.Sprintf("rt%d", i)
	}
	buy := exchange.OrderRequest{ProductID: btcUSD.ID, Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.01"), LimitPrice: d("99.00")}
	sell := exchange.OrderRequest{ProductID: btcUSD.ID, Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.01"), LimitPrice: d("101.00")}
	down := exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d("98.99")}
	up := exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d("101.01")}
	x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d("100.00")})
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if n+2 > len(ids) {
			b.StopTimer()
			x = benchExchange(b)
			x.SetHandler(func(exchange.OrderEvent) {})
			n = 0
			b.StartTimer()
		}
		buy.ClientOrderID, sell.ClientOrderID = ids[n], ids[n+1]
		n += 2
		if _, err := x.PlaceOrder(ctx, buy); err != nil {
			b.Fatal(err)
		}
		x.OnTick(&down)
		if _, err := x.PlaceOrder(ctx, sell); err != nil {
			b.Fatal(err)
		}
		x.OnTick(&up)
	}
}

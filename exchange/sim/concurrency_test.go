package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

func TestHandlerMayCallBackIntoTheExchange(t *testing.T) {
	h := newHarness(t)
	var exit exchange.Order
	h.x.SetHandler(func(e exchange.OrderEvent) {
		h.events = append(h.events, e)
		if e.Fill != nil && e.Order.ClientOrderID == "entry" {
			// Place the protective stop from inside the handler, as an
			// executor reacting to a fill does.
			var err error
			exit, err = h.x.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: "exit", ProductID: btcUSD.ID,
				Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: e.Fill.Size, StopPrice: d("90"), LimitPrice: d("89")})
			if err != nil {
				t.Errorf("PlaceOrder from the handler: %v", err)
			}
		}
	})
	h.trade("100")
	entry := h.mustPlace(exchange.OrderRequest{ClientOrderID: "entry", Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("99")})
	h.trade("98")
	wantEvents(t, h.summaries(), []eventSummary{
		{entry.ID, exchange.StatusOpen, false, false},
		{entry.ID, exchange.StatusFilled, false, true},
		{exit.ID, exchange.StatusOpen, false, false},
	})
	h.wantBalance("BTC", "1", "0.5")
}

// TestConcurrentPlaceAndTick runs REST-like callers against a feed on
// other goroutines; run it with -race. Afterwards funds must still add up.
func TestConcurrentPlaceAndTick(t *testing.T) {
	start := map[string]decimal.Decimal{"USD": d("1000000"), "BTC": d("100")}
	x, err := New(Config{Products: []exchange.Product{btcUSD}, Balances: start, Fees: DefaultFees(), SlippageBps: d("5")}, clock.Wall{})
	if err != nil {
		t.Fatal(err)
	}
	var inHandler, overlaps, events atomic.Int64
	x.SetHandler(func(exchange.OrderEvent) {
		if inHandler.Add(1) > 1 {
			overlaps.Add(1)
		}
		events.Add(1)
		inHandler.Add(-1)
	})
	x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d("100")})
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var feed sync.WaitGroup
	feed.Add(1)
	go func() {
		defer feed.Done()
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := decimal.New(9000+r.Int64N(2000), -2)
			if i%2 == 0 {
				x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: p})
			} else {
				x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.QuoteTick, Bid: p, Ask: p.Add(d("0.05"))})
			}
		}
	}()
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 200 {
				id := fmt.Sprintf("g%d-%d", g, i)
				price := decimal.New(9000+r.Int64N(2000), -2)
				req := exchange.OrderRequest{ClientOrderID: id, ProductID: btcUSD.ID, BaseSize: d("0.01"), LimitPrice: price}
				switch r.IntN(4) {
				case 0:
					req.Type, req.Side, req.LimitPrice = exchange.Market, exchange.Side([]string{"BUY", "SELL"}[r.IntN(2)]), decimal.Zero
				case 1:
					req.Type, req.Side = exchange.Limit, exchange.Buy
				case 2:
					req.Type, req.Side = exchange.Limit, exchange.Sell
				default:
					req.Type, req.Side, req.StopDirection = exchange.StopLimit, exchange.Sell, exchange.StopDown
					req.StopPrice, req.LimitPrice = price, price.Sub(d("1"))
				}
				o, err := x.PlaceOrder(ctx, req)
				if err != nil {
					continue // a stop on the wrong side of the market is refused
				}
				if again, _ := x.PlaceOrder(ctx, req); again.ID != o.ID {
					t.Errorf("retry of %s made %s, want %s", id, again.ID, o.ID)
				}
				if r.IntN(3) == 0 {
					_ = x.CancelOrder(ctx, o.ID)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	feed.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("handler ran concurrently %d times", n)
	}
	if events.Load() == 0 {
		t.Error("no events reported")
	}
	checkInvariants(t, x, start)
}

func TestPanickingHandlerDoesNotWedgeTheExchange(t *testing.T) {
	h := newHarness(t)
	var seen []exchange.OrderStatus
	h.x.SetHandler(func(e exchange.OrderEvent) {
		seen = append(seen, e.Order.Status)
		if e.Fill != nil && len(seen) < 3 {
			panic("handler failed")
		}
	})
	h.trade("100")
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the handler's panic did not reach the caller")
			}
		}()
		h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")})
	}()
	// The exchange still works and delivers new events.
	h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("90")})
	want := []exchange.OrderStatus{exchange.StatusOpen, exchange.StatusFilled, exchange.StatusOpen}
	if len(seen) != len(want) || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Fatalf("events = %v, want %v", seen, want)
	}
}

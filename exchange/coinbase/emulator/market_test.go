package emulator

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

func TestCandlesAreAggregatedFromTrades(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	prices := []string{"100", "104", "98", "101", "103", "99", "102"} // one a minute
	for i, p := range prices {
		v.e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: t0.Add(time.Duration(i) * time.Minute), Price: d(p), Size: d("0.5"), TakerSide: exchange.Buy})
	}
	tests := []struct {
		interval time.Duration
		want     []exchange.Candle
	}{
		{time.Minute, nil}, // checked by count below
		{5 * time.Minute, []exchange.Candle{
			{Start: t0, Open: d("100"), High: d("104"), Low: d("98"), Close: d("103"), Volume: d("2.5")},
			{Start: t0.Add(5 * time.Minute), Open: d("99"), High: d("102"), Low: d("99"), Close: d("102"), Volume: d("1")},
		}},
		{time.Hour, []exchange.Candle{{Start: t0, Open: d("100"), High: d("104"), Low: d("98"), Close: d("102"), Volume: d("3.5")}}},
	}
	for _, tc := range tests {
		t.Run(tc.interval.String(), func(t *testing.T) {
			got, err := v.client.Candles(ctx, "BTC-USD", t0, t0.Add(2*time.Hour), tc.interval)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if len(got) != len(prices) {
					t.Fatalf("%d one-minute candles, want %d", len(got), len(prices))
				}
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("candles %+v, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if !g.Start.Equal(w.Start) || !g.Open.Equal(w.Open) || !g.High.Equal(w.High) || !g.Low.Equal(w.Low) || !g.Close.Equal(w.Close) || !g.Volume.Equal(w.Volume) {
					t.Errorf("candle %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
	status, body := v.do("GET", "/products/BTC-USD/candles?granularity=ONE_MINUTE&start=1700000000&end=1700030000", "")
	if status != 400 || !strings.Contains(body, "start and end must be within 350 candles") {
		t.Errorf("a 500-candle request: HTTP %d %s, want 400 with Coinbase's wording", status, body)
	}
	status, body = v.do("GET", "/products/BTC-USD/candles?granularity=TEN_MINUTE&start=1700000000&end=1700003000", "")
	if status != 400 || !strings.Contains(body, "INVALID_ARGUMENT") {
		t.Errorf("an unknown granularity: HTTP %d %s, want 400", status, body)
	}
}

func TestCandlesFromAGivenCandleFile(t *testing.T) {
	path := testenv.SharedFile(t, "data/market/gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv")
	src, err := marketdata.Open(path, marketdata.DefaultProduct("BTC-USD"), marketdata.CandleInterval(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var seed []exchange.Candle
	for {
		c, err := src.Candles.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seed = append(seed, c)
	}
	v := startEnv(t, config{opts: Options{Candles: seed}})
	start := time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)
	got, err := v.client.Candles(context.Background(), "BTC-USD", start, start.AddDate(0, 0, 10), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("%d daily candles for ten days, want 10", len(got))
	}
	for i, c := range got {
		var want exchange.Candle
		for _, s := range seed {
			if s.Start.Equal(c.Start) {
				want = s
			}
		}
		if !c.Start.Equal(start.AddDate(0, 0, i)) || !c.Close.Equal(want.Close) || !c.Volume.Equal(want.Volume) {
			t.Errorf("candle %d %+v, want the file's %+v", i, c, want)
		}
	}
}

// firstTicks stops a tick source after n ticks.
type firstTicks struct {
	src marketdata.TickSource
	n   int
}

func (f *firstTicks) Next() (exchange.Tick, error) {
	if f.n == 0 {
		return exchange.Tick{}, io.EOF
	}
	f.n--
	return f.src.Next()
}

func TestReplaysTheBundledRecordingIntoBothProducts(t *testing.T) {
	ctx := context.Background()
	var opened atomic.Int32
	m := &Market{
		Open: func() (marketdata.TickSource, error) {
			opened.Add(1)
			s, err := bundled.Open()
			if err != nil {
				return nil, err
			}
			return &firstTicks{src: s.TickStream(), n: 3000}, nil
		},
		Loop:   true,
		Mirror: map[string][]string{bundled.Product: {"BTC-USD"}},
	}
	v := startEnv(t, config{opts: Options{Market: m}})
	deadline := time.Now().Add(10 * time.Second)
	for v.e.Sim().LastTrade("BTC-USD").IsZero() || opened.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the replay did not reach BTC-USD twice within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, id := range []string{"BTC-USD", "BTC-USDT"} {
		p, err := v.client.GetProduct(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Price.IsPositive() || !p.BestBidPrice.IsPositive() || !p.BestAskPrice.GreaterThan(p.BestBidPrice.Decimal) {
			t.Errorf("%s after the replay: price %s bid %s ask %s", id, p.Price, p.BestBidPrice, p.BestAskPrice)
		}
		if p.Price.LessThan(d("50000")) || p.Price.GreaterThan(d("70000")) {
			t.Errorf("%s price %s is not the recording's (about 61,800)", id, p.Price)
		}
	}
	trades, err := v.client.MarketTrades(ctx, "BTC-USD", 10)
	if err != nil || len(trades.Trades) != 10 {
		t.Fatalf("market trades: %+v, %v", trades, err)
	}
	book, err := v.client.ProductBook(ctx, "BTC-USD", 10)
	if err != nil || len(book.Pricebook.Bids) == 0 || len(book.Pricebook.Asks) == 0 {
		t.Fatalf("product book %+v, %v", book, err)
	}
	if !book.Pricebook.Bids[0].Price.LessThan(book.Pricebook.Asks[0].Price.Decimal) {
		t.Errorf("crossed book: bid %s ask %s", book.Pricebook.Bids[0].Price, book.Pricebook.Asks[0].Price)
	}
	for i := 1; i < len(book.Pricebook.Bids); i++ {
		if !book.Pricebook.Bids[i].Price.LessThan(book.Pricebook.Bids[i-1].Price.Decimal) {
			t.Fatalf("bids not descending: %+v", book.Pricebook.Bids)
		}
	}
	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "on-replay", ProductID: "BTC-USD", Type: exchange.Market, Side: exchange.Buy, BaseSize: d("0.001")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.client.Order(ctx, o.ID)
	if err != nil || got.Status != exchange.StatusFilled {
		t.Fatalf("market order on the replayed market: %+v, %v", got, err)
	}
}

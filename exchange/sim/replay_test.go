package sim

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
)

// realTrades is 1,000 real Binance BTCUSDT trades (gocryptotrader's MIT
// test data, see ../shared/data/market/SOURCES.md), about 15,986 to 15,997.
const realTrades = "data/market/gocryptotrader--binance_BTCUSDT_24h-trades_2020_11_16.csv"

var btcUSDT = exchange.Product{
	ID: "BTC-USDT", BaseCurrency: "BTC", QuoteCurrency: "USDT",
	BaseIncrement: d("0.000001"), QuoteIncrement: d("0.01"), PriceIncrement: d("0.01"),
	BaseMinSize: d("0.00001"), BaseMaxSize: d("1000"),
}

// loadTrades reads unix_s,price,amount,side lines into trade ticks.
func loadTrades(tb testing.TB, rel string) []exchange.Tick {
	tb.Helper()
	path := testenv.SharedFile(tb, rel)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []exchange.Tick
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != 4 {
			tb.Fatalf("%s line %d: %d fields, want 4", path, line, len(fields))
		}
		sec, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			tb.Fatalf("%s line %d: time: %v", path, line, err)
		}
		price, err := decimal.NewFromString(fields[1])
		if err != nil {
			tb.Fatalf("%s line %d: price: %v", path, line, err)
		}
		size, err := decimal.NewFromString(fields[2])
		if err != nil {
			tb.Fatalf("%s line %d: size: %v", path, line, err)
		}
		ts := time.Unix(sec, 0).UTC()
		out = append(out, exchange.Tick{ProductID: btcUSDT.ID, Kind: exchange.TradeTick, Time: ts, Received: ts, Price: price, Size: size})
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if len(out) == 0 {
		tb.Fatalf("%s: no trades", path)
	}
	return out
}

// TestReplayOfRealTradesMatchesAnOracle rests a ladder of limits, a
// stop-limit and a bracket, replays real trades, and compares every
// outcome with one computed directly from the trade prices.
func TestReplayOfRealTradesMatchesAnOracle(t *testing.T) {
	ticks := loadTrades(t, realTrades)
	start := map[string]decimal.Decimal{"USDT": d("100000"), "BTC": d("1")}
	clk := clock.NewSim(ticks[0].Time)
	x, err := New(Config{Products: []exchange.Product{btcUSDT}, Balances: start, Fees: DefaultFees()}, clk)
	if err != nil {
		t.Fatal(err)
	}
	x.OnTick(&ticks[0])
	ctx := context.Background()
	type resting struct {
		id    string
		side  exchange.Side
		limit decimal.Decimal
	}
	var ladder []resting
	for cents := int64(1598600); cents <= 1599700; cents += 50 {
		limit := decimal.New(cents, -2)
		side := exchange.Buy
		if limit.GreaterThan(ticks[0].Price) {
			side = exchange.Sell
		}
		o, err := x.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "ladder-" + limit.String(), ProductID: btcUSDT.ID,
			Side: side, Type: exchange.Limit, BaseSize: d("0.01"), LimitPrice: limit})
		if err != nil {
			t.Fatalf("ladder %s %s: %v", side, limit, err)
		}
		if o.Status == exchange.StatusOpen {
			ladder = append(ladder, resting{o.ID, side, limit})
		}
	}
	br, err := x.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "bracket", ProductID: btcUSDT.ID, Side: exchange.Sell,
		Type: exchange.Bracket, BaseSize: d("0.1"), LimitPrice: d("15996.00"), StopPrice: d("15989.00")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ticks[1:] {
		clk.Set(tk.Time)
		x.OnTick(&tk)
	}

	rest := ticks[1:]
	filled := 0
	for _, r := range ladder {
		var want bool
		for _, tk := range rest {
			if (r.side == exchange.Buy && tk.Price.LessThan(r.limit)) || (r.side == exchange.Sell && tk.Price.GreaterThan(r.limit)) {
				want = true
				break
			}
		}
		o, _ := x.Order(r.id)
		if got := o.Status == exchange.StatusFilled; got != want {
			t.Errorf("%s limit %s filled = %v, oracle says %v", r.side, r.limit, got, want)
		}
		if want {
			filled++
		}
		if want && !o.AverageFilledPrice.Equal(r.limit) {
			t.Errorf("%s limit %s filled at %s, want its limit", r.side, r.limit, o.AverageFilledPrice)
		}
	}
	// The bracket: whichever comes first, a trade above the take-profit or
	// a trade at or below the stop (which then takes that trade's price).
	wantPrice := decimal.Zero
	for _, tk := range rest {
		if tk.Price.GreaterThan(d("15996")) {
			wantPrice = d("15996")
			break
		}
		if tk.Price.LessThanOrEqual(d("15989")) {
			wantPrice = tk.Price
			break
		}
	}
	t.Logf("%d of %d ladder orders filled; bracket expected at %s", filled, len(ladder), wantPrice)
	got, _ := x.Order(br.ID)
	if wantPrice.IsZero() {
		t.Fatal("the data never reaches either bracket leg; pick other prices")
	}
	if got.Status != exchange.StatusFilled || !got.AverageFilledPrice.Equal(wantPrice) {
		t.Errorf("bracket = %s at %s, oracle says filled at %s", got.Status, got.AverageFilledPrice, wantPrice)
	}
	checkInvariants(t, x, start)
}

package exits

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

// TestRealMarketKeepsInvariantsAndBooksMatchTheVenue runs the exits over
// real Binance BTCUSDT data (gocryptotrader's MIT test files, read from
// ../shared, not copied): a year of daily candles walked pessimistically,
// and 1,000 real trades, re-entering whenever flat. Every invariant of
// watchInvariants holds throughout, and at the end the round trips' profit
// equals, to the last digit, what the venue's quote balance gained.
func TestRealMarketKeepsInvariantsAndBooksMatchTheVenue(t *testing.T) {
	tests := []struct {
		name, file string
		candles    bool
		cfg        Config
		size       string
	}{
		{"2019 daily candles, exchange placement", "data/market/gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv", true,
			Config{StopLoss: pctStop("3"),
				TakeProfit:   []TakeProfit{{Percent: d("3"), Close: d("0.5")}, {Percent: d("8"), Close: d("1")}},
				TrailingStop: &TrailingStop{CallbackPercent: d("4"), ActivationPercent: d("2")},
				BreakEven:    &BreakEven{AfterTakeProfit: true}, TimeStop: &TimeStop{MaxHolding: 240 * time.Hour}}, "0.05"},
		{"2019 daily candles, bot placement with ATR", "data/market/gocryptotrader--binance_BTCUSDT_24h_2019_01_01_2020_01_01.csv", true,
			Config{Placement: InBot, StopLoss: &StopLoss{ATR: &ATRStop{Multiple: d("2"), Period: 14, Interval: 24 * time.Hour}},
				TakeProfit: []TakeProfit{{Percent: d("10"), Close: d("1")}}}, "0.05"},
		{"1,000 trades, exchange placement, tight trailing", "data/market/gocryptotrader--binance_BTCUSDT_24h-trades_2020_11_16.csv", false,
			Config{StopLoss: pctStop("0.02"), TrailingStop: &TrailingStop{CallbackPercent: d("0.01")},
				Update: Update{MinInterval: time.Second, MinStepPercent: d("0.001")}}, "0.3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := marketdata.Open(testenv.SharedFile(t, tc.file), marketdata.DefaultProduct(testProduct.ID))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			h := newHarness(t, tc.cfg, withFees("0.004", "0.006"), startAt(time.Unix(0, 0)))
			watchInvariants(h, func(format string, args ...any) { t.Fatalf(format, args...) })
			usd0 := h.balance("USD")
			var trips []decimal.Decimal
			step := func(tk exchange.Tick) {
				h.feed(tk)
				if !h.m.Position().Size.IsPositive() {
					if _, err := h.tryEnter(tc.size); err != nil {
						t.Fatalf("entry at %s: %v", tk.Price, err)
					}
				}
				for _, rt := range h.m.TakeRoundTrips() {
					trips = append(trips, rt.PnL)
				}
			}
			n := 0
			var buf []exchange.Tick
			for ; ; n++ {
				if tc.candles {
					c, err := src.Candles.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					for _, tk := range marketdata.CandleTicksPath(c, marketdata.PathLowFirst, buf[:0]) {
						step(tk)
					}
					continue
				}
				tk, err := src.Ticks.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				step(tk)
			}
			if err := h.m.Close(h.ctx, ReasonSignal); err != nil {
				t.Fatal(err)
			}
			h.drain()
			for _, rt := range h.m.TakeRoundTrips() {
				trips = append(trips, rt.PnL)
			}
			sum := decimal.Zero
			for _, p := range trips {
				sum = sum.Add(p)
			}
			gained := h.balance("USD").Sub(usd0)
			if !sum.Equal(gained) || !h.m.Position().RealizedPnL.Equal(sum) {
				t.Errorf("round trips sum to %s, realized %s, the venue's USD changed by %s", sum, h.m.Position().RealizedPnL, gained)
			}
			if len(trips) < 3 {
				t.Errorf("only %d round trips over %d inputs: the data did not exercise the exits", len(trips), n)
			}
			t.Logf("%d inputs, %d round trips, profit %s USD, exits %v", n, len(trips), sum, h.m.exitCounts())
		})
	}
}

// balance is the venue account's total of currency.
func (h *harness) balance(currency string) decimal.Decimal {
	bs, _ := h.x.Balances(h.ctx)
	for _, b := range bs {
		if b.Currency == currency {
			return b.Total()
		}
	}
	return decimal.Zero
}

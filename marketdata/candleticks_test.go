package marketdata

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

func TestCandleTicksVisitsTheNearerExtremeFirst(t *testing.T) {
	start := utc("2024-01-01 00:00:00")
	tests := []struct {
		name                   string
		open, high, low, close string
		prices                 string
		sides                  string
	}{
		{"low nearer the open", "100", "120", "95", "110", "100 95 120 110", "B S B S"},
		{"high nearer the open", "100", "103", "80", "90", "100 103 80 90", "S B S B"},
		{"equal distance goes high first", "100", "110", "90", "100", "100 110 90 100", "B B S B"},
		{"flat candle", "5", "5", "5", "5", "5 5 5 5", "B B B B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := exchange.Candle{ProductID: "BTC-USD", Start: start, Interval: time.Minute,
				Open: dec(tt.open), High: dec(tt.high), Low: dec(tt.low), Close: dec(tt.close), Volume: dec("2")}
			ticks := CandleTicks(c, nil)
			var prices, sides []string
			for _, tk := range ticks {
				prices = append(prices, tk.Price.String())
				sides = append(sides, string(tk.TakerSide[0]))
				if tk.Kind != exchange.TradeTick || tk.ProductID != "BTC-USD" || !tk.Size.Equal(dec("0.5")) || !tk.Received.Equal(tk.Time) {
					t.Errorf("tick %+v", tk)
				}
			}
			if got := strings.Join(prices, " "); got != tt.prices {
				t.Errorf("path %s, want %s", got, tt.prices)
			}
			if got := strings.Join(sides, " "); got != tt.sides {
				t.Errorf("taker sides %s, want %s", got, tt.sides)
			}
		})
	}
}

func TestCandleTicksStayInsideTheCandleAndIncrease(t *testing.T) {
	for _, interval := range []time.Duration{time.Nanosecond, 3, 4, 7, time.Second, time.Minute, 24 * time.Hour} {
		c := exchange.Candle{Start: utc("2024-01-01 00:00:00"), Interval: interval, Open: dec("1"), High: dec("2"), Low: dec("1"), Close: dec("2"), Volume: dec("1")}
		ticks := CandleTicks(c, make([]exchange.Tick, 0, 4))
		if len(ticks) != 4 {
			t.Fatalf("%v: %d ticks", interval, len(ticks))
		}
		if !ticks[0].Time.Equal(c.Start) {
			t.Errorf("%v: first tick at %s, want the start", interval, ticks[0].Time)
		}
		for i := 1; i < 4; i++ {
			if !ticks[i].Time.After(ticks[i-1].Time) {
				t.Errorf("%v: tick %d at %s is not after %s", interval, i, ticks[i].Time, ticks[i-1].Time)
			}
		}
		if interval >= 4 {
			if want := c.End().Add(-1); !ticks[3].Time.Equal(want) {
				t.Errorf("%v: close at %s, want %s", interval, ticks[3].Time, want)
			}
		}
	}
}

func TestCandleTicksAppendsToDst(t *testing.T) {
	c := exchange.Candle{Start: utc("2024-01-01 00:00:00"), Interval: time.Minute, Open: dec("1"), High: dec("2"), Low: dec("1"), Close: dec("2"), Volume: dec("1")}
	dst := CandleTicks(c, nil)
	dst = CandleTicks(c, dst)
	if len(dst) != 8 {
		t.Fatalf("%d ticks, want 8", len(dst))
	}
}

// TestQuarterOfIsMul checks that a tick's size, a quarter of the
// candle's volume, is the very Decimal Mul makes (coefficient and
// exponent, so that it prints the same), on the int64 path and past it.
func TestQuarterOfIsMul(t *testing.T) {
	vols := []decimal.Decimal{{}, decimal.Zero, decimal.RequireFromString("0"), decimal.RequireFromString("12.34500000"),
		decimal.RequireFromString("-3"), decimal.RequireFromString("1e-30"), decimal.New(math.MaxInt64/25, -8),
		decimal.New(math.MaxInt64/25+1, -8), decimal.New(math.MinInt64/25, 0), decimal.New(math.MinInt64/25-1, 3),
		decimal.RequireFromString("123456789012345678901234567890.5"), decimal.New(7, math.MinInt32+1)}
	for _, v := range vols {
		var want decimal.Decimal
		func() {
			defer func() { recover() }() // an exponent Mul refuses: quarterOf must refuse it too
			want = v.Mul(quarter)
		}()
		var got decimal.Decimal
		func() {
			defer func() { recover() }()
			got = quarterOf(v)
		}()
		if got.Exponent() != want.Exponent() || got.Coefficient().Cmp(want.Coefficient()) != 0 || got.String() != want.String() {
			t.Errorf("quarterOf(%s) = %s (coefficient %s, exponent %d), Mul gives %s (%s, %d)", v, got, got.Coefficient(),
				got.Exponent(), want, want.Coefficient(), want.Exponent())
		}
	}
}

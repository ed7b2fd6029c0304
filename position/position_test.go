package position

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func fill(side exchange.Side, price, size, fee string, at time.Duration) exchange.Fill {
	return exchange.Fill{ProductID: "BTC-USD", Side: side, Price: d(price), Size: d(size), Fee: d(fee), Time: t0.Add(at)}
}

// Every number below is worked out by hand in the comment beside the case.
func TestApplyFillBooksRoundTripsNetOfFees(t *testing.T) {
	type step struct {
		f      exchange.Fill
		reason string
	}
	tests := []struct {
		name  string
		steps []step
		// after the last step
		size, avg, entryFees, realized, fees string
		trip                                 *RoundTrip // nil: no trip on the last step
	}{
		{
			// 110 - 100 - 0.6 - 0.66 = 8.74
			name: "one buy one sell",
			steps: []step{
				{fill(exchange.Buy, "100", "1", "0.6", 0), "cross"},
				{fill(exchange.Sell, "110", "1", "0.66", time.Hour), "take_profit"},
			},
			size: "0", avg: "0", entryFees: "0", realized: "8.74", fees: "1.26",
			trip: &RoundTrip{EntryPrice: d("100"), ExitPrice: d("110"), Size: d("1"), Fees: d("1.26"), PnL: d("8.74"),
				EntryReason: "cross", ExitReason: "take_profit", Holding: time.Hour},
		},
		{
			// avg (100+120)/2 = 110, entry fees 1.1; the first sell realizes
			// 0.5*20 - 0.3 - 1.1*0.5/2 = 9.425 and leaves 1.5 held.
			name: "two buys then a partial sell",
			steps: []step{
				{fill(exchange.Buy, "100", "1", "0.5", 0), "cross"},
				{fill(exchange.Buy, "120", "1", "0.6", time.Minute), "add"},
				{fill(exchange.Sell, "130", "0.5", "0.3", 2*time.Minute), "take_profit"},
			},
			size: "1.5", avg: "110", entryFees: "0.825", realized: "9.425", fees: "1.4",
		},
		{
			// Sold 65 + 157.5 = 222.5, bought 220, fees 0.5+0.6+0.3+0.9 = 2.3:
			// PnL 0.2; exit VWAP 222.5/2 = 111.25.
			name: "two buys two sells",
			steps: []step{
				{fill(exchange.Buy, "100", "1", "0.5", 0), "cross"},
				{fill(exchange.Buy, "120", "1", "0.6", time.Minute), "add"},
				{fill(exchange.Sell, "130", "0.5", "0.3", 2*time.Minute), "take_profit"},
				{fill(exchange.Sell, "105", "1.5", "0.9", 3*time.Minute), "stop_loss"},
			},
			size: "0", avg: "0", entryFees: "0", realized: "0.2", fees: "2.3",
			trip: &RoundTrip{EntryPrice: d("110"), ExitPrice: d("111.25"), Size: d("2"), Fees: d("2.3"), PnL: d("0.2"),
				EntryReason: "cross", ExitReason: "stop_loss", Holding: 3 * time.Minute},
		},
		{
			// Only the 1 held is booked, with half of the 2.0 fee:
			// 0 - 0 - 1 = -1.
			name: "a sell larger than the position is capped at the size held",
			steps: []step{
				{fill(exchange.Buy, "100", "1", "0", 0), "cross"},
				{fill(exchange.Sell, "100", "2", "2", time.Second), "signal"},
			},
			size: "0", avg: "0", entryFees: "0", realized: "-1", fees: "1",
			trip: &RoundTrip{EntryPrice: d("100"), ExitPrice: d("100"), Size: d("1"), Fees: d("1"), PnL: d("-1"),
				EntryReason: "cross", ExitReason: "signal", Holding: time.Second},
		},
		{
			// First trip: 10 - 0.2 = 9.8; second: -5 - 0.1 = -5.1; sum 4.7.
			name: "realized profit adds up over two trips",
			steps: []step{
				{fill(exchange.Buy, "100", "1", "0.1", 0), "a"},
				{fill(exchange.Sell, "110", "1", "0.1", time.Second), "take_profit"},
				{fill(exchange.Buy, "100", "1", "0.05", 2*time.Second), "b"},
				{fill(exchange.Sell, "95", "1", "0.05", 5*time.Second), "stop_loss"},
			},
			size: "0", avg: "0", entryFees: "0", realized: "4.7", fees: "0.3",
			trip: &RoundTrip{EntryPrice: d("100"), ExitPrice: d("95"), Size: d("1"), Fees: d("0.1"), PnL: d("-5.1"),
				EntryReason: "b", ExitReason: "stop_loss", Holding: 3 * time.Second},
		},
		{
			name: "a sell while flat books nothing",
			steps: []step{
				{fill(exchange.Sell, "100", "1", "0.1", 0), "stop_loss"},
			},
			size: "0", avg: "0", entryFees: "0", realized: "0", fees: "0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Position{Strategy: "s1", ProductID: "BTC-USD"}
			var rt *RoundTrip
			for _, s := range tc.steps {
				rt = p.ApplyFill(s.f, s.reason)
			}
			check := func(field string, got decimal.Decimal, want string) {
				t.Helper()
				if !got.Equal(d(want)) {
					t.Errorf("%s = %s, want %s", field, got, want)
				}
			}
			check("Size", p.Size, tc.size)
			check("AvgEntry", p.AvgEntry, tc.avg)
			check("EntryFees", p.EntryFees, tc.entryFees)
			check("RealizedPnL", p.RealizedPnL, tc.realized)
			check("Fees", p.Fees, tc.fees)
			if (rt == nil) != (tc.trip == nil) {
				t.Fatalf("round trip = %+v, want %+v", rt, tc.trip)
			}
			if rt == nil {
				return
			}
			w := tc.trip
			if rt.Strategy != "s1" || rt.ProductID != "BTC-USD" {
				t.Errorf("trip names %s %s", rt.Strategy, rt.ProductID)
			}
			check("EntryPrice", rt.EntryPrice, w.EntryPrice.String())
			check("ExitPrice", rt.ExitPrice, w.ExitPrice.String())
			check("trip Size", rt.Size, w.Size.String())
			check("trip Fees", rt.Fees, w.Fees.String())
			check("PnL", rt.PnL, w.PnL.String())
			if rt.EntryReason != w.EntryReason || rt.ExitReason != w.ExitReason || rt.Holding != w.Holding {
				t.Errorf("trip reasons/holding = %q %q %v, want %q %q %v", rt.EntryReason, rt.ExitReason, rt.Holding,
					w.EntryReason, w.ExitReason, w.Holding)
			}
		})
	}
}

func TestUnrealizedIsMarkMinusAverageTimesSizeBeforeFees(t *testing.T) {
	tests := []struct {
		name       string
		size, avg  string
		mark, want string
	}{
		{"gain", "0.5", "60000", "61000", "500"},
		{"loss", "2", "100", "97.5", "-5"},
		{"flat position", "0", "0", "100", "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Position{Size: d(tc.size), AvgEntry: d(tc.avg), EntryFees: d("3")}
			if got := p.Unrealized(d(tc.mark)); !got.Equal(d(tc.want)) {
				t.Errorf("Unrealized(%s) = %s, want %s", tc.mark, got, tc.want)
			}
		})
	}
}

func TestApplyFillIgnoresOtherProducts(t *testing.T) {
	p := Position{ProductID: "BTC-USD"}
	f := fill(exchange.Buy, "100", "1", "0", 0)
	f.ProductID = "ETH-USD"
	if p.ApplyFill(f, "x"); p.Size.IsPositive() {
		t.Fatalf("an ETH-USD fill grew a BTC-USD position to %s", p.Size)
	}
}

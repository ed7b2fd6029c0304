package marketdata

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
)

func TestCandleTicksPath(t *testing.T) {
	d := decimal.RequireFromString
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// The open is nearer the high, so CandleTicks goes high first; the
	// low-first path must still visit the low first.
	c := exchange.Candle{ProductID: "BTC-USD", Start: start, Interval: time.Minute,
		Open: d("100"), High: d("101"), Low: d("90"), Close: d("95"), Volume: d("4")}
	tests := []struct {
		name string
		path CandlePath
		want []string
	}{
		{"nearer first goes to the high first", PathNearerFirst, []string{"100", "101", "90", "95"}},
		{"low first goes to the low first", PathLowFirst, []string{"100", "90", "101", "95"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CandleTicksPath(c, tc.path, nil)
			if len(got) != 4 {
				t.Fatalf("%d ticks", len(got))
			}
			for i, w := range tc.want {
				if !got[i].Price.Equal(d(w)) {
					t.Errorf("tick %d price %s, want %s", i, got[i].Price, w)
				}
				if !got[i].Size.Equal(d("1")) {
					t.Errorf("tick %d size %s, want 1", i, got[i].Size)
				}
				if i > 0 && !got[i].Time.After(got[i-1].Time) {
					t.Errorf("tick %d time %v not after %v", i, got[i].Time, got[i-1].Time)
				}
			}
			if got[3].Time != start.Add(time.Minute-1) {
				t.Errorf("close at %v", got[3].Time)
			}
		})
	}
}

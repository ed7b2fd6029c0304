package backtest

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

const monthFile = "data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv"

// TestMonthOfCandlesFirstTradesMatchAHandCheck runs testdata/sma-exits.yaml
// (sma_cross 5/20 on one-minute bars, 1000 USD per entry; bot-watched
// stop-loss 0.5 %, take-profit 1 %, trailing stop 0.3 % armed at +0.4 %;
// taker fee 0.6 %, no slippage) over the month of BTC one-minute candles
// and checks the first three round trips against this hand check.
//
// How a trade comes about, by the fill model of docs/BACKTEST.md: each
// candle becomes four trades, open, low, high, close (low first). The
// file stamps each bar at its close: the row "23:36" is the candle that
// starts at 23:35. A bar of the strategy closes when the first trade of
// the next minute arrives, which is that candle's open; the cross is seen
// then and the market buy fills at that same trade's price (candles have
// no quotes, so a market order fills at the last trade). The size is
// 1000 / price, rounded down to 1e-8 BTC. The stop is entry x 0.995
// rounded up to the cent. A bot-watched stop sells at market on the trade
// that reaches it, at that trade's price: a low that gaps below the stop
// fills at the low, not at the stop.
//
// Trade 1. Closes of rows 23:31..23:35 are 46392, 46402, 46390, 46476,
// 46475: SMA5 = 46427.00, above SMA20 = 46417.85 for the first time. Buy
// at the open of row 23:36 (candle 23:35): 46475; size 0.02151694. Stop
// 46242.625 -> 46242.63; the trailing stop would arm at 46660.90 and the
// target is 46939.75, neither reached (the highest high is 46507). Row 23:58
// has low 46256, above the stop; row 23:59 (candle 23:58) opens 46257 and
// its low 46150 is below: sold at 46150, at the low tick (Start + 20 s -
// 1 ns). Fees 0.006 x 0.02151694 x (46475 + 46150) = 11.958039405; PnL
// 0.02151694 x (46150 - 46475) - fees = -18.951044905.
//
// Trade 2. Buy at the open of row 00:07 (candle 00:06): 46444, size
// 0.02153130 (SMA5 46360.60 over SMA20 46330.20). The highest high
// before the exit is 46739 (row 00:50), above the activation 46629.78:
// the trailing stop is 46739 x 0.997 = 46598.783 -> 46598.79, above the
// 46211.78 stop-loss. Lows stay above it until row 01:03 (candle 01:02),
// open 46606, low 46593: sold at 46593 by the trailing stop. Fees
// 0.006 x 0.0215313 x (46444 + 46593) = 12.0192453486; PnL 0.0215313 x
// 149 - fees = -8.8110816486 (a win before fees, a loss after).
//
// Trade 3. Buy at the open of row 01:12 (candle 01:11): 46741, size
// 0.02139449. Highest high 46950 (row 01:21): trailing stop 46950 x
// 0.997 = 46809.15; row 01:25 (candle 01:24) low 46800 reaches it: sold
// at 46800. Fees 0.006 x 0.02139449 x (46741 + 46800) = 12.00757193454;
// PnL 0.02139449 x 59 - fees = -10.74529702454.
func TestMonthOfCandlesFirstTradesMatchAHandCheck(t *testing.T) {
	path := testenv.SharedFile(t, monthFile)
	cfg := smaExits(t)
	d, err := Load([]string{path}, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	want := []struct {
		entryTime, exitTime          string
		entry, exit, size, fees, pnl string
		reason                       string
	}{
		{"2021-12-31T23:35:00Z", "2021-12-31T23:58:19.999999999Z", "46475", "46150", "0.02151694", "11.958039405", "-18.951044905", "stop_loss"},
		{"2022-01-01T00:06:00Z", "2022-01-01T01:02:19.999999999Z", "46444", "46593", "0.0215313", "12.0192453486", "-8.8110816486", "trailing_stop"},
		{"2022-01-01T01:11:00Z", "2022-01-01T01:24:19.999999999Z", "46741", "46800", "0.02139449", "12.00757193454", "-10.74529702454", "trailing_stop"},
	}
	if len(res.RoundTrips) < len(want) {
		t.Fatalf("%d round trips, want at least %d", len(res.RoundTrips), len(want))
	}
	dec := decimal.RequireFromString
	for i, w := range want {
		rt := res.RoundTrips[i]
		if !rt.EntryTime.Equal(at(w.entryTime)) || !rt.ExitTime.Equal(at(w.exitTime)) {
			t.Errorf("trade %d: %v .. %v, want %s .. %s", i+1, rt.EntryTime, rt.ExitTime, w.entryTime, w.exitTime)
		}
		for _, f := range []struct {
			name      string
			got, want decimal.Decimal
		}{{"entry", rt.EntryPrice, dec(w.entry)}, {"exit", rt.ExitPrice, dec(w.exit)}, {"size", rt.Size, dec(w.size)},
			{"fees", rt.Fees, dec(w.fees)}, {"pnl", rt.PnL, dec(w.pnl)}} {
			if !f.got.Equal(f.want) {
				t.Errorf("trade %d: %s %s, want %s", i+1, f.name, f.got, f.want)
			}
		}
		if rt.ExitReason != w.reason {
			t.Errorf("trade %d: exit reason %q, want %q", i+1, rt.ExitReason, w.reason)
		}
	}
	s := Summarize(res)
	if s.ReturnPeriods < 30 || len(s.Files[0].Gaps) != 0 && s.Files[0].Gaps[0].Missing <= 0 {
		t.Errorf("summary: %d daily returns, gaps %+v", s.ReturnPeriods, s.Files[0].Gaps)
	}
}

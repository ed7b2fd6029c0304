package marketdata

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// candleText prints every field of a candle, with each value's scale.
func candleText(c exchange.Candle) string {
	return fmt.Sprintf("%s %q %v | %s %s %s %s %s | %d %d %d %d %d", c.Start, c.ProductID, c.Interval, c.Open, c.High, c.Low, c.Close, c.Volume,
		c.Open.Exponent(), c.High.Exponent(), c.Low.Exponent(), c.Close.Exponent(), c.Volume.Exponent())
}

// FuzzQuickLinesMatchTheCutPath checks the one-pass line readers of the
// CSV formats against the readers that cut the line first: whenever a
// quick line reader takes a line, cutting and parsing it gives the same
// candle or tick, without error. (When it declines, the cut path is
// what runs, so errors are the cut path's by construction.)
func FuzzQuickLinesMatchTheCutPath(f *testing.F) {
	for _, s := range []string{
		"1546300800,23741.687033,3701.23,3797.14,3642,3797.14",
		"1605499846,15993.5,0.026472,ANY",
		"1605499846,15993.5,0.026472,BUY",
		"1605499846,15993.5,0.026472,",
		"1605499846,15993.5,0.026472,buy",
		"2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295",
		"2021-12-31 23:01:00,46319.0,46385.0,46319.0,46377.0,2300413.7295,7",
		"1546300800,1e3,3701.23,3797.14,3642,3797.14",
		"1546300800,-1,+3701.23,.5,5.,0",
		"99999999999,1,2,3,4,5",
		"1,2,3,4,5,6",
	} {
		f.Add(s)
	}
	lines := newLineReader("f", bufio.NewReader(strings.NewReader("")))
	f.Fuzz(func(t *testing.T, line string) {
		b := []byte(line)
		// Each reader twice: with a cold cache, and again with the
		// first line's values and day in its caches.
		gc := &gctCandleReader{lines: lines}
		nr := &nautilusReader{lines: lines}
		gt := &gctTradeReader{lines: lines, product: "BTC-USDT"}
		for range 2 {
			if c, ok := gc.quickLine(b); ok {
				want, err := gc.parseLine(b)
				if err != nil || candleText(c) != candleText(want) {
					t.Fatalf("gocryptotrader candle %q: quick %s; cut %s, %v", line, candleText(c), candleText(want), err)
				}
			}
			if c, ok := nr.quickLine(b); ok {
				want, err := nr.parseLine(b)
				if err != nil || candleText(c) != candleText(want) {
					t.Fatalf("nautilus %q: quick %s; cut %s, %v", line, candleText(c), candleText(want), err)
				}
			}
			if tk, ok := gt.quickLine(b); ok {
				want, err := gt.parseLine(b)
				got, wantText := fmt.Sprintf("%+v %d %d", tk, tk.Price.Exponent(), tk.Size.Exponent()), fmt.Sprintf("%+v %d %d", want, want.Price.Exponent(), want.Size.Exponent())
				if err != nil || got != wantText {
					t.Fatalf("gocryptotrader trade %q: quick %s; cut %s, %v", line, got, wantText, err)
				}
			}
		}
	})
}

// FuzzRecordingQuickLineMatchesParse checks the recording reader's
// one-pass line reader against parse, which cuts the line first.
func FuzzRecordingQuickLineMatchesParse(f *testing.F) {
	for _, s := range []string{
		"Q 1723161254087891268 BTC-USDT 61837.63000000 3.78826000 61837.64000000 1.54698000",
		"T 1723161254087896568 BTC-USDT 61837.63000000 0.02000000 S",
		"T 1723161254087896568 BTC-USDT 61837.63000000 0.02000000 B x",
		"T 1723161254087896568 BTC-USDT 61837.63000000 0.02000000 b",
		"Q 1723161254087891268 BTC-USDT 61837.63000000 3.78826000 61837.64000000 1.54698000 ",
		"Q 1723161254087891268 BTC-USDT 61837.63000000 3.78826000 61837.64000000",
		"T 1 #X 1 1 S",
		"T 1 A 1e3 1 S",
		"T 99999999999999999999 A 1 1 S",
		"Q 1 A -1 +2 .5 5.",
	} {
		f.Add(s)
	}
	lines := newLineReader("f", bufio.NewReader(strings.NewReader("")))
	f.Fuzz(func(t *testing.T, line string) {
		r := &Reader{lines: lines}
		for range 2 {
			tk, ok := r.quickLine([]byte(line))
			if !ok {
				return
			}
			want, err := r.parse([]byte(line))
			got, wantText := fmt.Sprintf("%+v %d %d %d %d %d %d", tk, tk.Price.Exponent(), tk.Size.Exponent(), tk.Bid.Exponent(), tk.BidSize.Exponent(), tk.Ask.Exponent(), tk.AskSize.Exponent()),
				fmt.Sprintf("%+v %d %d %d %d %d %d", want, want.Price.Exponent(), want.Size.Exponent(), want.Bid.Exponent(), want.BidSize.Exponent(), want.Ask.Exponent(), want.AskSize.Exponent())
			if err != nil || got != wantText {
				t.Fatalf("%q: quick %s; parse %s, %v", line, got, wantText, err)
			}
		}
	})
}

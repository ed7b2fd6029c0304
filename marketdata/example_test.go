package marketdata_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

// A recorder writes venue text unchanged; a replay reads it back.
func ExampleWriter() {
	w := marketdata.NewWriter(os.Stdout)
	w.WriteQuote(1723161254087891268, "BTC-USDT", "61837.63000000", "3.78826000", "61837.64000000", "1.54698000")
	w.WriteTrade(1723161254087896568, "BTC-USDT", "61837.63000000", "0.02000000", exchange.Sell)
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// #tradebot-recording v1
	// Q 1723161254087891268 BTC-USDT 61837.63000000 3.78826000 61837.64000000 1.54698000
	// T 1723161254087896568 BTC-USDT 61837.63000000 0.02000000 S
}

// Open detects the format; a candle file reports its gaps.
func ExampleOpenReader() {
	const bars = `timestamp,open,high,low,close,volume
2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295
2021-12-31 23:02:00.000000,46377.0,46411.0,46377.0,46411.0,1829623.1938
2021-12-31 23:05:00.000000,46411.0,46420.0,46400.0,46405.0,1000000
`
	src, err := marketdata.OpenReader("bars.csv", strings.NewReader(bars), marketdata.DefaultProduct("BTC-USD"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	for {
		c, err := src.Candles.Next()
		if err != nil {
			break
		}
		fmt.Println(c.ProductID, c.Start.Format(time.TimeOnly), c.Open, c.Close)
	}
	for _, g := range src.Gaps() {
		fmt.Println("gap from", g.From.Format(time.TimeOnly), "missing", g.Missing)
	}
	// Output:
	// BTC-USD 23:00:00 46319 46377
	// BTC-USD 23:01:00 46377 46411
	// BTC-USD 23:04:00 46411 46405
	// gap from 23:02:00 missing 2
}

// The OHLC path: the extreme nearer the open comes first.
func ExampleCandleTicks() {
	c := exchange.Candle{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Interval: time.Minute,
		Open: decimal.RequireFromString("100"), High: decimal.RequireFromString("120"),
		Low: decimal.RequireFromString("95"), Close: decimal.RequireFromString("110"), Volume: decimal.RequireFromString("4")}
	for _, t := range marketdata.CandleTicks(c, nil) {
		fmt.Println(t.Time.Format("15:04:05.000000000"), t.Price, t.TakerSide)
	}
	// Output:
	// 00:00:00.000000000 100 BUY
	// 00:00:19.999999999 95 SELL
	// 00:00:39.999999998 120 BUY
	// 00:00:59.999999999 110 SELL
}

// A replay at 100 times real time of a recording that spans two seconds
// takes about 20 ms.
func ExampleReplayer() {
	const rec = marketdata.RecordingHeader + `
T 1000000000 BTC-USD 100 1 B
T 3000000000 BTC-USD 101 1 S
`
	src, err := marketdata.OpenReader("rec", strings.NewReader(rec))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &marketdata.Replayer{Speed: 100}
	err = r.Run(context.Background(), src.Ticks, func(t exchange.Tick) { fmt.Println(t.Price, t.TakerSide) })
	fmt.Println(r.Delivered(), err)
	// Output:
	// 100 BUY
	// 101 SELL
	// 2 <nil>
}

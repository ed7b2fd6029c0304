package marketdata

import (
	"strings"
	"testing"
	"time"
)

func TestSummarizeTheBundledRecording(t *testing.T) {
	src, err := Open(bundledPath())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sum, err := Summarize(src)
	if err != nil {
		t.Fatal(err)
	}
	// SOURCES.md: 2024-08-08 23:54:13.94 to 2024-08-09 00:05:04.54 UTC
	// for the whole capture; the first trade or quote comes a little later.
	if sum.Trades != 19904 || sum.Quotes != 73174 || sum.Products["BTC-USDT"] != 93078 || len(sum.Products) != 1 || sum.OutOfOrder != 0 {
		t.Errorf("summary %+v", sum)
	}
	if sum.First.Before(utc("2024-08-08 23:54:13")) || sum.Last.After(utc("2024-08-09 00:05:05")) || sum.Last.Sub(sum.First) < 10*time.Minute {
		t.Errorf("spans %s to %s", sum.First, sum.Last)
	}
}

func TestSummarizeCandlesKeepsGapsAndStopsAtAnError(t *testing.T) {
	body := "timestamp,open,high,low,close,volume\n" +
		"2021-12-31 23:01:00,1,2,1,2,5\n" +
		"2021-12-31 23:02:00,1,2,1,2,5\n" +
		"2021-12-31 23:04:00,1,2,1,2,5\n" +
		"2021-12-31 23:05:00,1,2,1,2,x\n"
	src, err := OpenReader("bars.csv", strings.NewReader(body), DefaultProduct("BTC-USD"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Summarize(src)
	if err == nil || !strings.Contains(err.Error(), "bars.csv line 5") {
		t.Fatalf("error %v, want one at bars.csv line 5", err)
	}
	if sum.Candles != 3 || len(sum.Gaps) != 1 || sum.Gaps[0].Missing != 1 || sum.Interval != time.Minute || !sum.First.Equal(utc("2021-12-31 23:00:00")) {
		t.Errorf("summary %+v", sum)
	}
}

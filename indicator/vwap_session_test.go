package indicator_test

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/bars"
	"github.com/tradebot/tradebot/indicator"
	"github.com/tradebot/tradebot/marketdata/bundled"
)

// bundledBars returns the one-minute bars of the bundled recording's
// trades (Binance BTCUSDT, 2024-08-08 23:54 to 2024-08-09 00:05 UTC), built
// by the aggregator strategies read, as candles for the indicators.
func bundledBars(t *testing.T) []indicator.Candle {
	t.Helper()
	src, err := bundled.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	agg := bars.New("BTC-USDT", time.Minute, bars.Options{})
	var out []indicator.Candle
	for {
		tk, err := src.Ticks.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if agg.Add(&tk) {
			out = append(out, agg.Last().Candle())
		}
	}
}

// A daily session VWAP starts again with the first bar of each UTC day:
// on real bars across midnight it reads, bar by bar, the volume-weighted
// typical price of that day's bars alone (computed here directly from the
// bars of the day), while the VWAP without a session goes on over both
// days as before.
func TestSessionVWAPStartsAgainAtUTCMidnight(t *testing.T) {
	cs := bundledBars(t)
	midnight := time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)
	before, after := 0, 0
	for _, c := range cs {
		if c.Start.Before(midnight) {
			before++
		} else {
			after++
		}
	}
	if before < 3 || after < 3 {
		t.Fatalf("%d bars before midnight and %d after: the recording no longer spans the day boundary", before, after)
	}
	session, err := indicator.New("vwap", 0, 24)
	if err != nil {
		t.Fatal(err)
	}
	whole := indicator.NewVWAP(0)
	var dayPV, dayV, allPV, allV float64
	day := cs[0].Start.Truncate(24 * time.Hour)
	for i, c := range cs {
		if d := c.Start.Truncate(24 * time.Hour); !d.Equal(day) {
			day, dayPV, dayV = d, 0, 0
		}
		tp := (c.High + c.Low + c.Close) / 3
		dayPV, dayV = dayPV+tp*c.Volume, dayV+c.Volume
		allPV, allV = allPV+tp*c.Volume, allV+c.Volume
		session.Update(c)
		whole.Update(c)
		if got, want := session.Value(), dayPV/dayV; math.Abs(got-want) > 1e-9*want {
			t.Errorf("bar %d (%s): session VWAP %.6f, want %.6f, the VWAP of the day's bars", i, c.Start.Format(time.TimeOnly), got, want)
		}
		if got, want := whole.Value(), allPV/allV; math.Abs(got-want) > 1e-9*want {
			t.Errorf("bar %d (%s): VWAP without a session %.6f, want %.6f, of every bar", i, c.Start.Format(time.TimeOnly), got, want)
		}
		if c.Start.Equal(midnight) && math.Abs(session.Value()-tp) > 1e-9*tp {
			t.Errorf("first bar of the day: session VWAP %.6f, want its typical price %.6f", session.Value(), tp)
		}
	}
	if session.Value() == whole.Value() {
		t.Error("the session VWAP ends where the VWAP of both days does: it did not start again")
	}

	// Over a window of 3 bars, the window holds only the day's bars.
	windowed, err := indicator.New("vwap", 3, 24)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		windowed.Update(c)
		var pv, v float64
		for j := i; j >= 0 && j > i-3 && cs[j].Start.Truncate(24*time.Hour).Equal(c.Start.Truncate(24*time.Hour)); j-- {
			tp := (cs[j].High + cs[j].Low + cs[j].Close) / 3
			pv, v = pv+tp*cs[j].Volume, v+cs[j].Volume
		}
		if want := pv / v; i >= 2 && math.Abs(windowed.Value()-want) > 1e-9*want {
			t.Errorf("bar %d (%s): vwap(3, 24) %.6f, want %.6f, of the day's last 3 bars at most", i, c.Start.Format(time.TimeOnly), windowed.Value(), want)
		}
	}
}

// A bad session is refused with the indicator's and the parameter's
// names, what is allowed and the value given.
func TestSessionVWAPRefusesASessionThatDoesNotDivideADay(t *testing.T) {
	for _, h := range []float64{5, 7, 48, -24, 1.5} {
		_, err := indicator.New("vwap", 0, h)
		if err == nil || !strings.Contains(err.Error(), "indicator vwap: session (parameter 2) must be 0 (no session) or 1, 2, 3, 4, 6, 8, 12 or 24 hours") {
			t.Errorf("vwap(0, %g): %v", h, err)
		}
	}
	if _, err := indicator.NewSessionVWAP(0, 90*time.Minute); err == nil || !strings.Contains(err.Error(), "got 1h30m0s") {
		t.Errorf("NewSessionVWAP of 90 minutes: %v", err)
	}
	for _, h := range []float64{0, 1, 4, 24} {
		if _, err := indicator.New("vwap", 20, h); err != nil {
			t.Errorf("vwap(20, %g): %v", h, err)
		}
	}
}

// A daily session VWAP since the session's start settles in a day of
// bars: fed only its last Settle bars it reads exactly what it reads fed
// three days of them, so a warm-up of that much history gives a restarted
// daemon the values of a run that never stopped.
func TestSessionVWAPSettlesInASessionOfBars(t *testing.T) {
	ind, _ := indicator.New("vwap", 0, 24)
	n := indicator.Settle(ind, time.Minute)
	if n != 1440 {
		t.Fatalf("vwap(0, 24) on one-minute bars settles in %d bars, want 1440", n)
	}
	if w, _ := indicator.New("vwap", 30, 24); indicator.Settle(w, time.Minute) != 30 {
		t.Errorf("vwap(30, 24) settles in %d bars, want its window of 30", indicator.Settle(w, time.Minute))
	}
	start := time.Date(2024, 8, 6, 0, 7, 0, 0, time.UTC) // not at a day boundary
	cs := make([]indicator.Candle, 3*1440)
	for i := range cs {
		p := 100 + 10*math.Sin(float64(i)/97)
		cs[i] = indicator.Candle{Open: p, High: p + 1, Low: p - 1, Close: p, Volume: 1 + float64(i%13), Start: start.Add(time.Duration(i) * time.Minute)}
	}
	for _, end := range []int{len(cs), len(cs) - 500, len(cs) - 1439} {
		all, _ := indicator.New("vwap", 0, 24)
		late, _ := indicator.New("vwap", 0, 24)
		for _, c := range cs[:end] {
			all.Update(c)
		}
		for _, c := range cs[end-n : end] {
			late.Update(c)
		}
		if all.Value() != late.Value() {
			t.Errorf("ending at bar %d: fed its last %d bars it reads %v, fed all %v", end, n, late.Value(), all.Value())
		}
	}
}

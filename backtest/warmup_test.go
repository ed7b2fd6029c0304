package backtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
	"github.com/tradebot/tradebot/position"
)

// rsiDip is issue 14's rule strategy. On this month it never enters: no
// 15-minute bar has an RSI(14) below 30 while closing above its EMA(200)
// (checked independently). rsiDipNow enters on any bar: it shows when the
// first entry can come.
const rsiDip = `mode: paper
paper:
  balances: {USDT: 10000}
strategies:
  - name: rsi-dip
    type: rules
    product: BTC-USDT
    size: {quote: 1000}
    params:
      interval: 15m
      indicators:
        rsi: rsi(14)
        trend: ema(200)
      entry: ENTRY
      exit: rsi > 70 || crossed_below(close, trend)
    exits:
      stop_loss: {percent: 3}
`

func rulesRun(t *testing.T, entry string, o LoadOptions) *Result {
	t.Helper()
	path := testenv.SharedFile(t, monthFile)
	cfg, err := config.Load("rsi-dip.yaml", []byte(strings.Replace(rsiDip, "ENTRY", entry, 1)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	o.Product, o.Path = "BTC-USDT", marketdata.PathLowFirst
	if o.WarmUp, err = WarmUpPeriod(cfg); err != nil {
		t.Fatal(err)
	}
	if !o.From.IsZero() && o.WarmUp < 50*time.Hour {
		t.Fatalf("warm-up %s, want at least the 200 bars of 15 minutes of the EMA", o.WarmUp)
	}
	d, err := Load([]string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, d, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRuleStrategyIsWarmAtFrom: with the data before --from read as
// warm-up, the rule strategy's first entry comes on the first bar of
// --from 2022-01-10 (the bar that closes at midnight, at its first tick);
// without it, the EMA(200) of 15-minute bars needs 50 hours of bars
// first.
func TestRuleStrategyIsWarmAtFrom(t *testing.T) {
	from := time.Date(2022, 1, 10, 0, 0, 0, 0, time.UTC)
	res := rulesRun(t, "close > 0", LoadOptions{From: from})
	if len(res.RoundTrips) == 0 {
		t.Fatal("no trade")
	}
	if got := res.RoundTrips[0].EntryTime; !got.Equal(from) {
		t.Errorf("first entry at %s, want %s", got, from)
	}
	if !res.Start.Equal(from) {
		t.Errorf("the results start at %s, want %s (the warm-up is not part of them)", res.Start, from)
	}
	cold := rulesRun(t, "close > 0", LoadOptions{})
	if got, want := cold.RoundTrips[0].EntryTime, cold.Start.Add(50*time.Hour); got.Before(want) {
		t.Errorf("without warm-up the first entry came at %s, before the EMA(200) had its bars (%s)", got, want)
	}
}

// TestRuleStrategyFromTradesAsOverAllTheHistory: with rsi < 40, the run
// from --from 2022-01-10 enters first on the first bar from then on where
// TA-Lib's RSI(14) is under 40 and the close above its EMA(200) over all
// the history (the bar closing 2022-01-12 07:15, RSI 39.73, close 42507,
// EMA 42220.3: backtest/testdata/rsidip/check.sh), and makes the round
// trips of the run over the whole month. A warm-up of only the EMA's 200
// bars left its seed weighing 13 %: the EMA read 41800 instead of 41851
// at 2022-01-11 10:30 and the run entered there, a bar no run over all
// the history enters on.
func TestRuleStrategyFromTradesAsOverAllTheHistory(t *testing.T) {
	from := time.Date(2022, 1, 10, 0, 0, 0, 0, time.UTC)
	res := rulesRun(t, "rsi < 40 && close > trend", LoadOptions{From: from})
	if len(res.RoundTrips) == 0 {
		t.Fatal("no trade")
	}
	if got, want := res.RoundTrips[0].EntryTime, time.Date(2022, 1, 12, 7, 15, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("first entry at %s, want %s", got, want)
	}
	all := rulesRun(t, "rsi < 40 && close > trend", LoadOptions{})
	var want []position.RoundTrip
	for _, rt := range all.RoundTrips {
		if !rt.EntryTime.Before(from) {
			want = append(want, rt)
		}
	}
	if len(res.RoundTrips) != len(want) {
		t.Fatalf("%d round trips from %s, %d over the whole month from then", len(res.RoundTrips), from.Format(time.DateOnly), len(want))
	}
	for i, rt := range res.RoundTrips {
		w := want[i]
		if !rt.EntryTime.Equal(w.EntryTime) || !rt.ExitTime.Equal(w.ExitTime) || !rt.EntryPrice.Equal(w.EntryPrice) || !rt.ExitPrice.Equal(w.ExitPrice) {
			t.Errorf("round trip %d: %s..%s at %s..%s, over the whole month %s..%s at %s..%s", i,
				rt.EntryTime, rt.ExitTime, rt.EntryPrice, rt.ExitPrice, w.EntryTime, w.ExitTime, w.EntryPrice, w.ExitPrice)
		}
	}
}

// TestIssueRuleStrategyRunsOnTheMonth runs issue 14's YAML as written,
// then with the RSI threshold at 40, which trades.
func TestIssueRuleStrategyRunsOnTheMonth(t *testing.T) {
	if res := rulesRun(t, "rsi < 30 && close > trend", LoadOptions{}); len(res.RoundTrips) != 0 {
		t.Fatalf("%d trades, want none (no bar qualifies on this month)", len(res.RoundTrips))
	}
	res := rulesRun(t, "rsi < 40 && close > trend", LoadOptions{})
	if len(res.RoundTrips) == 0 {
		t.Fatal("rsi < 40 && close > trend made no trade")
	}
	for _, rt := range res.RoundTrips {
		if !strings.HasPrefix(rt.EntryReason, "rule: rsi < 40") {
			t.Fatalf("entry reason %q", rt.EntryReason)
		}
	}
}

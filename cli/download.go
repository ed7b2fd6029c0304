package cli

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/tradebot/tradebot/backtest"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/marketdata"
)

// granularities are Coinbase's candle granularity names.
var granularities = map[string]time.Duration{}

func init() {
	for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
		2 * time.Hour, 4 * time.Hour, 6 * time.Hour, 24 * time.Hour} {
		granularities[marketdata.GranularityName(d)] = d
	}
}

func runDownload(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("download", stderr)
	product := fs.String("product", "BTC-USD", "product id")
	gran := fs.String("granularity", "ONE_MINUTE", "Coinbase granularity: ONE_MINUTE, FIVE_MINUTE, ... ONE_DAY")
	fromFlag := fs.String("from", "", "first candle start (RFC 3339 or YYYY-MM-DD, UTC)")
	toFlag := fs.String("to", "", "end, exclusive (default: now)")
	out := fs.String("out", "", "candle file (JSON lines); an existing one is resumed after its last candle")
	restURL := fs.String("rest-url", coinbase.DefaultBaseURL, "Advanced Trade REST root")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	interval, ok := granularities[*gran]
	if !ok {
		return usageErrorf("--granularity %q is not a Coinbase granularity", *gran)
	}
	if *out == "" || *fromFlag == "" {
		return usageErrorf("download needs --from and --out")
	}
	from, err := parseTime("from", *fromFlag)
	if err != nil {
		return err
	}
	to, err := parseTime("to", *toFlag)
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = time.Now().UTC().Truncate(interval)
	}
	if err := checkRange(from, to); err != nil {
		return err
	}
	cl, err := coinbase.NewClient(coinbase.Config{BaseURL: *restURL})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var onPage func(int, time.Time)
	if backtest.IsTerminal(stderr) {
		span := to.Sub(from)
		onPage = func(n int, through time.Time) {
			fmt.Fprintf(stderr, "\rdownload %s %d candles", backtest.RenderBar(int(through.Sub(from)/time.Second), int(span/time.Second), 40), n)
		}
	}
	rep, err := backtest.Download(ctx, cl, backtest.DownloadOptions{Product: *product, Interval: interval,
		From: from, To: to, Out: *out, OnPage: onPage})
	if onPage != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return fmt.Errorf("%w (re-run the same command to resume after the %d candle(s) written)", err, rep.Written)
	}
	if !rep.Resumed.IsZero() {
		fmt.Fprintf(stdout, "resumed at %s\n", rep.Resumed.Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "%d candle(s) of %s %s written to %s in %d request(s)\n", rep.Written, *product, *gran, *out, rep.Pages)
	return nil
}

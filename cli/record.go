package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tradebot/tradebot/backtest"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

func runRecord(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record", stderr)
	products := fs.String("products", "BTC-USD", "comma-separated product ids")
	out := fs.String("out", "", "recording file (.tbrec, or .tbrec.gz for gzip)")
	url := fs.String("market-data-url", coinbase.DefaultMarketURL, "Advanced Trade market-data WebSocket")
	dur := fs.Duration("duration", 0, "stop after this long (default: until SIGINT or SIGTERM)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("record needs --out")
	}
	var ids []string
	for _, p := range strings.Split(*products, ",") {
		if p = strings.TrimSpace(p); p != "" {
			ids = append(ids, p)
		}
	}
	rec, err := backtest.NewRecorder(backtest.RecordOptions{MarketURL: *url, Products: ids, Out: *out, Duration: *dur})
	if err != nil {
		return usageErrorf("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = rec.Run(ctx)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintf(stdout, "%d tick(s) recorded to %s", rec.Ticks(), *out)
	if n := rec.Dropped(); n > 0 {
		fmt.Fprintf(stdout, " (%d dropped: the disk did not keep up)", n)
	}
	fmt.Fprintln(stdout)
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strings"

	"github.com/tradebot/tradebot/backtest"
	"github.com/tradebot/tradebot/daemon"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

func runRecord(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record", stderr)
	products := fs.String("products", "BTC-USD", "comma-separated product ids")
	out := fs.String("out", "", "recording file (.tbrec, or .tbrec.gz for gzip)")
	url := fs.String("market-data-url", coinbase.DefaultMarketURL, "Advanced Trade market-data WebSocket")
	dur := fs.Duration("duration", 0, "stop after this long (default: until SIGINT, SIGTERM or SIGHUP)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		// --products BTC-USD ETH-USD records BTC-USD alone, and the
		// flags after ETH-USD are lost with it: say so rather than
		// record the wrong thing for hours.
		return usageErrorf("%v (several products are one comma-separated --products BTC-USD,ETH-USD)", err)
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
	// The feed's warnings (a dial refused, a reconnection, a gap) go to
	// stderr: without them a recorder that cannot reach the feed waits
	// in silence and ends with 0 ticks.
	log := daemon.NewLogger(stderr, "auto", "info")
	rec, err := backtest.NewRecorder(backtest.RecordOptions{MarketURL: *url, Products: ids, Out: *out, Duration: *dur, Logger: log})
	if err != nil {
		return usageErrorf("%v", err)
	}
	// SIGHUP too (stopSignals): a recording left running in an ssh
	// session that drops ends with its file closed, not cut short.
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
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

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/daemon"
	"github.com/tradebot/tradebot/exchange"
)

// check is `check`: it validates a config and, in live mode, checks the
// key against Coinbase without trading.
func check(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", stderr)
	cfgPath := fs.String("config", "", "config file to check (default: the embedded example)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "config OK: mode %s, %d strategy instance(s)\n", cfg.Mode, len(cfg.Strategies))
	if cfg.Mode != config.ModeLive {
		for _, w := range paperSizeWarnings(cfg) {
			fmt.Fprintf(stdout, "warning: %s\n", w)
		}
		return nil
	}
	// Live mode: the key is checked against Coinbase as `run` would check
	// it (permissions, portfolio, products, clock), but nothing is traded.
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, checkTimeout)
	defer cancelTimeout()
	_, err = daemon.CheckLive(ctx, cfg, daemon.NewLogger(stderr, cfg.Log.Format, cfg.Log.Level), stdout)
	return err
}

// checkTimeout bounds `tradebot check` in live mode: a few REST calls.
const checkTimeout = 30 * time.Second

// paperSizeWarnings holds the strategies' order sizes to the simulated
// exchange's products (config.Config.SizeWarnings), an order at the
// market valued at its product's first price in the recording a replay
// plays (paper.recording, the bundled one by default). With the live
// feed (paper.feed: coinbase), or a recording that cannot be read, a size
// is held to the bounds that need no price, and a warning says so for
// the recording.
func paperSizeWarnings(cfg *config.Config) []string {
	m := config.Market{PriceFrom: "the recording's first price"}
	for _, p := range cfg.PaperProducts() {
		m.Products = append(m.Products, p.Exchange())
	}
	var out []string
	if cfg.Paper.Feed == "replay" {
		prices, err := firstPrices(cfg)
		if err != nil {
			out = append(out, fmt.Sprintf("paper.recording: %v; sizes are held to the bounds that need no price", err))
		}
		m.Price = func(id string) decimal.Decimal { return prices[id] }
	}
	return append(out, cfg.SizeWarnings(m)...)
}

// firstPrices reads the paper recording until it has a price for every
// strategy's product (a trade's, or a quote's ask, where a buy takes it)
// or ends; what it read before an error is kept.
func firstPrices(cfg *config.Config) (map[string]decimal.Decimal, error) {
	want := map[string]bool{}
	for _, s := range cfg.Strategies {
		want[s.Product] = true
	}
	prices := map[string]decimal.Decimal{}
	src, err := cfg.Paper.OpenRecording()
	if err != nil {
		return prices, err
	}
	defer src.Close()
	ticks := src.TickStream()
	for len(prices) < len(want) {
		t, err := ticks.Next()
		if errors.Is(err, io.EOF) {
			return prices, nil
		}
		if err != nil {
			return prices, err
		}
		price := t.Price
		if t.Kind == exchange.QuoteTick {
			price = t.Ask
		}
		if _, seen := prices[t.ProductID]; want[t.ProductID] && !seen && price.IsPositive() {
			prices[t.ProductID] = price
		}
	}
	return prices, nil
}

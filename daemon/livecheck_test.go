package daemon

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
	"github.com/tradebot/tradebot/exchange/coinbase/emulator"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/internal/emutest"
)

// clientAtBid100 starts an emulator whose BTC-USD bid is 100 and returns
// a client with a key it knows.
func clientAtBid100(t *testing.T) (context.Context, *coinbase.Client) {
	t.Helper()
	k, kf, err := emulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e := emutest.Start(t, emulator.Options{Keys: []emulator.Key{k}})
	ctx := context.Background()
	now := time.Now()
	e.Tick(exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: now, Received: now,
		Bid: decimal.NewFromInt(100), BidSize: decimal.NewFromInt(1), Ask: decimal.RequireFromString("100.02"), AskSize: decimal.NewFromInt(1)})
	creds, err := coinbase.NewCredentials(kf.Name, kf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := coinbase.NewClient(coinbase.Config{BaseURL: e.RESTURL(), Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, client
}

// The key check (tradebot check in live mode, and the start) warns of a
// fixed stop at or above the market, where every entry would be refused;
// a stop below the market gives no warning.
func TestTheKeyCheckWarnsOfAFixedStopAboveTheMarket(t *testing.T) {
	ctx, client := clientAtBid100(t)
	for _, tc := range []struct {
		stop string
		warn bool
	}{{"105", true}, {"100", true}, {"95", false}} {
		cfg := config.Default()
		cfg.Mode = config.ModeLive
		var s config.Strategy
		s.Name, s.Product = "s", "BTC-USD"
		s.Exits.StopLoss = &exits.StopLoss{Price: decimal.RequireFromString(tc.stop)}
		cfg.Strategies = []config.Strategy{s}
		r, err := CheckKey(ctx, client, cfg)
		if err != nil {
			t.Fatal(err)
		}
		warned := strings.Contains(strings.Join(r.Warnings, "\n"), "exits.stop_loss.price "+tc.stop)
		if warned != tc.warn {
			t.Errorf("stop %s with the bid at 100: warnings %q, want a warning %v", tc.stop, r.Warnings, tc.warn)
		}
	}
}

// The key check warns of an entry size Coinbase would refuse in every
// order, a base size valued at the product's best bid: 0.005 BTC at a bid
// of 100 is worth 0.50, under BTC-USD's quote_min_size of 1.
func TestTheKeyCheckWarnsOfAnEntrySizeOutsideTheProductsBounds(t *testing.T) {
	ctx, client := clientAtBid100(t)
	for _, tc := range []struct {
		size config.Size
		warn string
	}{
		{config.Size{Base: decimal.RequireFromString("0.005")}, "strategies[0].size.base: strategy s's entries: 0.005 BTC is worth 0.5 USD at 100 (the best bid), less than BTC-USD's quote_min_size 1 USD"},
		{config.Size{Base: decimal.RequireFromString("0.01")}, ""},
		{config.Size{Quote: decimal.RequireFromString("0.5")}, "strategies[0].size.quote: strategy s's entries: 0.5 USD is less than BTC-USD's quote_min_size 1 USD"},
		{config.Size{Quote: decimal.NewFromInt(10)}, ""},
	} {
		cfg := config.Default()
		cfg.Mode = config.ModeLive
		var s config.Strategy
		s.Name, s.Product, s.Size = "s", "BTC-USD", tc.size
		cfg.Strategies = []config.Strategy{s}
		r, err := CheckKey(ctx, client, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(r.Warnings, "\n")
		if tc.warn == "" && strings.Contains(got, "size") || tc.warn != "" && !strings.Contains(got, tc.warn) {
			t.Errorf("size %+v with the bid at 100: warnings %q, want %q", tc.size, r.Warnings, tc.warn)
		}
	}
}

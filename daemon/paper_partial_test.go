package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	tradebot "github.com/tradebot/tradebot"
	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/exchange"
)

// paper.partial_fills, read from the YAML as a user writes it, makes the
// paper venue fill only the size the market showed: a market buy larger
// than the last trade fills that trade's size, the rest cancelled.
func TestPaperPartialFillsFillOnlyWhatTheMarketShowed(t *testing.T) {
	for _, partial := range []bool{false, true} {
		yaml := bytes.Replace(tradebot.ExampleConfig, []byte("partial_fills: false"), []byte("partial_fills: "+map[bool]string{false: "false", true: "true"}[partial]), 1)
		cfg, err := config.Load("config.example.yaml", yaml, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Paper.PartialFills != partial {
			t.Fatalf("paper.partial_fills read as %v, want %v", cfg.Paper.PartialFills, partial)
		}
		clk := clock.NewSim(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC))
		p, err := newPaper(cfg, clk, clk, slog.New(slog.DiscardHandler), nil)
		if err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		p.x.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: now, Received: now,
			Price: decimal.NewFromInt(50000), Size: decimal.RequireFromString("0.01")})
		o, err := p.x.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: "buy-1", ProductID: "BTC-USD",
			Side: exchange.Buy, Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, BaseSize: decimal.RequireFromString("0.1")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := p.x.Order(o.ID)
		want := map[bool]string{false: "0.1", true: "0.01"}[partial]
		if !got.FilledSize.Equal(decimal.RequireFromString(want)) {
			t.Errorf("partial_fills %v: a market buy of 0.1 after a trade of 0.01 filled %s, want %s", partial, got.FilledSize, want)
		}
	}
}

package engine

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

// A quote-sized market entry used to log base_size=0 limit_price=0,
// which read as an order for nothing at no price.
func TestTheEntryLogShowsOnlyTheSizeAndPriceTheOrderHas(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	market := exchange.OrderRequest{ClientOrderID: "tb-1", Type: exchange.Market, QuoteSize: decimal.RequireFromString("1000")}
	log.Info("entry", entryLogAttrs("sma", "BTC-USD", market, "cross")...)
	line := buf.String()
	if !strings.Contains(line, "quote_size=1000") || strings.Contains(line, "base_size") || strings.Contains(line, "limit_price") {
		t.Errorf("quote-sized market entry logged %q: want quote_size and no base_size or limit_price", line)
	}
	buf.Reset()
	limit := exchange.OrderRequest{ClientOrderID: "tb-2", Type: exchange.Limit, BaseSize: decimal.RequireFromString("0.01"), LimitPrice: decimal.RequireFromString("42000")}
	log.Info("entry", entryLogAttrs("grid", "BTC-USD", limit, "level 3")...)
	line = buf.String()
	if !strings.Contains(line, "base_size=0.01") || !strings.Contains(line, "limit_price=42000") || strings.Contains(line, "quote_size") {
		t.Errorf("base-sized limit entry logged %q: want base_size and limit_price, no quote_size", line)
	}
}

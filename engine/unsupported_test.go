package engine

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
)

// An order the venue shows in a configuration tradebot cannot express
// (coinbase decodes it as exchange.Unsupported, sizes unknown) is never
// acted on: here it comes under the client order id of the resting stop,
// CANCELLED. Applied, it would end the stop in the executor's books and
// the exits would place a second one beside the real, still open, stop.
func TestUnsupportedOrdersAreReportedAndNeverActedOn(t *testing.T) {
	var logBuf bytes.Buffer
	var ex exits.Config
	ex.Placement = exits.OnExchange
	ex.StopLoss = &exits.StopLoss{Percent: d("1")}
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "u", ProductID: "BTC-USD", Strategy: enterOnce(), QuoteSize: d("100"), Exits: ex})
	r.eng.exec.log = slog.New(slog.NewTextHandler(&logBuf, nil))
	r.trade("60000")
	open, _ := r.x.OpenOrders(context.Background(), "BTC-USD")
	if len(open) != 1 || open[0].Type != exchange.StopLimit {
		t.Fatalf("open orders %+v, want the resting stop", open)
	}
	stop := open[0]
	twap := exchange.Order{ID: stop.ID, Status: exchange.StatusCancelled, VenueConfig: "twap_limit_gtd",
		OrderRequest: exchange.OrderRequest{ClientOrderID: stop.ClientOrderID, ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Unsupported}}
	for range 2 {
		r.eng.HandleEvent(exchange.OrderEvent{Order: twap})
	}
	r.eng.Drain(context.Background())
	r.trade("60010")
	open, _ = r.x.OpenOrders(context.Background(), "BTC-USD")
	if len(open) != 1 || open[0].ID != stop.ID {
		t.Fatalf("open orders %+v after an unsupported event: want only the stop %s", open, stop.ID)
	}
	if p := r.eng.instances[0].exits.Protection(); !p.Resting {
		t.Fatalf("protection %+v, want the resting stop", p)
	}
	logs := logBuf.String()
	if strings.Count(logs, "twap_limit_gtd") != 1 || !strings.Contains(logs, "level=ERROR") {
		t.Fatalf("want one ERROR naming twap_limit_gtd, got:\n%s", logs)
	}
}

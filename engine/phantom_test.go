package engine

import (
	"context"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
)

// A journaled order that the venue had acknowledged (it has a venue id)
// and no longer knows is a phantom: recovery names it for the operator,
// unlike an intent the venue never received (no venue id), which is
// simply closed as failed. Issue 15, finding 6.
func TestRecoveryNamesAcknowledgedOrdersTheVenueDoesNotKnow(t *testing.T) {
	r := restartRig(t, exchangeStop("2"))
	ctx := context.Background()
	stopReq := exchange.OrderRequest{ClientOrderID: "s-2", ProductID: "BTC-USD", Side: exchange.Sell,
		Type: exchange.StopLimit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d("1"), StopPrice: d("98"),
		LimitPrice: d("97.51"), StopDirection: exchange.StopDown}
	neverSent := exchange.OrderRequest{ClientOrderID: "s-3", ProductID: "BTC-USD", Side: exchange.Buy,
		Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, QuoteSize: d("100")}
	orders := []JournaledOrder{
		{Instance: "s", Purpose: exchange.Exit, Order: exchange.Order{OrderRequest: stopReq,
			ID: "00000000-dead-4000-8000-000000000000", Status: exchange.StatusOpen}},
		{Instance: "s", Purpose: exchange.Entry, Order: exchange.Order{OrderRequest: neverSent, Status: exchange.StatusPending}},
	}
	rep, err := r.eng.Recover(ctx, openJournal{orders: orders}, r.x)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing != 2 || len(rep.Phantoms) != 1 || rep.Phantoms[0] != "s-2 (00000000-dead-4000-8000-000000000000)" {
		t.Fatalf("report %+v, want two missing and the stop s-2 as the one phantom", rep)
	}
}

// An acknowledged order the venue no longer knows is ended as failed with
// what it had filled, so that its instance stops counting on it.
func TestEndMissingEndsATrackedOrder(t *testing.T) {
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(),
		QuoteSize: d("1000"), Exits: exchangeStop("2")})
	r.trade("100")
	sells := r.openSells(t)
	if len(sells) != 1 {
		t.Fatalf("open sells %+v, want the stop", sells)
	}
	id, ok := r.eng.Executor().EndMissing(sells[0].ID, "NOT_FOUND_ON_RECONCILE")
	if !ok || id != sells[0].ClientOrderID {
		t.Fatalf("EndMissing = %q, %v; want the stop's client order id", id, ok)
	}
	for _, tracked := range r.eng.Executor().Tracked() {
		if tracked == sells[0].ID {
			t.Errorf("the missing stop is still tracked")
		}
	}
}

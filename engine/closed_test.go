package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
)

// After Close the executor sends nothing: an order, a cancel and an edit
// are refused with ErrClosed (an exits.ErrNotSent: nothing is in flight)
// and the venue's book does not change: the order resting before stays
// as it was, and no new one appears.
func TestClosedExecutorSendsNothing(t *testing.T) {
	r := newRig(t, risk.DefaultConfig(),
		InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: &scripted{}, QuoteSize: d("100"), Exits: stopLoss("1")})
	r.trade("60000")
	x, ctx := r.eng.Executor(), context.Background()
	limit := func(id, price string) Intent {
		return Intent{Instance: "s", Purpose: exchange.Entry, Reason: "test", EstimatedPrice: d("60000"),
			Request: exchange.OrderRequest{ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Limit,
				TimeInForce: exchange.GoodTilCancelled, BaseSize: d("0.001"), LimitPrice: d(price)}}
	}
	resting, err := x.Place(ctx, limit("s-1", "59000"))
	if err != nil {
		t.Fatal(err)
	}
	x.Close()

	_, err = x.Place(ctx, limit("s-2", "59001"))
	if !errors.Is(err, ErrClosed) || !errors.Is(err, exits.ErrNotSent) {
		t.Errorf("Place after Close: %v, want ErrClosed (exits.ErrNotSent)", err)
	}
	if err := x.Cancel(ctx, resting.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("Cancel after Close: %v, want ErrClosed", err)
	}
	if _, err := x.Edit(ctx, resting.ID, exchange.OrderEdit{LimitPrice: d("58900"), BaseSize: d("0.001")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Edit after Close: %v, want ErrClosed", err)
	}
	orders := r.x.Orders()
	if len(orders) != 1 || orders[0].ClientOrderID != "s-1" || orders[0].Status != exchange.StatusOpen || !orders[0].LimitPrice.Equal(d("59000")) {
		t.Errorf("the venue's orders after Close: %+v, want only s-1 resting at 59000 as placed", orders)
	}
}

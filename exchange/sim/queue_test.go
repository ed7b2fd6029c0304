package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// newQueueHarness is newHarness with orders queued for queueFor and edits
// for editFor (partial fills when partial is set).
func newQueueHarness(t testing.TB, queueFor, editFor time.Duration, partial bool) *harness {
	t.Helper()
	return newHarnessWith(t, Config{
		Products:     []exchange.Product{btcUSD},
		Balances:     map[string]decimal.Decimal{"USD": d("10000"), "BTC": d("1")},
		Fees:         DefaultFees(),
		PartialFills: partial,
		QueueFor:     queueFor,
		EditQueueFor: editFor,
	})
}

// statuses returns the statuses order id was reported with, in order.
func (h *harness) statuses(id string) []exchange.OrderStatus {
	var out []exchange.OrderStatus
	for _, e := range h.events {
		if e.Order.ID == id {
			out = append(out, e.Order.Status)
		}
	}
	return out
}

func wantStatuses(t *testing.T, got []exchange.OrderStatus, want ...exchange.OrderStatus) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", got, want)
		}
	}
}

func TestQueuedLimitHoldsItsFundsOffTheBookUntilItsTime(t *testing.T) {
	h := newQueueHarness(t, 2*time.Second, 0, false)
	h.quote("99", "101")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("100")})
	if buy.Status != exchange.StatusQueued {
		t.Fatalf("new order = %s, want QUEUED", buy.Status)
	}
	h.wantBalance("USD", "9949.7", "50.3") // 100 x 0.5 x 1.006, held while queued
	open, _ := h.x.OpenOrders(context.Background(), "")
	if len(open) != 1 || open[0].Status != exchange.StatusQueued {
		t.Fatalf("open orders = %+v, want the queued one", open)
	}
	// Off the book: an ask through its price does not fill it.
	h.quote("98", "99.5")
	h.wantNoFill(buy.ID)
	h.clk.Set(h.clk.Now().Add(2 * time.Second))
	h.quote("99", "101") // its time has come: on the book, resting
	h.wantState(buy.ID, exchange.StatusOpen, "0", 0)
	h.quote("98", "99.5")
	h.wantFill(buy.ID, "100", "0.5", "0.2", exchange.Maker)
	wantStatuses(t, h.statuses(buy.ID), exchange.StatusQueued, exchange.StatusOpen, exchange.StatusFilled)
}

func TestQueuedMarketOrderTakesTheMarketWhenReleased(t *testing.T) {
	h := newQueueHarness(t, time.Second, 0, false)
	h.quote("99", "100")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")})
	if buy.Status != exchange.StatusQueued || buy.FilledSize.IsPositive() {
		t.Fatalf("market order = %s filled %s, want QUEUED unfilled", buy.Status, buy.FilledSize)
	}
	h.wantBalance("USD", "9989.94", "10.06") // 100 x 0.1 x 1.006 at the ask when it came
	h.clk.Set(h.clk.Now().Add(time.Second))
	h.quote("101", "102") // released at the price then
	h.wantFill(buy.ID, "102", "0.1", "0.0612", exchange.Taker)
	h.wantBalance("USD", "9989.7388", "0")
}

func TestQueuedMarketOrderFailsWhenTheFundsNoLongerCoverIt(t *testing.T) {
	h := newQueueHarness(t, time.Second, 0, false)
	h.quote("99", "100")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("99")})
	h.wantBalance("USD", "40.6", "9959.4")
	h.clk.Set(h.clk.Now().Add(time.Second))
	h.quote("199", "200") // 99 x 200 is beyond the account
	o := h.wantState(buy.ID, exchange.StatusFailed, "0", 0)
	if o.RejectReason != exchange.ReasonInsufficientFund {
		t.Errorf("reject reason = %q, want %s", o.RejectReason, exchange.ReasonInsufficientFund)
	}
	h.wantBalance("USD", "10000", "0")
}

func TestQueuedOrderCancelReleasesItsHold(t *testing.T) {
	h := newQueueHarness(t, time.Minute, 0, false)
	h.trade("100")
	stop := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, BaseSize: d("0.4"),
		StopPrice: d("95"), LimitPrice: d("94"), StopDirection: exchange.StopDown})
	h.wantBalance("BTC", "0.6", "0.4")
	if err := h.x.CancelOrder(context.Background(), stop.ID); err != nil {
		t.Fatalf("cancel of a queued order: %v", err)
	}
	h.wantState(stop.ID, exchange.StatusCancelled, "0", 0)
	h.wantBalance("BTC", "1", "0")
	h.clk.Set(h.clk.Now().Add(time.Minute))
	h.trade("90") // nothing left to release or trigger
	h.wantNoFill(stop.ID)
	wantStatuses(t, h.statuses(stop.ID), exchange.StatusQueued, exchange.StatusCancelled)
	var ce *CancelError
	if err := h.x.CancelOrder(context.Background(), stop.ID); !errors.As(err, &ce) || ce.Reason != CancelDuplicateRequest {
		t.Fatalf("second cancel = %v, want %s", err, CancelDuplicateRequest)
	}
}

func TestQueuedStopThatTheMarketPassedTriggersWhenReleased(t *testing.T) {
	h := newQueueHarness(t, time.Second, 0, false)
	h.quote("99.9", "100.1")
	h.trade("100")
	stop := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, BaseSize: d("0.4"),
		StopPrice: d("95"), LimitPrice: d("90"), StopDirection: exchange.StopDown})
	h.quote("93", "93.2")
	h.trade("93") // through the stop while it was queued: nothing happens
	h.wantNoFill(stop.ID)
	h.clk.Set(h.clk.Now().Add(time.Second))
	h.trade("93") // released: the stop has been passed, so it triggers and takes the bid
	o := h.order(stop.ID)
	if !o.Triggered {
		t.Fatalf("released stop = %+v, want triggered", o)
	}
	h.wantFill(stop.ID, "93", "0.4", "0.2232", exchange.Taker)
}

func TestAuctionModeQueuesUntilItEnds(t *testing.T) {
	h := newQueueHarness(t, 0, 0, false)
	h.quote("99", "100")
	if err := h.x.SetAuctionMode(btcUSD.ID, true); err != nil {
		t.Fatal(err)
	}
	a := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("101")})
	b := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("101")})
	h.clk.Set(h.clk.Now().Add(time.Hour))
	h.quote("102", "103") // still in auction: still queued
	if o := h.order(a.ID); o.Status != exchange.StatusQueued || !h.x.AuctionMode(btcUSD.ID) {
		t.Fatalf("order in auction = %s", o.Status)
	}
	if err := h.x.SetAuctionMode(btcUSD.ID, false); err != nil {
		t.Fatal(err)
	}
	// Released in the order they came, at the bid then: both take it.
	h.wantFill(a.ID, "102", "0.1", "0.0612", exchange.Taker)
	h.wantFill(b.ID, "102", "0.1", "0.0612", exchange.Taker)
	if err := h.x.SetAuctionMode("ETH-USD", true); !errors.Is(err, exchange.ErrUnknownProduct) {
		t.Fatalf("auction mode of an unlisted product = %v", err)
	}
}

// queuedEdit returns the edit of orderID accepted but not applied yet (the
// order is EDIT_QUEUED), as Coinbase's current_pending_replace shows it.
func (h *harness) queuedEdit(orderID string) (exchange.OrderEdit, bool) {
	h.x.mu.Lock()
	defer h.x.mu.Unlock()
	o := h.x.byID[orderID]
	if o == nil || o.editing == nil || o.Status != exchange.StatusOpen {
		return exchange.OrderEdit{}, false
	}
	return *o.editing, true
}

func TestQueuedEditLeavesTheOrderWorkingOnItsOldTermsUntilApplied(t *testing.T) {
	h := newQueueHarness(t, 0, 2*time.Second, false)
	h.trade("100")
	stop := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, BaseSize: d("0.4"),
		StopPrice: d("95"), LimitPrice: d("94"), StopDirection: exchange.StopDown})
	o, err := h.x.EditOrder(context.Background(), stop.ID, exchange.OrderEdit{StopPrice: d("97"), LimitPrice: d("96"), BaseSize: d("0.5")})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != exchange.StatusEditQueued || !o.StopPrice.Equal(d("95")) {
		t.Fatalf("edited order = %s stop %s, want EDIT_QUEUED at the old stop 95", o.Status, o.StopPrice)
	}
	if e, ok := h.queuedEdit(stop.ID); !ok || !e.StopPrice.Equal(d("97")) {
		t.Fatalf("queued edit = %+v %v", e, ok)
	}
	h.wantBalance("BTC", "0.6", "0.4") // the old size is held until the edit applies
	var ee *EditError
	if _, err := h.x.EditOrder(context.Background(), stop.ID, exchange.OrderEdit{StopPrice: d("98")}); !errors.As(err, &ee) || ee.Reason != EditAlreadyQueued {
		t.Fatalf("second edit = %v, want %s", err, EditAlreadyQueued)
	}
	h.trade("96.5") // below the new stop, above the old one: the old terms still rule
	h.wantNoFill(stop.ID)
	h.clk.Set(h.clk.Now().Add(2 * time.Second))
	h.trade("98") // the edit applies
	o = h.order(stop.ID)
	if o.Status != exchange.StatusOpen || !o.StopPrice.Equal(d("97")) || !o.BaseSize.Equal(d("0.5")) {
		t.Fatalf("after the edit applied = %s stop %s size %s", o.Status, o.StopPrice, o.BaseSize)
	}
	h.wantBalance("BTC", "0.5", "0.5")
	wantStatuses(t, h.statuses(stop.ID), exchange.StatusOpen, exchange.StatusEditQueued, exchange.StatusOpen)
}

func TestQueuedEditOfAnOrderThatFilledMeanwhileIsDropped(t *testing.T) {
	h := newQueueHarness(t, 0, time.Second, false)
	h.quote("99", "101")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("100")})
	if _, err := h.x.EditOrder(context.Background(), buy.ID, exchange.OrderEdit{LimitPrice: d("98")}); err != nil {
		t.Fatal(err)
	}
	h.quote("98", "99.5") // fills at the old price while the edit waits
	h.wantFill(buy.ID, "100", "0.5", "0.2", exchange.Maker)
	h.clk.Set(h.clk.Now().Add(time.Second))
	h.quote("98", "99.5")
	h.wantFill(buy.ID, "100", "0.5", "0.2", exchange.Maker) // still filled, at the old price
	if _, ok := h.queuedEdit(buy.ID); ok {
		t.Fatal("a filled order still shows a queued edit")
	}
}

func TestQueuedOrderFillsInPartsOnceReleased(t *testing.T) {
	h := newQueueHarness(t, time.Second, 0, true)
	h.quoteSized("99", "1", "100", "0.1")
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.3"), LimitPrice: d("100")})
	h.clk.Set(h.clk.Now().Add(time.Second))
	h.quoteSized("99", "1", "100", "0.1") // released: takes the 0.1 shown, works on
	h.wantState(buy.ID, exchange.StatusOpen, "0.1", 1)
	h.quoteSized("99", "1", "100", "0.2")
	h.wantState(buy.ID, exchange.StatusFilled, "0.3", 2)
}

func TestNegativeQueueTimesAreRefused(t *testing.T) {
	if _, err := New(Config{Products: []exchange.Product{btcUSD}, QueueFor: -time.Second}, clock.NewSim(t0)); err == nil {
		t.Fatal("a negative queue time was accepted")
	}
}

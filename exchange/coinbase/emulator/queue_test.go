package emulator

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

// userWS subscribes a WebSocket to the user channel and reads past the
// subscriptions answer and the snapshot.
func (v *env) userWS(t *testing.T) *ws {
	w := v.dial(v.e.UserURL())
	tok, err := v.creds.WSToken(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.subscribe("user", tok)
	w.until("subscriptions")
	w.until("user")
	return w
}

// nextUpdate returns the next user-channel order update.
func (w *ws) nextUpdate(t *testing.T) coinbase.UserOrder {
	t.Helper()
	return events[coinbase.UserEvent](t, w.until("user"))[0].Orders[0]
}

// buyLimit places a limit buy of 0.01 BTC-USD at price through the client.
func (v *env) buyLimit(t *testing.T, clientOrderID, price string) exchange.Order {
	t.Helper()
	o, err := v.client.PlaceOrder(context.Background(), exchange.OrderRequest{ClientOrderID: clientOrderID, ProductID: "BTC-USD",
		Type: exchange.Limit, Side: exchange.Buy, BaseSize: d("0.01"), LimitPrice: d(price)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// listStatus lists orders under one order_status and returns their ids.
func (v *env) listStatus(t *testing.T, status string) []string {
	t.Helper()
	code, body := v.do("GET", "/orders/historical/batch?order_status="+status, "")
	if code != 200 {
		t.Fatalf("list %s: %d %s", status, code, body)
	}
	var out coinbase.ListOrdersResponse
	if err := jsonUnmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range out.Orders {
		ids = append(ids, o.OrderID)
	}
	return ids
}

func TestQueuedOrdersShowQueuedOverRESTAndTheUserChannelUntilTheyReachTheBook(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewSim(time.Now())
	v := startEnv(t, config{opts: Options{QueueFor: 2 * time.Second, Clock: clk}})
	v.market("50000", "50001", "50000.5")
	w := v.userWS(t)

	o := v.buyLimit(t, "q1", "49950")
	for _, want := range []string{"PENDING", "QUEUED"} {
		if up := w.nextUpdate(t); up.Status != want {
			t.Fatalf("update %+v, want %s", up, want)
		}
	}
	raw := v.rawOrder(o.ID)
	if string(raw["status"]) != `"QUEUED"` || string(raw["outstanding_hold_amount"]) != `"502.497"` {
		t.Fatalf("queued order: status %s hold %s, want QUEUED holding 49950 x 0.01 x 1.006", raw["status"], raw["outstanding_hold_amount"])
	}
	got, err := v.client.Order(ctx, o.ID)
	if err != nil || got.Status != exchange.StatusQueued {
		t.Fatalf("client reads %s, %v", got.Status, err)
	}
	if ids := v.listStatus(t, "QUEUED"); len(ids) != 1 || ids[0] != o.ID {
		t.Fatalf("QUEUED listing = %v", ids)
	}
	if ids := v.listStatus(t, "OPEN"); len(ids) != 0 {
		t.Fatalf("OPEN listing = %v, want nothing: the order is not on the book", ids)
	}
	open, err := v.client.OpenOrders(ctx, "BTC-USD")
	if err != nil || len(open) != 1 || open[0].Status != exchange.StatusQueued {
		t.Fatalf("client open orders = %+v, %v: a queued order must be seen", open, err)
	}

	// A second one is cancelled while queued: at once, its hold released.
	c := v.buyLimit(t, "q2", "49000")
	w.nextUpdate(t)
	w.nextUpdate(t)
	if err := v.client.CancelOrder(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if up := w.nextUpdate(t); up.Status != "CANCELLED" || up.OrderID != c.ID {
		t.Fatalf("update %+v, want %s CANCELLED", up, c.ID)
	}

	// Through the limit while queued: no fill. Its time up, the next
	// tick puts it on the book, and then it fills.
	v.trade("49900")
	clk.Set(clk.Now().Add(2 * time.Second))
	v.market("49990", "50000", "49995")
	if up := w.nextUpdate(t); up.Status != "OPEN" || up.OrderID != o.ID || !up.CumulativeQuantity.IsZero() {
		t.Fatalf("update %+v, want OPEN unfilled", up)
	}
	v.trade("49900")
	if up := w.nextUpdate(t); up.Status != "FILLED" {
		t.Fatalf("update %+v, want FILLED", up)
	}
}

func TestQueuedEditShowsEditQueuedAndAppliesLater(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewSim(time.Now())
	v := startEnv(t, config{opts: Options{EditQueueFor: time.Second, Clock: clk}})
	v.market("50000", "50001", "50000.5")
	w := v.userWS(t)
	o := v.buyLimit(t, "e1", "49950")
	w.nextUpdate(t)
	w.nextUpdate(t)
	edited, err := v.client.EditOrder(ctx, o.ID, exchange.OrderEdit{LimitPrice: d("49900")})
	if err != nil {
		t.Fatal(err)
	}
	if edited.Status != exchange.StatusEditQueued || !edited.LimitPrice.Equal(d("49950")) {
		t.Fatalf("edited = %s at %s, want EDIT_QUEUED still at 49950", edited.Status, edited.LimitPrice)
	}
	if up := w.nextUpdate(t); up.Status != "EDIT_QUEUED" || !up.LimitPrice.Equal(d("49950")) {
		t.Fatalf("update %+v, want EDIT_QUEUED", up)
	}
	raw := v.rawOrder(o.ID)
	if string(raw["status"]) != `"EDIT_QUEUED"` || !strings.Contains(string(raw["edit_history"]), `"49900"`) {
		t.Fatalf("status %s edit_history %s", raw["status"], raw["edit_history"])
	}
	if ids := v.listStatus(t, "OPEN"); len(ids) != 1 {
		t.Fatalf("OPEN listing = %v: an order whose edit is queued is on the book", ids)
	}
	if ids := v.listStatus(t, "EDIT_QUEUED"); len(ids) != 1 {
		t.Fatalf("EDIT_QUEUED listing = %v", ids)
	}
	code, body := v.do("POST", "/orders/edit_preview", `{"order_id":"`+o.ID+`","price":"49800","size":"0.01"}`)
	if code != 200 || !strings.Contains(body, "ORDER_IS_ALREADY_BEING_REPLACED") {
		t.Fatalf("edit_preview while queued: %d %s", code, body)
	}
	if _, err := v.client.EditOrder(ctx, o.ID, exchange.OrderEdit{LimitPrice: d("49800")}); err == nil {
		t.Fatal("a second edit while the first is queued was accepted")
	}
	clk.Set(clk.Now().Add(time.Second))
	v.market("50000", "50001", "50000.5")
	if up := w.nextUpdate(t); up.Status != "OPEN" || !up.LimitPrice.Equal(d("49900")) {
		t.Fatalf("update %+v, want OPEN at the edited 49900", up)
	}
}

func TestAuctionModeFaultQueuesOrdersUntilItEnds(t *testing.T) {
	ctx := context.Background()
	v := startEnv(t, config{})
	v.market("50000", "50001", "50000.5")
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", v.e.BaseURL()+FaultsPath, strings.NewReader(body))
		return v.send(req)
	}
	if code, body := post(`{"auction_mode":{"BTC-USD":true}}`); code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	if code, body := post(`{"auction_mode":{"DOGE-USD":true}}`); code != 400 || !strings.Contains(body, "DOGE-USD") {
		t.Fatalf("unlisted product: HTTP %d %s", code, body)
	}
	p, err := v.client.GetProduct(ctx, "BTC-USD")
	if err != nil || !p.AuctionMode {
		t.Fatalf("product in auction: auction_mode %v, %v", p.AuctionMode, err)
	}
	o, err := v.client.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "a1", ProductID: "BTC-USD", Type: exchange.Market,
		Side: exchange.Buy, BaseSize: d("0.01")})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.client.Order(ctx, o.ID); got.Status != exchange.StatusQueued {
		t.Fatalf("market order in auction = %s, want QUEUED", got.Status)
	}
	if code, body := post(`{"auction_mode":{"BTC-USD":false}}`); code != 200 {
		t.Fatalf("HTTP %d %s", code, body)
	}
	if got, _ := v.client.Order(ctx, o.ID); got.Status != exchange.StatusFilled || !got.AverageFilledPrice.Equal(d("50001")) {
		t.Fatalf("after the auction = %s at %s, want FILLED at the ask", got.Status, got.AverageFilledPrice)
	}
}

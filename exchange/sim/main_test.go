package sim

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// d parses a decimal literal in a test table.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// btcUSD is a product with increments that keep hand computation easy.
var btcUSD = exchange.Product{
	ID:             "BTC-USD",
	BaseCurrency:   "BTC",
	QuoteCurrency:  "USD",
	BaseIncrement:  d("0.001"),
	QuoteIncrement: d("0.01"),
	PriceIncrement: d("0.01"),
	BaseMinSize:    d("0.001"),
	BaseMaxSize:    d("1000"),
	QuoteMinSize:   d("1"),
	QuoteMaxSize:   d("10000000"),
}

// harness is a real Exchange on a simulated clock with the events it has
// reported.
type harness struct {
	t      testing.TB
	x      *Exchange
	clk    *clock.Sim
	events []exchange.OrderEvent
	n      int // client order ids handed out
}

// newHarness starts with 10,000 USD and 1 BTC, Coinbase's entry fees and
// no slippage unless slippageBps is given.
func newHarness(t testing.TB, slippageBps ...string) *harness {
	t.Helper()
	cfg := Config{
		Products: []exchange.Product{btcUSD},
		Balances: map[string]decimal.Decimal{"USD": d("10000"), "BTC": d("1")},
		Fees:     DefaultFees(),
	}
	if len(slippageBps) > 0 && slippageBps[0] != "" {
		cfg.SlippageBps = d(slippageBps[0])
	}
	return newHarnessWith(t, cfg)
}

// newHarnessWith starts an exchange of cfg on a simulated clock at t0,
// recording its events.
func newHarnessWith(t testing.TB, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clk: clock.NewSim(t0)}
	x, err := New(cfg, h.clk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.x = x
	// Whatever a test does, funds must add up afterwards.
	t.Cleanup(func() { checkInvariants(t, x, cfg.Balances) })
	x.SetHandler(func(e exchange.OrderEvent) { h.events = append(h.events, e) })
	return h
}

func (h *harness) trade(price string) {
	h.x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d(price), Size: d("1")})
}

func (h *harness) quote(bid, ask string) {
	h.x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.QuoteTick, Bid: d(bid), Ask: d(ask)})
}

// place fills in the product and a fresh client order id.
func (h *harness) place(req exchange.OrderRequest) (exchange.Order, error) {
	h.t.Helper()
	if req.ProductID == "" {
		req.ProductID = btcUSD.ID
	}
	if req.ClientOrderID == "" {
		h.n++
		req.ClientOrderID = fmt.Sprintf("client-%d", h.n)
	}
	return h.x.PlaceOrder(context.Background(), req)
}

func (h *harness) mustPlace(req exchange.OrderRequest) exchange.Order {
	h.t.Helper()
	o, err := h.place(req)
	if err != nil {
		h.t.Fatalf("PlaceOrder(%+v): %v", req, err)
	}
	return o
}

func (h *harness) order(id string) exchange.Order {
	h.t.Helper()
	o, err := h.x.Order(id)
	if err != nil {
		h.t.Fatalf("Order(%s): %v", id, err)
	}
	return o
}

func (h *harness) balance(cur string) exchange.Balance {
	h.t.Helper()
	bs, err := h.x.Balances(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, b := range bs {
		if b.Currency == cur {
			return b
		}
	}
	return exchange.Balance{Currency: cur}
}

// wantBalance checks one currency's available and held funds.
func (h *harness) wantBalance(cur, available, hold string) {
	h.t.Helper()
	b := h.balance(cur)
	if !b.Available.Equal(d(available)) || !b.Hold.Equal(d(hold)) {
		h.t.Errorf("%s balance = available %s hold %s, want available %s hold %s", cur, b.Available, b.Hold, available, hold)
	}
}

// wantFill checks the only fill of order id.
func (h *harness) wantFill(id, price, size, fee string, liq exchange.Liquidity) {
	h.t.Helper()
	var got []exchange.Fill
	for _, f := range h.x.Fills() {
		if f.OrderID == id {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		h.t.Fatalf("order %s has %d fills, want 1: %+v", id, len(got), got)
	}
	f := got[0]
	if !f.Price.Equal(d(price)) || !f.Size.Equal(d(size)) || !f.Fee.Equal(d(fee)) || f.Liquidity != liq {
		h.t.Errorf("fill of %s = %s x %s fee %s %s, want %s x %s fee %s %s", id, f.Size, f.Price, f.Fee, f.Liquidity, size, price, fee, liq)
	}
	o := h.order(id)
	if o.Status != exchange.StatusFilled || !o.FilledSize.Equal(f.Size) || !o.TotalFees.Equal(f.Fee) || !o.AverageFilledPrice.Equal(f.Price) {
		h.t.Errorf("order %s after fill = %s filled %s avg %s fees %s", id, o.Status, o.FilledSize, o.AverageFilledPrice, o.TotalFees)
	}
}

// wantNoFill checks that order id has not filled.
func (h *harness) wantNoFill(id string) {
	h.t.Helper()
	for _, f := range h.x.Fills() {
		if f.OrderID == id {
			h.t.Fatalf("order %s filled %s at %s, want no fill", id, f.Size, f.Price)
		}
	}
}

// wantReject checks that err is a *exchange.RejectError with reason.
func wantReject(t testing.TB, err error, reason string) {
	t.Helper()
	var rej *exchange.RejectError
	if !errors.As(err, &rej) {
		t.Fatalf("error = %v, want a *RejectError %s", err, reason)
	}
	if rej.Reason != reason {
		t.Fatalf("reject reason = %s (%s), want %s", rej.Reason, rej.Message, reason)
	}
}

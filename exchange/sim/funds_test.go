package sim

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

func TestHoldsFollowOpenOrders(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	// A buy holds limit * size * (1 + 0.006): 99 * 0.5 * 1.006 = 49.797.
	buy := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.5"), LimitPrice: d("99")})
	h.wantBalance("USD", "9950.203", "49.797")
	if cur, amount, err := h.x.OrderHold(buy.ID); err != nil || cur != "USD" || !amount.Equal(d("49.797")) {
		t.Fatalf("OrderHold = %s %s, %v; want USD 49.797", cur, amount, err)
	}
	// A stop-limit buy holds at its limit: 106 * 0.1 * 1.006 = 10.6636.
	stop := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.StopLimit, StopDirection: exchange.StopUp,
		BaseSize: d("0.1"), StopPrice: d("105"), LimitPrice: d("106")})
	h.wantBalance("USD", "9939.5394", "60.4606")
	// A sell holds its base size.
	sell := h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.6"), LimitPrice: d("110")})
	h.wantBalance("BTC", "0.4", "0.6")
	_, err := h.place(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Limit, BaseSize: d("0.401"), LimitPrice: d("120")})
	wantReject(t, err, exchange.ReasonInsufficientFund)
	// A buy beyond what is left available is refused too.
	_, err = h.place(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("100"), LimitPrice: d("99")})
	wantReject(t, err, exchange.ReasonInsufficientFund)

	if err := h.x.CancelOrder(t.Context(), stop.ID); err != nil {
		t.Fatal(err)
	}
	h.wantBalance("USD", "9950.203", "49.797")
	// The maker fill spends 49.50 + 0.198 and gives back the rest of the hold.
	h.trade("98")
	h.wantFill(buy.ID, "99", "0.5", "0.198", exchange.Maker)
	h.wantBalance("USD", "9950.302", "0")
	h.wantBalance("BTC", "0.9", "0.6")
	if cur, amount, err := h.x.OrderHold(buy.ID); err != nil || cur != "" || !amount.IsZero() {
		t.Fatalf("OrderHold of a filled order = %q %s, %v; want nothing", cur, amount, err)
	}
	if err := h.x.CancelOrder(t.Context(), sell.ID); err != nil {
		t.Fatal(err)
	}
	h.wantBalance("BTC", "1.5", "0")
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	open := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("90")})
	filled := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")})
	if err := h.x.CancelOrder(t.Context(), open.ID); err != nil {
		t.Fatalf("cancel open: %v", err)
	}
	if got := h.order(open.ID); got.Status != exchange.StatusCancelled {
		t.Fatalf("status after cancel = %s", got.Status)
	}
	h.trade("80")
	h.wantNoFill(open.ID)
	tests := []struct {
		name   string
		id     string
		reason string // "" means ErrOrderNotFound
	}{
		{"unknown id", "no-such-order", ""},
		{"already cancelled", open.ID, CancelDuplicateRequest},
		{"already filled", filled.ID, CancelOrderIsFullyFilled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.x.CancelOrder(t.Context(), tt.id)
			if tt.reason == "" {
				if !errors.Is(err, exchange.ErrOrderNotFound) {
					t.Fatalf("error = %v, want ErrOrderNotFound", err)
				}
				return
			}
			var ce *CancelError
			if !errors.As(err, &ce) || ce.Reason != tt.reason {
				t.Fatalf("error = %v, want CancelError %s", err, tt.reason)
			}
		})
	}
}

func TestOpenOrdersAndFillsSince(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	a := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"), LimitPrice: d("90")})
	h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1")})
	h.clk.Set(t0.Add(10e9))
	h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.1")})
	open, err := h.x.OpenOrders(t.Context(), "")
	if err != nil || len(open) != 1 || open[0].ID != a.ID {
		t.Fatalf("OpenOrders = %+v, %v", open, err)
	}
	if _, err := h.x.OpenOrders(t.Context(), "DOGE-USD"); !errors.Is(err, exchange.ErrUnknownProduct) {
		t.Fatalf("OpenOrders of an unknown product: %v", err)
	}
	fills, _ := h.x.FillsSince(t.Context(), t0.Add(10e9))
	if len(fills) != 1 || fills[0].Side != exchange.Sell {
		t.Fatalf("FillsSince = %+v", fills)
	}
	if _, err := h.x.Product(t.Context(), "DOGE-USD"); !errors.Is(err, exchange.ErrUnknownProduct) {
		t.Fatalf("Product of an unknown id: %v", err)
	}
	if _, err := h.x.OrderByClientID(t.Context(), "nope"); !errors.Is(err, exchange.ErrOrderNotFound) {
		t.Fatalf("OrderByClientID of an unknown id: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"duplicate product", Config{Products: []exchange.Product{btcUSD, btcUSD}}},
		{"product without currencies", Config{Products: []exchange.Product{{ID: "X"}}}},
		{"negative fee", Config{Fees: Fees{Maker: d("-0.001")}}},
		{"negative slippage", Config{SlippageBps: d("-1")}},
		{"slippage of the whole price", Config{SlippageBps: d("10000")}},
		{"negative balance", Config{Balances: map[string]decimal.Decimal{"USD": d("-1")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, clock.NewSim(t0)); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
}

func TestUnsetFeesChargeTheEntryTier(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantFee string
	}{
		// 100 * 1 * 0.006
		{"unset fees are Coinbase's entry tier", Config{}, "0.6"},
		{"zero fees on request", Config{ZeroFees: true}, "0"},
		{"maker-only rebate tier keeps its zero maker", Config{Fees: Fees{Taker: d("0.001")}}, "0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Products = []exchange.Product{btcUSD}
			cfg.Balances = map[string]decimal.Decimal{"USD": d("1000")}
			x, err := New(cfg, clock.NewSim(t0))
			if err != nil {
				t.Fatal(err)
			}
			x.OnTick(&exchange.Tick{ProductID: btcUSD.ID, Kind: exchange.TradeTick, Price: d("100")})
			o, err := x.PlaceOrder(t.Context(), exchange.OrderRequest{ClientOrderID: "a", ProductID: btcUSD.ID,
				Side: exchange.Buy, Type: exchange.Market, BaseSize: d("1")})
			if err != nil {
				t.Fatal(err)
			}
			if !o.TotalFees.Equal(d(tt.wantFee)) {
				t.Fatalf("fee = %s, want %s", o.TotalFees, tt.wantFee)
			}
		})
	}
}

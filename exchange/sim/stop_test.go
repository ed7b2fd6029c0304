package sim

import (
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

func TestStopLimitOrders(t *testing.T) {
	tests := []struct {
		name   string
		before []step
		req    exchange.OrderRequest
		after  []step
		status exchange.OrderStatus
		// triggered says whether the stop fired; price/fee/liq the fill
		triggered  bool
		price, fee string
		liq        exchange.Liquidity
	}{
		{
			name:   "stop down does not trigger above its stop",
			before: []step{{trade: "100.00"}},
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95.00"), LimitPrice: d("94.00")},
			after:  []step{{trade: "95.01"}, {bid: "94.50", ask: "94.60"}},
			status: exchange.StatusOpen,
		},
		{
			name:   "stop down triggers at its stop and takes the last trade",
			before: []step{{trade: "100.00"}},
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95.00"), LimitPrice: d("94.00")},
			after:     []step{{trade: "95.00"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// 95 * 1 = 95; fee 0.57
			price: "95.00", fee: "0.57", liq: exchange.Taker,
		},
		{
			// The trade at 94 went through the bid of 99.90: that bid is
			// gone, and the stop sells at the fall, not before it.
			name:   "stop down triggered by a trade through an older bid takes the trade",
			before: []step{{trade: "100.00"}, {bid: "99.90", ask: "100.10"}},
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95.00"), LimitPrice: d("90.00")},
			after:     []step{{trade: "94.00"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// 94 * 1; fee 0.564
			price: "94.00", fee: "0.564", liq: exchange.Taker,
		},
		{
			name:   "stop down triggered by a trade that carries the bid takes that bid",
			before: []step{{trade: "100.00"}, {bid: "99.90", ask: "100.10"}},
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95.00"), LimitPrice: d("90.00")},
			after:     []step{{trade: "94.00", bid: "93.50"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// 93.50 * 1; fee 0.561
			price: "93.50", fee: "0.561", liq: exchange.Taker,
		},
		{
			name:   "stop up triggered by a trade through an older ask takes the trade",
			before: []step{{trade: "100.00"}, {bid: "99.90", ask: "100.10"}},
			req: exchange.OrderRequest{Side: exchange.Buy, Type: exchange.StopLimit, StopDirection: exchange.StopUp,
				BaseSize: d("1"), StopPrice: d("105.00"), LimitPrice: d("110.00")},
			after:     []step{{trade: "106.00"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// 106 * 1; fee 0.636
			price: "106.00", fee: "0.636", liq: exchange.Taker,
		},
		{
			name:   "triggered stop rests at its limit when the bid is below it, then fills as maker",
			before: []step{{trade: "100.00"}, {bid: "93.00", ask: "93.10"}},
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95.00"), LimitPrice: d("94.00")},
			after:     []step{{trade: "93.05"}, {trade: "94.00"}, {trade: "94.01"}},
			status:    exchange.StatusFilled,
			triggered: true,
			price:     "94.00", fee: "0.376", liq: exchange.Maker,
		},
		{
			name:   "triggered stop that cannot fill stays open",
			before: []step{{trade: "100.00"}, {bid: "93.00", ask: "93.10"}},
			req: exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
				BaseSize: d("1"), StopPrice: d("95.00"), LimitPrice: d("94.00")},
			after:     []step{{trade: "93.05"}, {trade: "94.00"}},
			status:    exchange.StatusOpen,
			triggered: true,
		},
		{
			name:   "stop up buy triggers at its stop and takes the ask",
			before: []step{{trade: "100.00"}, {bid: "104.90", ask: "105.10"}},
			req: exchange.OrderRequest{Side: exchange.Buy, Type: exchange.StopLimit, StopDirection: exchange.StopUp,
				BaseSize: d("1"), StopPrice: d("105.00"), LimitPrice: d("106.00")},
			after:     []step{{trade: "104.99"}, {trade: "105.00"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// 105.10 * 1; fee 0.6306
			price: "105.10", fee: "0.6306", liq: exchange.Taker,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.run(tt.before)
			o := h.mustPlace(tt.req)
			h.run(tt.after)
			o = h.order(o.ID)
			if o.Status != tt.status || o.Triggered != tt.triggered {
				t.Fatalf("status %s triggered %v, want %s %v", o.Status, o.Triggered, tt.status, tt.triggered)
			}
			if tt.price == "" {
				h.wantNoFill(o.ID)
				return
			}
			h.wantFill(o.ID, tt.price, "1", tt.fee, tt.liq)
		})
	}
}

func TestStopsThatWouldTriggerAtOnceAreRejected(t *testing.T) {
	tests := []struct {
		name   string
		req    exchange.OrderRequest
		reason string
	}{
		{"stop down at the last trade", exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit,
			StopDirection: exchange.StopDown, BaseSize: d("1"), StopPrice: d("100.00"), LimitPrice: d("99")}, exchange.ReasonStopAboveLastTrade},
		{"stop up at the last trade", exchange.OrderRequest{Side: exchange.Buy, Type: exchange.StopLimit,
			StopDirection: exchange.StopUp, BaseSize: d("1"), StopPrice: d("100.00"), LimitPrice: d("101")}, exchange.ReasonStopBelowLastTrade},
		{"bracket stop above the last trade", exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket,
			BaseSize: d("1"), StopPrice: d("100.01"), LimitPrice: d("110")}, exchange.ReasonStopAboveLastTrade},
		{"attached stop above the last trade", exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("0.1"),
			LimitPrice: d("99"), Attached: &exchange.AttachedBracket{LimitPrice: d("110"), StopTriggerPrice: d("100")}}, exchange.ReasonStopAboveLastTrade},
		{"stop without a direction", exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit,
			BaseSize: d("1"), StopPrice: d("90"), LimitPrice: d("89")}, exchange.ReasonUnsupportedConfig},
		{"bracket take-profit below its stop", exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket,
			BaseSize: d("1"), StopPrice: d("90"), LimitPrice: d("90")}, exchange.ReasonInvalidBracketPrices},
		{"bracket buy", exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Bracket,
			BaseSize: d("1"), StopPrice: d("90"), LimitPrice: d("110")}, exchange.ReasonBracketSide},
		{"attached prices inverted", exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1"),
			Attached: &exchange.AttachedBracket{LimitPrice: d("90"), StopTriggerPrice: d("95")}}, exchange.ReasonInvalidBracketPrices},
		{"attached price off the tick", exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.1"),
			Attached: &exchange.AttachedBracket{LimitPrice: d("110.001"), StopTriggerPrice: d("95")}}, exchange.ReasonInvalidPricePrecision},
		{"attached on a stop-limit", exchange.OrderRequest{Side: exchange.Buy, Type: exchange.StopLimit, StopDirection: exchange.StopUp,
			BaseSize: d("0.1"), StopPrice: d("105"), LimitPrice: d("106"),
			Attached: &exchange.AttachedBracket{LimitPrice: d("120"), StopTriggerPrice: d("95")}}, exchange.ReasonUnsupportedConfig},
		{"bracket beyond the base balance", exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket,
			BaseSize: d("1.001"), StopPrice: d("90"), LimitPrice: d("110")}, exchange.ReasonInsufficientFund},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.trade("100.00")
			_, err := h.place(tt.req)
			wantReject(t, err, tt.reason)
		})
	}
}

func TestBrackets(t *testing.T) {
	bracket := func(tp, stop string) exchange.OrderRequest {
		return exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("1"), LimitPrice: d(tp), StopPrice: d(stop)}
	}
	tests := []struct {
		name       string
		before     []step
		req        exchange.OrderRequest
		after      []step
		status     exchange.OrderStatus
		triggered  bool
		price, fee string
		liq        exchange.Liquidity
		usd        string
	}{
		{
			name:   "take-profit fills as maker and the stop is gone",
			before: []step{{trade: "100.00"}},
			req:    bracket("110.00", "90.00"),
			after:  []step{{trade: "110.00"}, {trade: "110.01"}, {trade: "80.00"}},
			status: exchange.StatusFilled,
			// 110 * 1; fee 0.44
			price: "110.00", fee: "0.44", liq: exchange.Maker, usd: "10109.56",
		},
		{
			name:      "stop triggers into a limit 5% below and takes the last trade",
			before:    []step{{trade: "100.00"}},
			req:       bracket("110.00", "90.00"),
			after:     []step{{trade: "90.01"}, {trade: "90.00"}, {trade: "111.00"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// limit 85.50, marketable at 90.00; fee 0.54
			price: "90.00", fee: "0.54", liq: exchange.Taker, usd: "10089.46",
		},
		{
			name:      "triggered stop below its 5% limit rests, take-profit no longer works",
			before:    []step{{trade: "100.00"}, {bid: "85.00", ask: "85.20"}},
			req:       bracket("110.00", "90.00"),
			after:     []step{{trade: "85.10"}, {trade: "111.00"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// limit 90 * 0.95 = 85.50; the trade at 111 goes through it: maker at 85.50, fee 0.342
			price: "85.50", fee: "0.342", liq: exchange.Maker, usd: "10085.158",
		},
		{
			name:      "triggered limit rounds up to the tick",
			before:    []step{{trade: "100.00"}, {bid: "80.00", ask: "80.10"}},
			req:       bracket("110.00", "90.03"),
			after:     []step{{trade: "90.00"}, {bid: "85.53", ask: "85.60"}},
			status:    exchange.StatusFilled,
			triggered: true,
			// 90.03 * 0.95 = 85.5285 -> 85.53; fee 0.34212
			price: "85.53", fee: "0.34212", liq: exchange.Maker, usd: "10085.18788",
		},
		{
			name:   "take-profit already below the bid takes it",
			before: []step{{trade: "100.00"}, {bid: "111.00", ask: "111.10"}},
			req:    bracket("110.00", "90.00"),
			status: exchange.StatusFilled,
			price:  "111.00", fee: "0.666", liq: exchange.Taker, usd: "10110.334",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.run(tt.before)
			o := h.mustPlace(tt.req)
			if o.Status == exchange.StatusOpen {
				h.wantBalance("BTC", "0", "1")
			}
			h.run(tt.after)
			o = h.order(o.ID)
			if o.Status != tt.status || o.Triggered != tt.triggered {
				t.Fatalf("status %s triggered %v, want %s %v", o.Status, o.Triggered, tt.status, tt.triggered)
			}
			h.wantFill(o.ID, tt.price, "1", tt.fee, tt.liq)
			h.wantBalance("USD", tt.usd, "0")
			h.wantBalance("BTC", "0", "0")
		})
	}
}

func TestBracketHoldsTheBaseSoASecondExitIsRefused(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	h.mustPlace(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("1"), LimitPrice: d("110"), StopPrice: d("90")})
	h.wantBalance("BTC", "0", "1")
	_, err := h.place(exchange.OrderRequest{Side: exchange.Sell, Type: exchange.StopLimit, StopDirection: exchange.StopDown,
		BaseSize: d("0.02"), StopPrice: d("95"), LimitPrice: d("94")})
	wantReject(t, err, exchange.ReasonInsufficientFund)
}

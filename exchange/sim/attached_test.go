package sim

import (
	"testing"

	"github.com/tradebot/tradebot/exchange"
)

// eventSummary is what a test checks of one reported event.
type eventSummary struct {
	id        string
	status    exchange.OrderStatus
	triggered bool
	fill      bool
}

func (h *harness) summaries() []eventSummary {
	out := make([]eventSummary, len(h.events))
	for i, e := range h.events {
		out[i] = eventSummary{e.Order.ID, e.Order.Status, e.Order.Triggered, e.Fill != nil}
	}
	return out
}

func wantEvents(t *testing.T, got, want []eventSummary) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events = %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("event %d = %+v, want %+v (all: %+v)", i, got[i], want[i], got)
		}
	}
}

func TestAttachedBracketIsCreatedForTheFilledSize(t *testing.T) {
	h := newHarness(t)
	h.quote("99.90", "100.00")
	entry := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, BaseSize: d("0.5"),
		Attached: &exchange.AttachedBracket{LimitPrice: d("110.00"), StopTriggerPrice: d("90.00")}})
	if entry.AttachedOrderID == "" {
		t.Fatal("filled entry has no AttachedOrderID")
	}
	br := h.order(entry.AttachedOrderID)
	if br.Type != exchange.Bracket || br.Side != exchange.Sell || !br.BaseSize.Equal(d("0.5")) ||
		!br.LimitPrice.Equal(d("110")) || !br.StopPrice.Equal(d("90")) || br.OriginatingOrderID != entry.ID || br.Status != exchange.StatusOpen {
		t.Fatalf("attached bracket = %+v", br)
	}
	h.wantBalance("BTC", "1", "0.5")
	wantEvents(t, h.summaries(), []eventSummary{
		{entry.ID, exchange.StatusOpen, false, false},
		{entry.ID, exchange.StatusFilled, false, true},
		{br.ID, exchange.StatusOpen, false, false},
	})
	if h.events[1].Order.AttachedOrderID != br.ID {
		t.Errorf("the entry's fill event does not name its bracket")
	}
	// The stop leg: 90 triggers a limit at 85.50, marketable at the last trade 90.
	h.quote("89.00", "89.10")
	h.trade("90.00")
	h.wantFill(br.ID, "89.00", "0.5", "0.267", exchange.Taker)
	h.wantBalance("BTC", "1", "0")
}

func TestAttachedBracketWaitsForARestingEntry(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	entry := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("99.00"),
		Attached: &exchange.AttachedBracket{LimitPrice: d("110.00"), StopTriggerPrice: d("90.00")}})
	if n := len(h.x.Orders()); n != 1 {
		t.Fatalf("%d orders before the entry fills, want 1", n)
	}
	h.trade("98.50")
	entry = h.order(entry.ID)
	if entry.Status != exchange.StatusFilled || entry.AttachedOrderID == "" {
		t.Fatalf("entry = %s attached %q", entry.Status, entry.AttachedOrderID)
	}
	h.trade("110.01")
	// entry: 99 * 1 + 0.396 maker; take-profit: 110 - 0.44 maker
	h.wantFill(entry.AttachedOrderID, "110.00", "1", "0.44", exchange.Maker)
	h.wantBalance("USD", "10010.164", "0")
	h.wantBalance("BTC", "1", "0")
}

func TestAttachedBracketTriggersAtOnceWhenTheEntryFillsBelowTheStop(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	entry := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("95.00"),
		Attached: &exchange.AttachedBracket{LimitPrice: d("110.00"), StopTriggerPrice: d("94.00")}})
	h.trade("93.99")
	entry = h.order(entry.ID)
	br := h.order(entry.AttachedOrderID)
	if !br.Triggered {
		t.Fatalf("bracket not triggered with the last trade below its stop: %+v", br)
	}
	// limit 94 * 0.95 = 89.30; marketable at 93.99
	h.wantFill(br.ID, "93.99", "1", "0.56394", exchange.Taker)
}

func TestCancelledEntryCreatesNoBracket(t *testing.T) {
	h := newHarness(t)
	h.trade("100")
	entry := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("95.00"),
		Attached: &exchange.AttachedBracket{LimitPrice: d("110.00"), StopTriggerPrice: d("90.00")}})
	if err := h.x.CancelOrder(t.Context(), entry.ID); err != nil {
		t.Fatal(err)
	}
	h.trade("80")
	if n := len(h.x.Orders()); n != 1 {
		t.Fatalf("%d orders, want the cancelled entry only", n)
	}
}

func TestAttachedBracketOnAQuoteSizedBuyTakesTheBoughtSize(t *testing.T) {
	h := newHarness(t)
	h.quote("29.99", "30.00")
	entry := h.mustPlace(exchange.OrderRequest{Side: exchange.Buy, Type: exchange.Market, QuoteSize: d("100.00"),
		Attached: &exchange.AttachedBracket{LimitPrice: d("40.00"), StopTriggerPrice: d("25.00")}})
	br := h.order(entry.AttachedOrderID)
	// 100 / 30 = 3.333 BTC bought, all of it protected.
	if !br.BaseSize.Equal(d("3.333")) || !entry.FilledSize.Equal(d("3.333")) {
		t.Fatalf("entry filled %s, bracket size %s; want 3.333 both", entry.FilledSize, br.BaseSize)
	}
	h.wantBalance("BTC", "1", "3.333")
}

package engine

import (
	"testing"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/risk"
)

// TestJournalPartRecordsOnlyWhatTheJournalLacks covers a crash between
// recording a fill and saving the position that applied it: after the
// restart the position applies the venue's cumulative fill again, and the
// journal's fills table must end up holding the order's filled size once.
func TestJournalPartRecordsOnlyWhatTheJournalLacks(t *testing.T) {
	tests := []struct {
		name string
		// journaled: fills table before the restart; filled: applied to
		// the position before this event; size, fee: the event's fill.
		journaled, filled, size, fee string
		wantSize, wantFee            string // "" for nothing recorded
	}{
		{"nothing journaled before: all of it", "0", "0", "0.5", "3", "0.5", "3"},
		{"journal holds it all: nothing", "0.5", "0", "0.5", "3", "", ""},
		{"journal holds more than this event reaches: nothing", "0.5", "0", "0.2", "1", "", ""},
		{"journal holds part: the rest, fee pro rata", "0.2", "0", "0.5", "3", "0.3", "1.8"},
		{"journal behind the position: all of it", "0.1", "0.2", "0.3", "1.5", "0.3", "1.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fill := &exchange.Fill{TradeID: "t", Size: d(tc.size), Fee: d(tc.fee)}
			tr := &trackedOrder{journaled: d(tc.journaled), filled: d(tc.filled).Add(d(tc.size))}
			got := tr.journalPart(fill)
			if tc.wantSize == "" {
				if got != nil {
					t.Fatalf("recorded %+v, want nothing", got)
				}
				return
			}
			if got == nil || !got.Size.Equal(d(tc.wantSize)) || !got.Fee.Equal(d(tc.wantFee)) {
				t.Fatalf("recorded %+v, want size %s fee %s", got, tc.wantSize, tc.wantFee)
			}
			if !fill.Size.Equal(d(tc.size)) {
				t.Fatalf("the applied fill changed to %s", fill.Size)
			}
		})
	}
	// A second event after the journal caught up records in full.
	tr := &trackedOrder{journaled: d("0.5"), filled: d("0.5")}
	tr.journalPart(&exchange.Fill{Size: d("0.5")})
	tr.filled = d("0.7")
	if got := tr.journalPart(&exchange.Fill{Size: d("0.2"), Fee: d("1")}); got == nil || !got.Size.Equal(d("0.2")) {
		t.Fatalf("after catching up: recorded %+v, want 0.2", got)
	}
}

// TestAttachedBracketFindsItsInstanceAsTheUserChannelReportsIt covers the
// two ways Coinbase's user channel reports a venue-created bracket that
// the executor must still give to the entry's instance: without its
// originating order id (the channel does not carry it), and after the
// entry's own end (the entry's FILLED can come first).
func TestAttachedBracketFindsItsInstanceAsTheUserChannelReportsIt(t *testing.T) {
	attached := &exchange.AttachedBracket{LimitPrice: d("110"), StopTriggerPrice: d("90")}
	entryReq := exchange.OrderRequest{ClientOrderID: "inst-1", ProductID: "BTC-USD", Side: exchange.Buy,
		Type: exchange.Market, QuoteSize: d("50"), Attached: attached}
	bracket := exchange.Order{ID: "v-br", Status: exchange.StatusOpen, OrderRequest: exchange.OrderRequest{
		ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("0.5")}}
	filledEntry := exchange.Order{ID: "v-entry", Status: exchange.StatusFilled, FilledSize: d("0.5"),
		FilledValue: d("50"), OrderRequest: entryReq}
	tests := []struct {
		name       string
		entryFirst bool   // the entry's FILLED arrives before the bracket
		origin     string // the bracket's originating order id as reported
		size       string // the bracket's size as reported
		tracked    bool
	}{
		{"bracket first, no origin", false, "", "0.5", true},
		{"entry first, no origin", true, "", "0.5", true},
		{"entry first, with origin", true, "v-entry", "0.5", true},
		{"another size is not ours", true, "", "0.4", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := risk.NewGuard(risk.DefaultConfig(), clock.Wall{})
			if err != nil {
				t.Fatal(err)
			}
			e := NewExecutor(ExecutorOptions{Guard: g})
			e.orders["inst-1"] = &trackedOrder{instance: "inst", purpose: Entry, req: entryReq,
				order: exchange.Order{ID: "v-entry", OrderRequest: entryReq, Status: exchange.StatusOpen}}
			e.byVenueID["v-entry"] = "inst-1"
			if tc.entryFirst {
				e.HandleEvent(exchange.OrderEvent{Order: filledEntry})
			} else {
				// The fill is applied before the bracket shows up.
				e.orders["inst-1"].filled = d("0.5")
			}
			br := bracket
			br.OriginatingOrderID, br.BaseSize = tc.origin, d(tc.size)
			e.HandleEvent(exchange.OrderEvent{Order: br})
			if got := e.tracksClientID("inst-1" + attachedSuffix); got != tc.tracked {
				t.Fatalf("bracket tracked as inst-1-attached = %v, want %v", got, tc.tracked)
			}
			if tc.tracked && e.orders["inst-1"+attachedSuffix].instance != "inst" {
				t.Fatalf("bracket given to %q", e.orders["inst-1"+attachedSuffix].instance)
			}
		})
	}
}

package engine

import (
	"testing"

	"github.com/tradebot/tradebot/exchange"
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

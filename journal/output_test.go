package journal

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

func samplePositions() []PositionRow {
	return []PositionRow{
		{Instance: "sma-btc", ProductID: "BTC-USD", Size: d("0.00123456"), AvgEntryPrice: d("64250.01"),
			RealizedPnL: d("-1.5"), Fees: d("0.12"), OpenedAt: t0, UpdatedAt: t0.Add(time.Hour)},
		{Instance: "breakout-eth", ProductID: "ETH-USD", Size: d("1.5"), AvgEntryPrice: d("3100"),
			RealizedPnL: d("12.25"), Fees: d("3"), UpdatedAt: t0},
	}
}

func TestWriteTableAlignsColumnsAndRightAlignsNumbers(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, PositionsTable(samplePositions()), FormatTable); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"instance      product        size  avg_entry_price  realized_pnl  fees  opened_at             updated_at\n" +
		"sma-btc       BTC-USD  0.00123456         64250.01          -1.5  0.12  2026-03-01T12:00:00Z  2026-03-01T13:00:00Z\n" +
		"breakout-eth  ETH-USD         1.5             3100         12.25     3                        2026-03-01T12:00:00Z\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteTableCSVAndJSONKeepEveryDigit(t *testing.T) {
	tbl := RoundTripsTable([]RoundTrip{{Key: "k", Instance: "sma-btc", ProductID: "BTC-USD", Side: exchange.Buy,
		Size: d("0.00000001"), EntryPrice: d("64250.01"), ExitPrice: d("64250.02"), Fees: d("0"),
		RealizedPnL: d("0.0000000001"), ExitReason: "take_profit, partial \"1\"", EntryTime: t0, ExitTime: t0.Add(time.Minute)}})

	var c bytes.Buffer
	if err := WriteTable(&c, tbl, FormatCSV); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !equalStrings(recs[0], tbl.Columns) || !equalStrings(recs[1], tbl.Rows[0]) {
		t.Fatalf("CSV read back as %q", recs)
	}

	var j bytes.Buffer
	if err := WriteTable(&j, tbl, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]string
	if err := json.Unmarshal(j.Bytes(), &objs); err != nil {
		t.Fatalf("%v in\n%s", err, j.String())
	}
	if len(objs) != 1 || objs[0]["realized_pnl"] != "0.0000000001" || objs[0]["size"] != "0.00000001" ||
		objs[0]["exit_reason"] != `take_profit, partial "1"` {
		t.Fatalf("JSON read back as %v", objs)
	}
	// Columns keep their order in the JSON objects, for people reading it.
	if strings.Index(j.String(), `"instance"`) > strings.Index(j.String(), `"exit_time"`) {
		t.Fatalf("JSON keys out of column order:\n%s", j.String())
	}
}

func TestWriteTableOfNoRows(t *testing.T) {
	cases := map[Format]string{
		FormatTable: "instance  product  size  avg_entry_price  realized_pnl  fees  opened_at  updated_at\n",
		FormatCSV:   "instance,product,size,avg_entry_price,realized_pnl,fees,opened_at,updated_at\n",
		FormatJSON:  "[]\n",
	}
	for f, want := range cases {
		var b bytes.Buffer
		if err := WriteTable(&b, PositionsTable(nil), f); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s: got %q, want %q", f, b.String(), want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": FormatTable, "CSV": FormatCSV, "json": FormatJSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("ParseFormat(xml) err = %v", err)
	}
}

func TestTableTotalSumsAColumnExactly(t *testing.T) {
	tbl := PositionsTable(samplePositions())
	got, err := tbl.Total("realized_pnl")
	if err != nil || !got.Equal(d("10.75")) {
		t.Fatalf("Total = %s, %v; want 10.75", got, err)
	}
	if _, err := tbl.Total("instance"); err == nil || !strings.Contains(err.Error(), "row 1 column instance") {
		t.Fatalf("Total of a text column: err = %v", err)
	}
}

func TestPositionsAndRoundTripsRoundTripThroughTheJournal(t *testing.T) {
	j := openTemp(t)
	for _, p := range samplePositions() {
		if err := j.SavePosition(p); err != nil {
			t.Fatal(err)
		}
	}
	flat := samplePositions()[1]
	flat.Size = d("0")
	if err := j.SavePosition(flat); err != nil {
		t.Fatal(err)
	}
	ps, err := j.Positions()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Instance != "sma-btc" || !ps[0].Size.Equal(d("0.00123456")) || !ps[0].OpenedAt.Equal(t0) {
		t.Fatalf("positions = %+v, want only sma-btc (the flat one removed)", ps)
	}

	rt := RoundTrip{Key: "sma-btc/sma-btc-1", Instance: "sma-btc", ProductID: "BTC-USD", Side: exchange.Buy,
		Size: d("0.5"), EntryPrice: d("60000"), ExitPrice: d("61000"), Fees: d("2"), RealizedPnL: d("498"),
		ExitReason: "take_profit", EntryTime: t0, ExitTime: t0.Add(time.Hour)}
	for i, wantNew := range []bool{true, false} {
		isNew, err := j.RecordRoundTrip(rt)
		if err != nil || isNew != wantNew {
			t.Fatalf("record %d: isNew = %v, %v; want %v", i, isNew, err, wantNew)
		}
	}
	other := rt
	other.Key, other.Instance, other.ExitTime = "b/b-1", "b", t0.Add(2*time.Hour)
	if _, err := j.RecordRoundTrip(other); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    RoundTripFilter
		want []string
	}{
		{"all", RoundTripFilter{}, []string{"sma-btc/sma-btc-1", "b/b-1"}},
		{"instance", RoundTripFilter{Instance: "b"}, []string{"b/b-1"}},
		{"since", RoundTripFilter{Since: t0.Add(90 * time.Minute)}, []string{"b/b-1"}},
		{"until", RoundTripFilter{Until: t0.Add(90 * time.Minute)}, []string{"sma-btc/sma-btc-1"}},
		{"newest", RoundTripFilter{Limit: 1}, []string{"b/b-1"}},
	}
	for _, c := range cases {
		rts, err := j.RoundTrips(c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rts {
			got = append(got, r.Key)
		}
		if !equalStrings(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

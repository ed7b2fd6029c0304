package coinbase

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
)

var benchReceived = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// l2UpdateSeed is an l2_data update written for these tests (the shared
// sample of that shape is LGPL-sourced and not copied, see testdata/SOURCES.md).
const l2UpdateSeed = `{"channel":"l2_data","client_id":"","timestamp":"2026-04-07T14:30:01.456789Z","sequence_num":7,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68900.00","new_quantity":"2.00000000"},{"side":"offer","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68901.00","new_quantity":"0.00000000"}]}]}`

func sameFixed(a, b fixed) bool { return normalize(a) == normalize(b) }

func sameTick(a, b exchange.Tick) bool {
	return a.ProductID == b.ProductID && a.Kind == b.Kind && a.Time.Equal(b.Time) && a.Received.Equal(b.Received) &&
		a.Price.Equal(b.Price) && a.Size.Equal(b.Size) && a.TakerSide == b.TakerSide &&
		a.Bid.Equal(b.Bid) && a.BidSize.Equal(b.BidSize) && a.Ask.Equal(b.Ask) && a.AskSize.Equal(b.AskSize)
}

// compareHot fails unless two decodings of one message agree.
func compareHot(t testing.TB, input []byte, fast, slow *hotMessage) {
	t.Helper()
	if fast.channel != slow.channel || fast.seq != slow.seq || !fast.time.Equal(slow.time) ||
		len(fast.ticks) != len(slow.ticks) || len(fast.levels) != len(slow.levels) {
		t.Fatalf("fast and encoding/json disagree on %q:\nfast %+v\nslow %+v", input, fast, slow)
	}
	for i := range fast.ticks {
		if !sameTick(fast.ticks[i], slow.ticks[i]) {
			t.Fatalf("tick %d of %q:\nfast %+v\nslow %+v", i, input, fast.ticks[i], slow.ticks[i])
		}
	}
	for i := range fast.levels {
		f, s := fast.levels[i], slow.levels[i]
		if f.productID != s.productID || f.snapshot != s.snapshot || f.bid != s.bid || !sameFixed(f.price, s.price) || !sameFixed(f.qty, s.qty) {
			t.Fatalf("level %d of %q:\nfast %+v\nslow %+v", i, input, f, s)
		}
	}
}

// checkHotSample decodes a real sample through both paths: the fast one
// must accept it and agree with encoding/json.
func checkHotSample(t *testing.T, name string, b []byte) {
	var d hotDecoder
	var fast, slow hotMessage
	if !d.fast(b, benchReceived, &fast) {
		t.Fatalf("the fast decoder declined the real sample %s", name)
	}
	if err := d.slow(b, benchReceived, &slow); err != nil {
		t.Fatal(err)
	}
	compareHot(t, b, &fast, &slow)
	switch name {
	case "ws_ticker.json":
		eq(t, "ticks", len(fast.ticks), 1)
		eq(t, "bid", fast.ticks[0].Bid, dec("21931.98"))
	case "ws_market_trades.json":
		eq(t, "taker", fast.ticks[0].TakerSide, exchange.Sell)
	case "ws_level2_snapshot.json":
		eq(t, "levels", len(fast.levels), 2)
		eq(t, "snapshot", fast.levels[0].snapshot, true)
		eq(t, "price", fast.levels[1].price, fixed{219213, 1})
	case "ws_level2_update.json":
		eq(t, "seq", fast.seq, int64(1))
		eq(t, "removal", fast.levels[1].qty.m, int64(0))
		eq(t, "offer", fast.levels[1].bid, false)
	}
}

func TestHotDecoderFallsBackWhereTheFastPathDeclines(t *testing.T) {
	tests := []struct {
		name, msg string
		wantTicks int
		wantErr   bool
	}{
		{"escaped product id", `{"channel":"ticker","timestamp":"2024-01-01T00:00:00Z","events":[{"tickers":[{"product_id":"BTC\u002dUSD","best_bid":"1","best_ask":"2"}]}]}`, 1, false},
		{"exponent price", `{"channel":"market_trades","events":[{"trades":[{"product_id":"X","price":"1e3","size":"1","side":"BUY","time":"2024-01-01T00:00:00Z"}]}]}`, 1, false},
		{"quoted sequence", `{"channel":"ticker","sequence_num":"5","events":[]}`, 0, false},
		{"channel after events", `{"events":[{"tickers":[{"product_id":"A"}]}],"channel":"ticker"}`, 1, false},
		{"upper-case key matched case-insensitively", `{"channel":"ticker","events":[{"tickers":[{"Product_ID":"A"}]}]}`, 1, false},
		{"timestamp with offset", `{"channel":"ticker","timestamp":"2024-01-01T01:00:00+01:00","events":[]}`, 0, false},
		{"bad decimal", `{"channel":"ticker","events":[{"tickers":[{"best_bid":"1.2.3"}]}]}`, 0, true},
		{"huge exponent", `{"channel":"ticker","events":[{"tickers":[{"best_bid":"1e999999999"}]}]}`, 0, true},
		{"trailing garbage", `{"channel":"ticker","events":[]} x`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d hotDecoder
			var m hotMessage
			err := d.decode([]byte(tt.msg), benchReceived, &m)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && len(m.ticks) != tt.wantTicks {
				t.Fatalf("%d ticks, want %d", len(m.ticks), tt.wantTicks)
			}
		})
	}
	var d hotDecoder
	var m hotMessage
	if err := d.decode(sample(t, "ws_heartbeats.json"), benchReceived, &m); err != errNotHot {
		t.Fatalf("heartbeats: %v, want errNotHot", err)
	}
}

func TestParseFixedAndTimeAgreeWithTheLibraries(t *testing.T) {
	for _, s := range []string{"0", "0.00000000", "68900.00", ".15", "-1.5", "123456789012345678", "0.000016", "2600"} {
		f, ok := parseFixed([]byte(s))
		if !ok || !decimal.New(f.m, -f.scale).Equal(decimal.RequireFromString(s)) {
			t.Errorf("parseFixed(%q) = %v %v", s, f, ok)
		}
	}
	for _, s := range []string{"", "1.", ".", "-", "1e5", "1234567890123456789", "+1", "1.2.3", "--1"} {
		if _, ok := parseFixed([]byte(s)); ok {
			t.Errorf("parseFixed(%q) accepted", s)
		}
	}
	for _, s := range []string{"2023-02-09T20:30:37.167359596Z", "2019-08-14T20:42:27.265Z", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59.1Z"} {
		got, ok := parseTimeFast([]byte(s))
		if !ok || !got.Equal(ts(s)) {
			t.Errorf("parseTimeFast(%q) = %v %v", s, got, ok)
		}
	}
	for _, s := range []string{"2023-02-30T00:00:00Z", "2023-13-01T00:00:00Z", "2023-01-01T24:00:00Z", "2023-01-01T00:00:00", "2023-01-01 00:00:00Z", "2023-01-01T00:00:00.Z"} {
		if _, ok := parseTimeFast([]byte(s)); ok {
			t.Errorf("parseTimeFast(%q) accepted", s)
		}
	}
}

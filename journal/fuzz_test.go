package journal

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// FuzzDecodeRequest feeds stored request documents, as a damaged or
// hand-edited journal could hold them, to the decoder: it must never
// panic, and what it accepts must encode back to a document that decodes
// to the same request.
func FuzzDecodeRequest(f *testing.F) {
	for _, r := range []exchange.OrderRequest{
		limitBuy("sma-btc-1"),
		{ClientOrderID: "m", ProductID: "BTC-USD", Side: exchange.Buy, Type: exchange.Market, QuoteSize: d("25.00")},
		{ClientOrderID: "s", ProductID: "ETH-USD", Side: exchange.Sell, Type: exchange.StopLimit, BaseSize: d("0.5"),
			LimitPrice: d("2990.5"), StopPrice: d("3000"), StopDirection: exchange.StopDown,
			TimeInForce: exchange.GoodTilDate, EndTime: t0},
		{ClientOrderID: "b", ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("0.1"),
			LimitPrice: d("70000"), StopPrice: d("60000")},
	} {
		b, err := encodeRequest(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"client_order_id":"x","base_size":"1e400000"}`))
	f.Add([]byte(`{"client_order_id":"x","limit_price":"NaN"}`))
	f.Add([]byte(`{"client_order_id":"x","unknown":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRequest(b)
		if err != nil {
			return
		}
		again, err := encodeRequest(r)
		if err != nil {
			t.Fatalf("decoded %q but cannot encode it: %v", b, err)
		}
		r2, err := decodeRequest(again)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", again, err)
		}
		if a, b := mustEncode(t, r), mustEncode(t, r2); a != b {
			t.Fatalf("round trip changed the request:\n%s\n%s", a, b)
		}
	})
}

func mustEncode(t *testing.T, r exchange.OrderRequest) string {
	b, err := encodeRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzOpenDamagedFile overwrites bytes of a real journal at a fuzzed
// offset. Open must either refuse the file or open one that shows all of
// its orders and fills (or an error naming a malformed row, never a
// silently shorter list). A file Open refuses must salvage into a journal
// that Open accepts, or give an error.
func FuzzOpenDamagedFile(f *testing.F) {
	good, size := filledJournal(f)
	orig, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	for _, off := range []uint32{0, 16, 28, 100, 4096, uint32(size / 2), uint32(size - 10)} {
		f.Add(off, []byte{0xff, 0x00, 0x13})
	}
	f.Fuzz(func(t *testing.T, off uint32, patch []byte) {
		buf := append([]byte(nil), orig...)
		at := int(off) % len(buf)
		copy(buf[at:], patch)
		path := filepath.Join(t.TempDir(), "journal.db")
		if err := os.WriteFile(path, buf, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := Open(path)
		if err != nil {
			target := filepath.Join(t.TempDir(), "salvaged.db")
			if _, err := Salvage(path, target); err != nil {
				return
			}
			s, err := Open(target)
			if err != nil {
				t.Fatalf("salvage produced a journal Open refuses: %v", err)
			}
			s.Close()
			return
		}
		defer j.Close()
		orders, oerr := j.Orders(OrderFilter{})
		fills, ferr := j.Fills(time.Time{})
		if oerr == nil && len(orders) != 300 {
			t.Fatalf("the damaged journal opened and silently shows %d of 300 orders", len(orders))
		}
		if ferr == nil && len(fills) != 300 {
			t.Fatalf("the damaged journal opened and silently shows %d of 300 fills", len(fills))
		}
	})
}

package journal

import (
	"strings"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

func fill(trade string, at time.Time) exchange.Fill {
	return exchange.Fill{TradeID: trade, OrderID: "v-1", ClientOrderID: "a-1", ProductID: "BTC-USD", Side: exchange.Buy,
		Price: d("64250.01"), Size: d("0.00123456"), Fee: d("0.0793"), Liquidity: exchange.Maker, Time: at}
}

func TestRecordingTheSameFillTwiceIsANoOp(t *testing.T) {
	j := openTemp(t)
	steps := []struct {
		f      exchange.Fill
		isNew  bool
		reason string
	}{
		{fill("t1", t0), true, "first sight"},
		{fill("t1", t0), false, "the same fill again (user channel, then REST after a restart)"},
		{fill("t2", t0.Add(time.Second)), true, "another trade of the same order"},
		{func() exchange.Fill { f := fill("t1", t0); f.ProductID = "ETH-USD"; return f }(), true, "same trade id on another product"},
	}
	for _, s := range steps {
		seq, err := j.RecordFill("a", s.f)
		if err != nil {
			t.Fatal(err)
		}
		if isNew := seq > 0; isNew != s.isNew {
			t.Fatalf("%s: isNew = %v, want %v", s.reason, isNew, s.isNew)
		}
	}
	fills, err := j.Fills(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fills) != 3 {
		t.Fatalf("%d fills, want 3", len(fills))
	}
	f := fills[0]
	if f.Instance != "a" || !f.Price.Equal(d("64250.01")) || !f.Fee.Equal(d("0.0793")) || !f.Time.Equal(t0) || f.Liquidity != exchange.Maker {
		t.Fatalf("fill read back as %+v", f)
	}
}

func TestFillsSince(t *testing.T) {
	j := openTemp(t)
	for i, id := range []string{"t3", "t1", "t2"} {
		// Recorded out of order: the venue's time orders them.
		at := map[string]time.Duration{"t1": 0, "t2": time.Second, "t3": 2 * time.Second}[id]
		if _, err := j.RecordFill("a", fill(id, t0.Add(at))); err != nil {
			t.Fatalf("fill %d: %v", i, err)
		}
	}
	since, err := j.Fills(t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(since) != 2 || since[0].TradeID != "t2" || since[1].TradeID != "t3" {
		t.Fatalf("fills since t0+1s = %+v", since)
	}
}

func TestRecordFillNeedsTradeAndProduct(t *testing.T) {
	j := openTemp(t)
	for _, f := range []exchange.Fill{fill("", t0), func() exchange.Fill { f := fill("t", t0); f.ProductID = ""; return f }()} {
		if _, err := j.RecordFill("a", f); err == nil {
			t.Errorf("accepted %+v", f)
		}
	}
}

// An order's fills are found by its venue id whatever client order id
// they carry (Coinbase's list of fills names none), through the index on
// order_id rather than by reading the whole table: a derived fill is
// checked against them before it is recorded.
func TestAnOrdersFillsAreFoundByItsVenueIDThroughTheIndex(t *testing.T) {
	j := openTemp(t)
	coinbase := fill("t1", t0)
	coinbase.ClientOrderID = ""
	other := fill("t3", t0)
	other.OrderID, other.ClientOrderID = "v-2", "a-2"
	for _, f := range []exchange.Fill{coinbase, fill("t2", t0.Add(time.Second)), other} {
		if _, err := j.RecordFill("a", f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.OrderFills("v-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].TradeID != "t1" || got[1].TradeID != "t2" {
		t.Fatalf("fills of v-1 = %+v, want t1 and t2", got)
	}
	if got, err := j.OrderFills(""); err != nil || len(got) != 0 {
		t.Fatalf("fills of an order the venue has not named = %+v, %v; want none", got, err)
	}
	var id, parent, unused int
	var plan string
	if err := j.normal.QueryRow(`EXPLAIN QUERY PLAN SELECT `+fillColumns+` FROM fills WHERE order_id = ? ORDER BY rowid`, "v-1").
		Scan(&id, &parent, &unused, &plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "fills_order") {
		t.Errorf("an order's fills are read by %q, not through the index fills_order", plan)
	}
}

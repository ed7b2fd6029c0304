package journal

import (
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
		isNew, err := j.RecordFill("a", s.f)
		if err != nil {
			t.Fatal(err)
		}
		if isNew != s.isNew {
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

func TestFillsSinceAndLastFillTime(t *testing.T) {
	j := openTemp(t)
	last, err := j.LastFillTime()
	if err != nil || !last.IsZero() {
		t.Fatalf("LastFillTime of an empty journal = %v, %v; want zero", last, err)
	}
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
	last, err = j.LastFillTime()
	if err != nil || !last.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("LastFillTime = %v, %v", last, err)
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

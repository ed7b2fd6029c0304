package bundled

import (
	"errors"
	"io"
	"testing"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

// The binary must carry the whole converted capture: both days' trades
// and quotes, all for BTC-USDT, in time order.
func TestBundledRecordingHoldsTheWholeCapture(t *testing.T) {
	src, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Format != marketdata.Recording {
		t.Fatalf("format %s, want %s", src.Format, marketdata.Recording)
	}
	var trades, quotes int
	var last exchange.Tick
	for {
		tk, err := src.Ticks.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if tk.ProductID != Product {
			t.Fatalf("product %q, want %q", tk.ProductID, Product)
		}
		if tk.Time.Before(last.Time) {
			t.Fatalf("tick at %s after one at %s", tk.Time, last.Time)
		}
		switch tk.Kind {
		case exchange.TradeTick:
			trades++
		case exchange.QuoteTick:
			quotes++
		}
		last = tk
	}
	// SOURCES.md: 9,757 + 10,147 trades and 28,040 + 45,134 bookTicker.
	if trades != 19904 || quotes != 73174 {
		t.Errorf("got %d trades and %d quotes, want 19904 and 73174", trades, quotes)
	}
}

func TestRecordingOpensAfreshEachTime(t *testing.T) {
	name, open := Recording()
	if name != Name {
		t.Fatalf("name %q", name)
	}
	for i := 0; i < 2; i++ {
		rc, err := open()
		if err != nil {
			t.Fatal(err)
		}
		r, err := marketdata.NewReader(rc, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		r.Close()
		rc.Close()
	}
}

func TestLoopOutlastsOnePass(t *testing.T) {
	l := Loop()
	defer l.Close()
	var last exchange.Tick
	for i := 0; i < 19904+73174+10; i++ {
		tk, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if tk.Time.Before(last.Time) {
			t.Fatalf("tick %d at %s before %s", i, tk.Time, last.Time)
		}
		last = tk
	}
	if l.Passes() != 2 {
		t.Errorf("passes %d, want 2", l.Passes())
	}
}

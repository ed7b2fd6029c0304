package backtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/marketdata"
)

// feedTicks reads every tick of a run's feed of d, and the files and
// products it reports.
func feedTicks(t *testing.T, d *Data) ([]exchange.Tick, []FileInfo, []string) {
	t.Helper()
	f, err := d.feed(nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []exchange.Tick
	for {
		batch, err := f.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.close()
			t.Fatal(err)
		}
		all = append(all, batch...)
	}
	files, products := f.close()
	return all, files, products
}

// sameTick reports how a differs from b, "" when in nothing: times and
// strings exactly, numbers in value and exponent (a packed tick shares
// its numbers with the candle, a streamed one has them parsed anew).
func sameTick(a, b *exchange.Tick) string {
	if a.ProductID != b.ProductID || a.Kind != b.Kind || a.Time != b.Time || a.Received != b.Received || a.TakerSide != b.TakerSide {
		return fmt.Sprintf("%s %v %v %v %s, want %s %v %v %v %s", a.ProductID, a.Kind, a.Time, a.Received, a.TakerSide,
			b.ProductID, b.Kind, b.Time, b.Received, b.TakerSide)
	}
	for _, n := range [][2]interface {
		String() string
		Exponent() int32
	}{{a.Price, b.Price}, {a.Size, b.Size}, {a.Bid, b.Bid}, {a.BidSize, b.BidSize}, {a.Ask, b.Ask}, {a.AskSize, b.AskSize}} {
		if n[0].String() != n[1].String() || n[0].Exponent() != n[1].Exponent() {
			return fmt.Sprintf("number %s (exponent %d), want %s (%d)", n[0], n[0].Exponent(), n[1], n[1].Exponent())
		}
	}
	return ""
}

// checkPackedAsStreamed loads path, which must be held packed, and checks
// that a run reads from it the ticks, files and products it reads from
// the file streamed.
func checkPackedAsStreamed(t *testing.T, path string, o LoadOptions) *Data {
	t.Helper()
	d, err := Load([]string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	if d.packed == nil {
		t.Fatal("a candle file is held as ticks, not packed")
	}
	s, err := Stream([]string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	got, files, products := feedTicks(t, d)
	want, wantFiles, wantProducts := feedTicks(t, s)
	if len(got) != len(want) || d.Len() != len(want) {
		t.Fatalf("%d ticks packed (Len %d), %d streamed", len(got), d.Len(), len(want))
	}
	for i := range got {
		if diff := sameTick(&got[i], &want[i]); diff != "" {
			t.Fatalf("tick %d of %d: %s", i, len(got), diff)
		}
	}
	if !reflect.DeepEqual(files, wantFiles) || !reflect.DeepEqual(products, wantProducts) {
		t.Errorf("packed: %+v %v\nstreamed: %+v %v", files, products, wantFiles, wantProducts)
	}
	first, last := d.Span()
	if first != want[0].Time || last != want[len(want)-1].Time {
		t.Errorf("span %v..%v, want %v..%v", first, last, want[0].Time, want[len(want)-1].Time)
	}
	return d
}

func TestPackedCandlesGiveTheTicksOfTheStreamedFile(t *testing.T) {
	// Coinbase candles (JSON lines), with a gap, a candle going down (the
	// seller takes), and one without a move.
	path := filepath.Join(t.TempDir(), "candles.jsonl")
	var lines []string
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range [][5]string{{"100", "101", "100.5", "100.7", "2"}, {"99.5", "101.25", "100.7", "99.6", "1.5"},
		{"99", "99", "99", "99", "0"}, {"98.25", "100", "99", "99.75", "3"}} {
		at := start.Add(time.Duration(i) * time.Minute)
		if i == 3 {
			at = at.Add(2 * time.Minute) // two candles missing
		}
		lines = append(lines, fmt.Sprintf(`{"start":"%d","low":"%s","high":"%s","open":"%s","close":"%s","volume":"%s","product_id":"BTC-USD","granularity":"ONE_MINUTE"}`,
			at.Unix(), c[0], c[1], c[2], c[3], c[4]))
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, o := range []LoadOptions{
		{Path: marketdata.PathLowFirst},
		{Path: marketdata.PathNearerFirst},
		// From and To cut into a candle: its ticks come at 0, 19.99...,
		// 39.99... and 59.99... seconds.
		{Path: marketdata.PathLowFirst, From: start.Add(30 * time.Second), To: start.Add(5*time.Minute + 30*time.Second)},
		{Path: marketdata.PathLowFirst, From: start.Add(2 * time.Minute), WarmUp: 70 * time.Second},
	} {
		t.Run(fmt.Sprintf("%v from %v to %v", o.Path, o.From.Format(time.TimeOnly), o.To.Format(time.TimeOnly)), func(t *testing.T) {
			checkPackedAsStreamed(t, path, o)
		})
	}
}

func TestPackedMonthGivesTheTicksOfTheStreamedMonth(t *testing.T) {
	path := testenv.SharedFile(t, monthFile)
	d := checkPackedAsStreamed(t, path, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst})
	// A window cut inside a candle reads what loading with From and To
	// reads.
	from, to := time.Date(2022, 1, 3, 0, 0, 30, 0, time.UTC), time.Date(2022, 1, 9, 12, 0, 10, 0, time.UTC)
	cut := checkPackedAsStreamed(t, path, LoadOptions{Product: "BTC-USD", Path: marketdata.PathLowFirst, From: from, To: to})
	got, _, _ := feedTicks(t, d.Window(from, to))
	want, _, _ := feedTicks(t, cut)
	if len(got) != len(want) {
		t.Fatalf("window of %d ticks, loaded with from and to %d", len(got), len(want))
	}
	for i := range got {
		if diff := sameTick(&got[i], &want[i]); diff != "" {
			t.Fatalf("window tick %d: %s", i, diff)
		}
	}
}

func TestDataThatDoesNotPackIsHeldAsTicks(t *testing.T) {
	d, err := Load([]string{Bundled}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.packed != nil || len(d.chunks) == 0 {
		t.Fatalf("a recording of ticks is packed as candles")
	}
}

// A run's ticks carry the config's string of their product id, not an
// equal one read from the data: the engine, the exchange and the exits
// compare the two on every tick, and equal pointers end the comparison
// at once. Packed and streamed data alike; loaded ticks, shared by runs of
// any config, keep the data's own.
func TestRunTicksCarryTheConfigsProductIDString(t *testing.T) {
	path := filepath.Join(t.TempDir(), "candles.jsonl")
	line := `{"start":"%d","low":"99","high":"101","open":"100","close":"100.5","volume":"2","product_id":"BTC-USD","granularity":"ONE_MINUTE"}` + "\n"
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	if err := os.WriteFile(path, []byte(fmt.Sprintf(line+line, start, start+60)), 0o644); err != nil {
		t.Fatal(err)
	}
	// An id equal to the file's, made at run time: another string.
	id := strings.Join([]string{"BTC", "USD"}, "-")
	o := LoadOptions{Path: marketdata.PathLowFirst}
	packed, err := Load([]string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := Stream([]string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*Data{"packed": packed, "streamed": streamed} {
		f, err := d.feed([]string{"ETH-USD", id})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			batch, err := f.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range batch {
				n++
				if unsafe.StringData(batch[i].ProductID) != unsafe.StringData(id) {
					t.Errorf("%s: tick %d carries another %s than the config's", name, n, batch[i].ProductID)
				}
			}
		}
		f.close()
		if n != 8 {
			t.Errorf("%s: %d ticks, want 8", name, n)
		}
	}
}

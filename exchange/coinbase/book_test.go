package coinbase

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

func TestBookKeepsLevelsAndBestPrices(t *testing.T) {
	b := NewBook("BTC-USD")
	steps := []struct {
		bid        bool
		price, qty string
		wantBest   string // "bid x size / ask x size" or "" while one side is empty
	}{
		{true, "100.00", "1", ""},
		{false, "101", "2", "100 x 1 / 101 x 2"},
		{true, "100.5", "3", "100.5 x 3 / 101 x 2"},
		{false, "100.75", "0.00000001", "100.5 x 3 / 100.75 x 0.00000001"},
		{true, "100.5", "0", "100 x 1 / 100.75 x 0.00000001"},
		{false, "100.75", "0.00000000", "100 x 1 / 101 x 2"},
		{true, "99.999999999", "5", "100 x 1 / 101 x 2"},
		{true, "100", "0", "99.999999999 x 5 / 101 x 2"},
		{true, "12345", "0", "99.999999999 x 5 / 101 x 2"}, // removing an absent level is a no-op
	}
	for i, s := range steps {
		if err := b.ApplyString(s.bid, s.price, s.qty); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		bid, bs, ask, as, ok := b.Best()
		got := ""
		if ok {
			got = fmt.Sprintf("%s x %s / %s x %s", bid, bs, ask, as)
		}
		if got != s.wantBest {
			t.Fatalf("step %d: best %q, want %q", i, got, s.wantBest)
		}
	}
	if lv := b.Levels(true, 10); len(lv) != 1 || !lv[0].Price.Equal(dec("99.999999999")) {
		t.Fatalf("bid levels %v", lv)
	}
	if err := b.ApplyString(true, "-1", "1"); err == nil {
		t.Fatal("negative price accepted")
	}
	if err := b.ApplyString(true, "1", "99999999999999999999999"); err == nil {
		t.Fatal("size beyond int64 accepted")
	}
}

// TestBookMatchesAMapModel applies random updates at random precisions
// to the book and to a map of decimals, and compares every level.
func TestBookMatchesAMapModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := NewBook("X")
		model := map[bool]map[string]decimal.Decimal{true: {}, false: {}}
		n := rapid.IntRange(1, 200).Draw(t, "n")
		for range n {
			bid := rapid.Bool().Draw(t, "bid")
			price := decimal.New(rapid.Int64Range(1, 2000).Draw(t, "p"), -rapid.Int32Range(0, 6).Draw(t, "ps"))
			qty := decimal.Zero
			if rapid.IntRange(0, 3).Draw(t, "remove") > 0 {
				qty = decimal.New(rapid.Int64Range(1, 1e9).Draw(t, "q"), -rapid.Int32Range(0, 8).Draw(t, "qs"))
			}
			if err := b.Apply(bid, price, qty); err != nil {
				t.Fatal(err)
			}
			key := price.String()
			if qty.IsZero() {
				delete(model[bid], key)
			} else {
				model[bid][key] = qty
			}
		}
		for _, bid := range []bool{true, false} {
			var want []PriceLevel
			for p, q := range model[bid] {
				want = append(want, PriceLevel{Price: MustDec(p), Size: D(q)})
			}
			sort.Slice(want, func(i, j int) bool {
				if bid {
					return want[i].Price.GreaterThan(want[j].Price.Decimal)
				}
				return want[i].Price.LessThan(want[j].Price.Decimal)
			})
			got := b.Levels(bid, 1<<30)
			if len(got) != len(want) {
				t.Fatalf("bid=%v: %d levels, want %d", bid, len(got), len(want))
			}
			for i := range got {
				if !got[i].Price.Equal(want[i].Price.Decimal) || !got[i].Size.Equal(want[i].Size.Decimal) {
					t.Fatalf("bid=%v level %d: %s x %s, want %s x %s", bid, i, got[i].Price, got[i].Size, want[i].Price, want[i].Size)
				}
			}
		}
	})
}

// BenchmarkBookApply applies updates clustered near the top of a book of
// 2,000 levels a side, as a busy product's level2 feed does.
func BenchmarkBookApply(b *testing.B) {
	book := NewBook("BTC-USD")
	const mid = 6_000_000 // 60000.00 in cents
	for i := 1; i <= 2000; i++ {
		book.apply(true, fixed{mid - int64(i), 2}, fixed{100_000_000, 8})
		book.apply(false, fixed{mid + int64(i), 2}, fixed{100_000_000, 8})
	}
	r := rand.New(rand.NewPCG(1, 2))
	type upd struct {
		bid        bool
		price, qty fixed
	}
	ups := make([]upd, 1<<16)
	for i := range ups {
		bid := r.IntN(2) == 0
		off := int64(r.ExpFloat64()*20) + 1 // most changes within a few ticks of the top
		p := mid - off
		if !bid {
			p = mid + off
		}
		q := int64(0)
		if r.IntN(3) > 0 {
			q = r.Int64N(1e9) + 1
		}
		ups[i] = upd{bid, fixed{p, 2}, fixed{q, 8}}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u := ups[i&(len(ups)-1)]
		if err := book.apply(u.bid, u.price, u.qty); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkL2MessageApply measures a whole l2_data update message of ten
// levels: decode, then apply to the book.
func BenchmarkL2MessageApply(b *testing.B) {
	msg := []byte(`{"channel":"l2_data","client_id":"","timestamp":"2026-04-07T14:30:01.456789Z","sequence_num":7,"events":[{"type":"update","product_id":"BTC-USD","updates":[` +
		`{"side":"bid","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68900.00","new_quantity":"2.00000000"},` +
		`{"side":"bid","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68899.99","new_quantity":"0.10000000"},` +
		`{"side":"bid","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68899.50","new_quantity":"0.00000000"},` +
		`{"side":"bid","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68898.01","new_quantity":"1.25000000"},` +
		`{"side":"bid","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68897.00","new_quantity":"0.00012000"},` +
		`{"side":"offer","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68901.00","new_quantity":"0.00000000"},` +
		`{"side":"offer","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68901.01","new_quantity":"0.50000000"},` +
		`{"side":"offer","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68902.00","new_quantity":"3.00000000"},` +
		`{"side":"offer","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68903.33","new_quantity":"0.00000000"},` +
		`{"side":"offer","event_time":"2026-04-07T14:30:01.456789Z","price_level":"68904.00","new_quantity":"0.75000000"}]}]}`)
	var d hotDecoder
	var m hotMessage
	book := NewBook("BTC-USD")
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	levels := 0
	for b.Loop() {
		if err := d.decode(msg, benchReceived, &m); err != nil {
			b.Fatal(err)
		}
		for _, l := range m.levels {
			if err := book.apply(l.bid, l.price, l.qty); err != nil {
				b.Fatal(err)
			}
		}
		levels += len(m.levels)
	}
	b.ReportMetric(float64(levels)/b.Elapsed().Seconds(), "updates/s")
}

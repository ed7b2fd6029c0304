package emulator

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/coinbase"
)

func TestSyntheticBookFollowsTheQuotes(t *testing.T) {
	type quote struct{ bid, bidSize, ask, askSize string }
	tests := []struct {
		name     string
		quotes   []quote
		bids     []string // price:size from the best
		asks     []string
		nUpdates int // levels changed by the last quote
	}{
		{"first quote makes one level a side", []quote{{"100", "1", "101", "2"}}, []string{"100:1"}, []string{"101:2"}, 2},
		{"a rising bid keeps the lower bid", []quote{{"100", "1", "101", "2"}, {"100.5", "3", "101", "2"}}, []string{"100.5:3", "100:1"}, []string{"101:2"}, 1},
		{"a falling bid removes the higher bid", []quote{{"100", "1", "101", "2"}, {"100.5", "3", "101", "2"}, {"100", "4", "101", "2"}}, []string{"100:4"}, []string{"101:2"}, 2},
		{"an ask onto the old bids removes them", []quote{{"100", "1", "101", "2"}, {"100.5", "3", "101", "2"}, {"99", "1", "100", "5"}}, []string{"99:1"}, []string{"100:5", "101:2"}, 4},
		{"same quote changes nothing", []quote{{"100", "1", "101", "2"}, {"100", "1", "101", "2"}}, []string{"100:1"}, []string{"101:2"}, 0},
		{"a size change updates the level", []quote{{"100", "1", "101", "2"}, {"100", "1.5", "101", "2"}}, []string{"100:1.5"}, []string{"101:2"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pm := &productMarket{product: exchange.Product{ID: "BTC-USD"}}
			var ups []bookUpdate
			for _, q := range tc.quotes {
				ups = pm.setQuote(exchange.Tick{Kind: exchange.QuoteTick, Bid: d(q.bid), BidSize: d(q.bidSize), Ask: d(q.ask), AskSize: d(q.askSize)})
			}
			if got := levelStrings(pm.bids); !equal(got, tc.bids) {
				t.Errorf("bids %v, want %v", got, tc.bids)
			}
			if got := levelStrings(pm.asks); !equal(got, tc.asks) {
				t.Errorf("asks %v, want %v", got, tc.asks)
			}
			if len(ups) != tc.nUpdates {
				t.Errorf("%d level updates %+v, want %d", len(ups), ups, tc.nUpdates)
			}
		})
	}
}

func levelStrings(ls []level) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.price.String() + ":" + l.size.String()
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSyntheticBookInvariants: over random quotes the book is never
// crossed, sorted, at most 50 levels a side, topped by the last quote,
// and a client that applies the published updates to the client's own
// Book holds the same book.
func TestSyntheticBookInvariants(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		pm := &productMarket{product: exchange.Product{ID: "BTC-USD"}}
		client := coinbase.NewBook("BTC-USD")
		n := rapid.IntRange(1, 200).Draw(rt, "quotes")
		for i := range n {
			bidCents := rapid.Int64Range(9000, 11000).Draw(rt, "bid")
			spread := rapid.Int64Range(1, 50).Draw(rt, "spread")
			bid := decimal.New(bidCents, -2)
			ask := decimal.New(bidCents+spread, -2)
			bs := decimal.New(rapid.Int64Range(1, 1000).Draw(rt, "bid size"), -3)
			as := decimal.New(rapid.Int64Range(1, 1000).Draw(rt, "ask size"), -3)
			ups := pm.setQuote(exchange.Tick{Kind: exchange.QuoteTick, Time: time.Unix(int64(i), 0), Bid: bid, BidSize: bs, Ask: ask, AskSize: as})
			for _, u := range ups {
				if err := client.Apply(u.bid, u.price, u.size); err != nil {
					rt.Fatal(err)
				}
			}
			if len(pm.bids) > bookDepth || len(pm.asks) > bookDepth {
				rt.Fatalf("depth %d/%d", len(pm.bids), len(pm.asks))
			}
			if !pm.bids[0].price.Equal(bid) || !pm.asks[0].price.Equal(ask) {
				rt.Fatalf("top %s/%s, quote %s/%s", pm.bids[0].price, pm.asks[0].price, bid, ask)
			}
			for j := 1; j < len(pm.bids); j++ {
				if !pm.bids[j].price.LessThan(pm.bids[j-1].price) {
					rt.Fatalf("bids not descending: %v", levelStrings(pm.bids))
				}
			}
			for j := 1; j < len(pm.asks); j++ {
				if !pm.asks[j].price.GreaterThan(pm.asks[j-1].price) {
					rt.Fatalf("asks not ascending: %v", levelStrings(pm.asks))
				}
			}
			if client.Crossed() {
				rt.Fatal("the client's book is crossed")
			}
			cb, _, ca, _, ok := client.Best()
			if !ok || !cb.Equal(bid) || !ca.Equal(ask) {
				rt.Fatalf("client best %s/%s, want %s/%s", cb, ca, bid, ask)
			}
			nb, na := client.Len()
			if nb != len(pm.bids) || na != len(pm.asks) {
				rt.Fatalf("client holds %d/%d levels, emulator %d/%d", nb, na, len(pm.bids), len(pm.asks))
			}
		}
	})
}

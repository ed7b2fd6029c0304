package journal

import (
	"fmt"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// BenchmarkRecordIntent is the write-ahead intent: one INSERT committed
// with synchronous=FULL (an fsync of the WAL) before the request may go.
func BenchmarkRecordIntent(b *testing.B) {
	j := openTemp(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := j.RecordIntent(intent("bench", fmt.Sprintf("bench-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateOrder is one status change (read, update, history row)
// in one transaction with synchronous=NORMAL: no fsync at commit.
func BenchmarkUpdateOrder(b *testing.B) {
	j := openTemp(b)
	const orders = 1000
	for i := range orders {
		if err := j.RecordIntent(intent("bench", fmt.Sprintf("bench-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Alternate the filled size so that every call is a real change.
		o := exchange.Order{ID: "v", Status: exchange.StatusOpen, FilledSize: d(fmt.Sprintf("0.%08d", i/orders+1))}
		if err := j.UpdateOrder(fmt.Sprintf("bench-%d", i%orders), o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateOrderUnchanged is the common repeat of an identical
// state from the user channel: a read and no write.
func BenchmarkUpdateOrderUnchanged(b *testing.B) {
	j := openTemp(b)
	if err := j.RecordIntent(intent("bench", "bench-1")); err != nil {
		b.Fatal(err)
	}
	o := exchange.Order{ID: "v", Status: exchange.StatusOpen}
	if err := j.UpdateOrder("bench-1", o); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := j.UpdateOrder("bench-1", o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordFill is one fill insert with synchronous=NORMAL.
func BenchmarkRecordFill(b *testing.B) {
	j := openTemp(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, err := j.RecordFill("bench", exchange.Fill{TradeID: fmt.Sprint(i), OrderID: "v", ClientOrderID: "c",
			ProductID: "BTC-USD", Side: exchange.Buy, Price: d("64250.01"), Size: d("0.001"), Fee: d("0.1"),
			Liquidity: exchange.Taker, Time: t0.Add(time.Duration(i))})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNextClientOrderSeq is mostly a map lookup; one call in SeqBlock
// pays for a FULL commit.
func BenchmarkNextClientOrderSeq(b *testing.B) {
	j := openTemp(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := j.NextClientOrderSeq("bench"); err != nil {
			b.Fatal(err)
		}
	}
}

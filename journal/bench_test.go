package journal

import (
	"fmt"
	"os"
	"path/filepath"
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

// BenchmarkRecordIntentRelaxed is the intent with Options.RelaxedIntents
// (paper and backtest): the same INSERT without the fsync.
func BenchmarkRecordIntentRelaxed(b *testing.B) {
	j, err := OpenWith(filepath.Join(b.TempDir(), "journal.db"), Options{RelaxedIntents: true})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
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

// BenchmarkUpdateTerms is the resting exit's row following its state
// (Batch.UpdateTerms) in a batch of its own, as SaveProgress adds it when
// an instance has a resting stop-limit or bracket: unchanged, the common
// case (a save after an event that did not edit the exit; nothing is
// written), and changed (a resize: the request is rewritten). Compare
// with BenchmarkUpdateOrderUnchanged, the batch around one statement.
func BenchmarkUpdateTerms(b *testing.B) {
	for _, c := range []struct {
		name   string
		change bool
	}{{"unchanged", false}, {"changed", true}} {
		b.Run(c.name, func(b *testing.B) {
			j := openTemp(b)
			if err := j.RecordIntent(intent("bench", "bench-1")); err != nil {
				b.Fatal(err)
			}
			terms := RestingTerms{BaseSize: d("0.01"), LimitPrice: d("59000"), StopPrice: d("59300"), Reason: "stop_loss"}
			for i := 0; b.Loop(); i++ {
				if c.change {
					terms.BaseSize = d(fmt.Sprintf("0.%08d", i+1))
				}
				if err := j.Batch(func(bt *Batch) error { return bt.UpdateTerms("bench-1", terms) }); err != nil {
					b.Fatal(err)
				}
			}
		})
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

// BenchmarkBatchOf10Updates records ten status changes in one Batch, as
// an engine would for everything one tick or venue message caused.
// Compare ns/op / 10 with BenchmarkUpdateOrder.
func BenchmarkBatchOf10Updates(b *testing.B) {
	j := openTemp(b)
	const orders = 1000
	for i := range orders {
		if err := j.RecordIntent(intent("bench", fmt.Sprintf("bench-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		err := j.Batch(func(bt *Batch) error {
			for k := range 10 {
				n := i*10 + k
				o := exchange.Order{ID: "v", Status: exchange.StatusOpen, FilledSize: d(fmt.Sprintf("0.%08d", n/orders+1))}
				if err := bt.UpdateOrder(fmt.Sprintf("bench-%d", n%orders), o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordIntentsOf10 records ten intents in one durable commit.
// Compare ns/op / 10 with BenchmarkRecordIntent.
func BenchmarkRecordIntentsOf10(b *testing.B) {
	j := openTemp(b)
	recs := make([]OrderRecord, 10)
	for i := 0; b.Loop(); i++ {
		for k := range recs {
			recs[k] = intent("bench", fmt.Sprintf("bench-%d-%d", i, k))
		}
		if err := j.RecordIntents(recs...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenLargeJournal opens a journal of 100,000 filled orders with
// their history and fills (about a year of a busy daemon): the integrity
// check reads every page, so this is the start-up cost of a big journal.
func BenchmarkOpenLargeJournal(b *testing.B) {
	path := filepath.Join(b.TempDir(), "journal.db")
	j, err := OpenWith(path, Options{RelaxedIntents: true})
	if err != nil {
		b.Fatal(err)
	}
	const orders, perBatch = 100_000, 1000
	for start := 0; start < orders; start += perBatch {
		recs := make([]OrderRecord, perBatch)
		for k := range recs {
			recs[k] = intent("big", fmt.Sprintf("big-%d", start+k))
		}
		if err := j.RecordIntents(recs...); err != nil {
			b.Fatal(err)
		}
		err := j.Batch(func(bt *Batch) error {
			for k, r := range recs {
				id := r.Order.ClientOrderID
				if err := bt.UpdateOrder(id, exchange.Order{ID: "v-" + id, Status: exchange.StatusFilled, FilledSize: d("0.00123456")}); err != nil {
					return err
				}
				if _, err := bt.RecordFill("big", fill("t-"+id, t0.Add(time.Duration(start+k)*time.Second))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		j, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		j.Close()
	}
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
	}
}

// BenchmarkRecordDerivedFill records a fill derived from an order's
// cumulative state into a journal holding 20,000 fills of other orders
// from the last day: before it is recorded, the order's fills are read
// to see whether they hold it already (derivedFillCovered).
func BenchmarkRecordDerivedFill(b *testing.B) {
	j := openTemp(b)
	const held = 20000
	if err := j.Batch(func(bt *Batch) error {
		for i := range held {
			if _, err := bt.RecordFill("bench", exchange.Fill{TradeID: fmt.Sprint("t-", i), OrderID: fmt.Sprint("old-", i),
				ClientOrderID: "c", ProductID: "BTC-USD", Side: exchange.Buy, Price: d("64250.01"), Size: d("0.001"),
				Fee: d("0.1"), Liquidity: exchange.Taker, Time: t0.Add(time.Duration(i) * 4 * time.Second)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	at := t0.Add(held * 4 * time.Second)
	for i := 0; b.Loop(); i++ {
		order := fmt.Sprint("new-", i)
		_, err := j.RecordFill("bench", exchange.Fill{TradeID: exchange.DerivedTradeID(exchange.CumulativeTradeIDPrefix, order, d("0.001")),
			OrderID: order, ClientOrderID: "c", ProductID: "BTC-USD", Side: exchange.Buy, Price: d("64250.01"), Size: d("0.001"),
			Fee: d("0.1"), Liquidity: exchange.Taker, Time: at.Add(time.Duration(i))})
		if err != nil {
			b.Fatal(err)
		}
	}
}

package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/config"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/position"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func openTestJournal(t testing.TB) *journalAdapter {
	t.Helper()
	j, err := openJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func marketBuy(id string) engine.OrderRecord {
	return engine.OrderRecord{ClientOrderID: id, Instance: "bench", Purpose: exchange.Entry,
		Request: exchange.OrderRequest{ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Buy,
			Type: exchange.Market, QuoteSize: dec("100")},
		Time: time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)}
}

func TestAsyncJournalWritesInOrderAndAllByClose(t *testing.T) {
	j := openPaperTestJournal(t)
	const queue = 16
	a := newAsyncJournalWith(j, nil, queue, asyncInterval)
	const n = 5 * queue // more than the queue holds: the sender waits, nothing is dropped
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("o-%d", i)
		if err := a.RecordIntent(marketBuy(id)); err != nil {
			t.Fatal(err)
		}
		// The update right after its intent finds the order only if the
		// intent was written first.
		if err := a.UpdateOrder(id, exchange.Order{OrderRequest: marketBuy(id).Request, ID: "v-" + id,
			Status: exchange.StatusOpen}); err != nil {
			t.Fatal(err)
		}
	}
	fill := exchange.Fill{TradeID: "t-1", OrderID: "v-o-0", ClientOrderID: "o-0", ProductID: "BTC-USD",
		Side: exchange.Buy, Price: dec("60000"), Size: dec("0.001"), Fee: dec("0.36")}
	if _, err := a.RecordFill("bench", fill); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	recs, err := j.Orders(journal.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d orders journaled, want %d", len(recs), n)
	}
	for _, r := range recs {
		if r.Order.Status != exchange.StatusOpen || r.Order.ID != "v-"+r.Order.ClientOrderID {
			t.Fatalf("order %s: status %s, venue id %q: the update was lost or came before its intent",
				r.Order.ClientOrderID, r.Order.Status, r.Order.ID)
		}
	}
	fills, err := j.Fills(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fills) != 1 || fills[0].TradeID != "t-1" {
		t.Fatalf("fills = %+v, want trade t-1", fills)
	}
}

// testWriter sends the writer's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestAsyncJournalWritesRoundTripsByClose(t *testing.T) {
	j := openPaperTestJournal(t)
	a := newAsyncJournal(j, nil)
	entry := time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)
	a.roundTrip(position.RoundTrip{Strategy: "bench", ProductID: "BTC-USD", EntryTime: entry,
		ExitTime: entry.Add(time.Minute), EntryPrice: dec("60000"), ExitPrice: dec("60600"), Size: dec("0.001"),
		Fees: dec("0.72"), PnL: dec("-0.12"), ExitReason: "take_profit"})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	rts, err := j.RoundTrips(journal.RoundTripFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rts) != 1 || rts[0].ExitReason != "take_profit" || !rts[0].RealizedPnL.Equal(dec("-0.12")) {
		t.Fatalf("round trips = %+v, want the take-profit one", rts)
	}
}

func TestAsyncJournalClientOrderNumbersStrictlyIncrease(t *testing.T) {
	j := openPaperTestJournal(t)
	a := newAsyncJournal(j, nil)
	defer a.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, instance := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last uint64
			// Several times the numbers the writer takes ahead, with
			// flushes (which let it take more) in between.
			for i := 0; i < 3*asyncSeqBlock; i++ {
				n, err := a.NextClientOrderSeq(instance)
				if err != nil {
					t.Error(err)
					return
				}
				if n <= last {
					t.Errorf("%s: number %d after %d", instance, n, last)
					return
				}
				last = n
				if i%7 == 0 {
					if err := a.Flush(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	// Numbers taken ahead and never used are skipped, not handed out again.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	reserved := a.seqs.reservedUpTo("a")
	n, err := j.ReserveClientOrderSeqs("a", 1)
	if err != nil {
		t.Fatal(err)
	}
	if n <= reserved {
		t.Errorf("the journal's next number %d is not above %d, reserved ahead", n, reserved)
	}
}

func TestAsyncJournalFlushWaitsForEarlierWrites(t *testing.T) {
	j := openPaperTestJournal(t)
	a := newAsyncJournal(j, nil)
	defer a.Close()
	if err := a.RecordIntent(marketBuy("o-1")); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Order("o-1"); err != nil {
		t.Fatalf("after Flush: %v", err)
	}
}

func TestAsyncJournalRefusesWritesAfterClose(t *testing.T) {
	a := newAsyncJournal(openPaperTestJournal(t), nil)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	tests := []struct {
		name  string
		write func() error
	}{
		{"intent", func() error { return a.RecordIntent(marketBuy("late")) }},
		{"update", func() error { return a.UpdateOrder("late", exchange.Order{Status: exchange.StatusOpen}) }},
		{"fill", func() error { _, err := a.RecordFill("bench", exchange.Fill{}); return err }},
		{"progress", func() error { return a.SaveProgress("bench", nil, exits.State{}, nil) }},
		{"flush", func() error { return a.Flush(context.Background()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write(); !errors.Is(err, errJournalClosed) {
				t.Errorf("err = %v, want errJournalClosed", err)
			}
		})
	}
}

func TestAsyncJournalFailedIntentStopsLaterIntents(t *testing.T) {
	j := openPaperTestJournal(t)
	a := newAsyncJournal(j, nil)
	defer a.Close()
	// A duplicate client order id fails in the writer, after RecordIntent
	// has returned: the failure must reach the next intent, which the
	// engine then refuses, as it would with the synchronous journal.
	for _, id := range []string{"dup", "dup"} {
		if err := a.RecordIntent(marketBuy(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Flush(context.Background()); !errors.Is(err, journal.ErrDuplicateOrder) {
		t.Fatalf("flush: err = %v, want ErrDuplicateOrder", err)
	}
	if err := a.RecordIntent(marketBuy("next")); !errors.Is(err, journal.ErrDuplicateOrder) {
		t.Fatalf("next intent: err = %v, want the earlier ErrDuplicateOrder", err)
	}
	if _, err := j.Order("dup"); err != nil {
		t.Fatalf("the first intent of the pair is lost: %v", err)
	}
}

func TestAsyncJournalFlushIsAnsweredWhenTheCommitCannotBegin(t *testing.T) {
	j, err := openPaperJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	a := newAsyncJournal(j, slog.New(slog.DiscardHandler))
	defer a.Close()
	if err := a.RecordIntent(marketBuy("o-1")); err != nil {
		t.Fatal(err)
	}
	// The database goes away under the writer: its transaction cannot
	// begin. The flush must still be answered, with that failure.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = a.Flush(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("flush after the writer's commit could not begin: err = %v, want the writer's failure", err)
	}
	if err := a.RecordIntent(marketBuy("o-2")); err == nil {
		t.Fatal("an intent was queued after the writer failed")
	}
}

func TestAsyncJournalCopiesProgressArguments(t *testing.T) {
	j := openPaperTestJournal(t)
	a := newAsyncJournal(j, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	defer a.Close()
	if err := a.RecordIntent(marketBuy("o-1")); err != nil {
		t.Fatal(err)
	}
	o := exchange.Order{OrderRequest: marketBuy("o-1").Request, ID: "v-1", Status: exchange.StatusFilled,
		FilledSize: dec("0.001"), FilledValue: dec("60"), AverageFilledPrice: dec("60000"), TotalFees: dec("0.36")}
	orders := []exchange.Order{o}
	state := exits.State{Position: position.Position{Strategy: "bench", ProductID: "BTC-USD", Size: dec("0.001"),
		AvgEntry: dec("60000")}, Stop: dec("57000"), StopReason: "stop_loss"}
	strat := []byte(`{"closes":["1"]}`)
	if err := a.SaveProgress("bench", orders, state, strat); err != nil {
		t.Fatal(err)
	}
	// The instance reuses its orders buffer once SaveProgress returns,
	// and the strategy may reuse its bytes.
	orders[0].Status = exchange.StatusCancelled
	copy(strat, "XXXXXXXXX")
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := j.Order("o-1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Order.Status != exchange.StatusFilled {
		t.Errorf("status %s, want FILLED as it was when SaveProgress was called", r.Order.Status)
	}
	exitJSON, stratJSON, err := j.InstanceState("bench")
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	if string(exitJSON) != string(want) {
		t.Errorf("exit state journaled as\n%s\nwant, as json.Marshal encodes it,\n%s", exitJSON, want)
	}
	if string(stratJSON) != `{"closes":["1"]}` {
		t.Errorf("strategy state journaled as %s, want it as it was when SaveProgress was called", stratJSON)
	}
	positions, err := j.Positions()
	if err != nil {
		t.Fatal(err)
	}
	if len(positions) != 1 || !positions[0].Size.Equal(dec("0.001")) || !positions[0].AvgEntryPrice.Equal(dec("60000")) {
		t.Errorf("positions = %+v, want the 0.001 BTC at 60000 of the exit state", positions)
	}
}

func TestAsyncJournalProgressIsAllOrNothingInsideTheWritersCommit(t *testing.T) {
	j := openPaperTestJournal(t)
	a := newAsyncJournal(j, slog.New(slog.DiscardHandler))
	defer a.Close()
	if err := a.RecordIntent(marketBuy("o-1")); err != nil {
		t.Fatal(err)
	}
	state := exits.State{Position: position.Position{Strategy: "bench", ProductID: "BTC-USD", Size: dec("0.001"),
		AvgEntry: dec("60000")}}
	// One pass of the writer, one transaction: a progress whose second
	// order the journal does not have fails, and must leave none of its
	// writes (not o-1 filled, no position, no state) while the writes
	// around it stand.
	filled := exchange.Order{OrderRequest: marketBuy("o-1").Request, ID: "v-1", Status: exchange.StatusFilled,
		FilledSize: dec("0.001"), FilledValue: dec("60"), AverageFilledPrice: dec("60000")}
	unknown := exchange.Order{OrderRequest: marketBuy("nope").Request, Status: exchange.StatusFilled}
	if err := a.SaveProgress("bench", []exchange.Order{filled, unknown}, state, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateOrder("o-1", exchange.Order{OrderRequest: marketBuy("o-1").Request, ID: "v-1",
		Status: exchange.StatusOpen}); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r, err := j.Order("o-1"); err != nil || r.Order.Status != exchange.StatusOpen {
		t.Fatalf("o-1 after the pass: %s, %v; want OPEN: the failed progress kept its first write, "+
			"or spoiled the writes after it", r.Order.Status, err)
	}
	positions, err := j.Positions()
	if err != nil {
		t.Fatal(err)
	}
	exitJSON, _, err := j.InstanceState("bench")
	if err != nil {
		t.Fatal(err)
	}
	if len(positions) != 0 || exitJSON != nil {
		t.Fatalf("the failed progress left part of itself: positions %+v, exit state %s", positions, exitJSON)
	}
	// The same state again, without the bad order, is written: the writer
	// did not remember the failed one as saved.
	if err := a.SaveProgress("bench", nil, state, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if positions, err = j.Positions(); err != nil || len(positions) != 1 {
		t.Fatalf("positions after the good progress: %+v, %v; want one", positions, err)
	}
}

// flipFlop enters when flat and leaves when holding, on every trade tick,
// so that each tick becomes one order.
type flipFlop struct{}

func (flipFlop) OnTick(t *exchange.Tick, pos strategy.PositionView) strategy.Decision {
	if t.Kind != exchange.TradeTick || pos.Pending {
		return strategy.Decision{}
	}
	if pos.Open() {
		return strategy.Decision{Signal: strategy.Exit, Reason: "flip"}
	}
	return strategy.Decision{Signal: strategy.Enter, Reason: "flop"}
}

// benchPaper is the paper daemon's order path without the feed: the
// simulated exchange, the guard with no limit in reach, and the engine
// with journal j (nil for none).
func benchPaper(b *testing.B, j engine.Journal, onRoundTrip func(position.RoundTrip)) func() {
	return benchPaperLogged(b, j, onRoundTrip, nil)
}

// benchPaperLogged is benchPaper with the engine logging to log (nil:
// nowhere, as the engine does without a logger).
func benchPaperLogged(b *testing.B, j engine.Journal, onRoundTrip func(position.RoundTrip), log *slog.Logger) func() {
	t0 := time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC)
	clk := clock.NewSim(t0)
	btc := exchange.Product{ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD", BaseIncrement: dec("0.00000001"),
		QuoteIncrement: dec("0.01"), PriceIncrement: dec("0.01"), BaseMinSize: dec("0.00001"), BaseMaxSize: dec("1000"),
		QuoteMinSize: dec("1"), QuoteMaxSize: dec("1000000")}
	x, err := sim.New(sim.Config{Products: []exchange.Product{btc},
		Balances: map[string]decimal.Decimal{"USD": dec("100000")}, Fees: sim.DefaultFees()}, clk)
	if err != nil {
		b.Fatal(err)
	}
	cfg := risk.DefaultConfig()
	// Rates within Coinbase's (Validate's bound), above the 10 orders a
	// second the ticks below make.
	cfg.Account.OrdersPerSecond, cfg.Account.OrdersPerMinute, cfg.Account.MaxEntriesPerDay = 30, 30*60, 1e9
	cfg.PerStrategy, cfg.PerProduct = risk.ScopeLimits{}, risk.ScopeLimits{}
	cfg.Loss.DailyLoss.Limit, cfg.Loss.MaxDrawdown.Limit = dec("1000000000"), dec("1000000000")
	cfg.Loss.MaxConsecutiveLosses.Limit, cfg.StopLossCooldown.StopLosses = 0, 0
	g, err := risk.NewGuard(cfg, clk)
	if err != nil {
		b.Fatal(err)
	}
	var ex exits.Config
	ex.Placement = "bot"
	ex.StopLoss = &exits.StopLoss{Percent: dec("5")}
	eng, err := engine.New(context.Background(), engine.Options{Venue: x, Guard: g, Clock: clk, Journal: j, OnRoundTrip: onRoundTrip,
		Observer: &benchLatency, Log: log,
		Instances: []engine.InstanceSpec{{Name: "bench", ProductID: "BTC-USD", Strategy: flipFlop{}, QuoteSize: dec("100"), Exits: ex}},
		MakerFee:  dec("0.004"), TakerFee: dec("0.006")})
	if err != nil {
		b.Fatal(err)
	}
	x.SetHandler(eng.HandleEvent)
	x.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Bid: dec("59999.99"), BidSize: dec("5"),
		Ask: dec("60000.01"), AskSize: dec("5")})
	now := t0
	tick := exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Price: dec("60000"), Size: dec("0.1")}
	ctx := context.Background()
	return func() {
		now = now.Add(100 * time.Millisecond)
		clk.Set(now)
		// Received is the wall clock's, so that the engine's tick-to-order
		// latency (tick received to order handed to the venue) is real.
		tick.Time, tick.Received = now, time.Now()
		x.OnTick(&tick)
		eng.OnTick(tick)
		eng.Drain(ctx)
	}
}

// latencyObserver sums the engine's tick-to-order latencies: from a
// tick's receipt to its order being handed to the venue, the path the
// write-ahead intent sits on (what follows the send, the fill's way back
// and SaveProgress, is in ns/op but not here).
type latencyObserver struct {
	engine.NopObserver
	sum, n atomic.Int64
	mu     sync.Mutex
	all    []time.Duration // every latency, for the median
}

func (l *latencyObserver) TickToOrder(d time.Duration) {
	l.sum.Add(int64(d))
	l.n.Add(1)
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
}

func (l *latencyObserver) reset() {
	l.sum.Store(0)
	l.n.Store(0)
	l.mu.Lock()
	l.all = make([]time.Duration, 0, 1<<16) // grown outside the timed loop, mostly
	l.mu.Unlock()
}

// median is the middle latency: the mean also carries the rare order that
// waits for a collection or for the machine's other work.
func (l *latencyObserver) median() float64 { return l.quantile(0.5) }

// quantile is the latency below which the fraction q of them lie.
func (l *latencyObserver) quantile(q float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return 0
	}
	s := slices.Clone(l.all)
	slices.Sort(s)
	return float64(s[min(int(q*float64(len(s))), len(s)-1)])
}

func (l *latencyObserver) mean() float64 {
	if l.n.Load() == 0 {
		return 0
	}
	return float64(l.sum.Load()) / float64(l.n.Load())
}

// benchLatency is the observer of the benchmark running now.
var benchLatency latencyObserver

// BenchmarkPaperTickToOrder measures one tick that becomes one order on
// the paper daemon's path (engine, guard, simulated exchange, the fill's
// way back), by journal:
//
//   - none: no state_dir, no journal.
//   - discard: a journal that keeps nothing, for the engine's own
//     journal-only work (encoding the instance's state for SaveProgress).
//   - async-path: the paper journal (asyncJournal) with its writer held
//     off while the timer runs: every 64 orders the timer stops and the
//     writer writes them. This is what the journal adds to the path
//     itself: the engine's journal-only work (encoding the instance's
//     state) and queueing the writes.
//   - async: the paper journal as the daemon runs it; the writer shares
//     the machine's cores with the path. On a machine with a core to
//     spare this approaches async-path; on a loaded two-core one the
//     writer's CPU and garbage slow the path down (docs/BENCHMARKS.md).
//   - async-sustained: orders back to back for as long as b.N lasts; once
//     the queue is full every order waits for the writer, so this is the
//     writer's throughput, the highest order rate paper can journal.
//   - sync: the live journal (journalAdapter): durable write-ahead intent
//     and a commit per update, all on the path.
//   - none-paced and async-paced: none and async with the ticks a
//     millisecond apart instead of back to back, and no pauses: the
//     writer keeps up on its own timer, as in a running daemon (at 1,000
//     orders a second, far above a real strategy's rate), and runs beside
//     the path whenever it likes, so its whole effect on the path shows
//     in the latencies. The back-to-back cases' first order after each
//     pause pays for what the pause did (the writer's catching up, the
//     collection), which is the benchmark's doing, not the daemon's. A
//     paced tick finds the processor's caches colder, as a live tick
//     does, so the paced path is slower with or without a journal.
//
// Pauses (StopTimer reads the memory statistics, which stops the world)
// are made alike in none, discard, async-path and async, so that they
// compare; each pause also runs the collector. Besides wall time each case reports cpu-ns/op, the process's
// CPU time (all goroutines, the writer's and the collector's included)
// while the timer runs: on a shared, loaded machine wall time measures the
// neighbours as much as the code, CPU time much less so.
func BenchmarkPaperTickToOrder(b *testing.B) {
	run := runPaperBench
	flush := func(b *testing.B, a *asyncJournal) func() {
		return func() {
			if err := a.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("journal=none", func(b *testing.B) {
		run(b, benchPaper(b, nil, nil), func() {})
	})
	b.Run("journal=discard", func(b *testing.B) {
		run(b, benchPaper(b, &discardJournal{}, func(position.RoundTrip) {}), func() {})
	})
	b.Run("journal=async-path", func(b *testing.B) {
		a := newAsyncJournalWith(openPaperTestJournal(b), nil, asyncQueue, time.Hour)
		defer a.Close()
		a.expect(engine.InstanceSpec{Name: "bench"}) // as the daemon does
		run(b, benchPaper(b, a, a.roundTrip), flush(b, a))
	})
	b.Run("journal=async", func(b *testing.B) {
		a := newAsyncJournal(openPaperTestJournal(b), nil)
		defer a.Close()
		a.expect(engine.InstanceSpec{Name: "bench"})
		run(b, benchPaper(b, a, a.roundTrip), flush(b, a))
	})
	b.Run("journal=async-sustained", func(b *testing.B) {
		a := newAsyncJournal(openPaperTestJournal(b), nil)
		defer a.Close()
		a.expect(engine.InstanceSpec{Name: "bench"})
		run(b, benchPaper(b, a, a.roundTrip), nil)
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("journal=none-paced", func(b *testing.B) {
		runPacedPaperBench(b, benchPaper(b, nil, nil))
	})
	b.Run("journal=async-paced", func(b *testing.B) {
		a := newAsyncJournal(openPaperTestJournal(b), nil)
		defer a.Close()
		a.expect(engine.InstanceSpec{Name: "bench"})
		runPacedPaperBench(b, benchPaper(b, a, a.roundTrip))
	})
	b.Run("journal=sync", func(b *testing.B) {
		j := openTestJournal(b)
		run(b, benchPaper(b, j, j.roundTrip(slog.New(slog.DiscardHandler))), nil)
	})
}

// paperBenchEvery is the ticks between the paused cases' pauses: about
// 350 queued writes, below the paper journal's poke at half its queue.
const paperBenchEvery = 64

// runPaperBench runs step b.N times, calling pause (if not nil) with the
// timer stopped every paperBenchEvery steps, and reports CPU time and the
// engine's tick-to-order latency beside wall time.
func runPaperBench(b *testing.B, step func(), pause func()) {
	b.ReportAllocs()
	benchLatency.reset()
	goroutines := runtime.NumGoroutine()
	b.ResetTimer()
	var cpu time.Duration
	start := processCPU()
	for i := 0; i < b.N; i++ {
		step()
		if pause != nil && i%paperBenchEvery == paperBenchEvery-1 {
			cpu += processCPU() - start
			b.StopTimer()
			pause()
			// Let the writer's tail end here, not in the next timed
			// stretch: database/sql starts a goroutine per query in a
			// transaction, which ends once the transaction has. And
			// collect the writer's garbage. The paused cases then measure
			// the path.
			settle(goroutines)
			runtime.GC()
			b.StartTimer()
			start = processCPU()
		}
	}
	cpu += processCPU() - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(benchLatency.mean(), "tick-to-order-ns")
	b.ReportMetric(benchLatency.median(), "tick-to-order-p50-ns")
	b.ReportMetric(benchLatency.quantile(0.9), "tick-to-order-p90-ns")
	b.ReportMetric(benchLatency.quantile(0.99), "tick-to-order-p99-ns")
}

// paperBenchGap is the paced cases' time between ticks.
const paperBenchGap = time.Millisecond

// runPacedPaperBench runs step b.N times, paperBenchGap apart, and
// reports the engine's tick-to-order latency; its ns/op is mostly the gap.
func runPacedPaperBench(b *testing.B, step func()) {
	b.ReportAllocs()
	benchLatency.reset()
	b.ResetTimer()
	next := time.Now()
	for i := 0; i < b.N; i++ {
		step()
		next = next.Add(paperBenchGap)
		time.Sleep(time.Until(next))
	}
	b.ReportMetric(benchLatency.mean(), "tick-to-order-ns")
	b.ReportMetric(benchLatency.median(), "tick-to-order-p50-ns")
	b.ReportMetric(benchLatency.quantile(0.9), "tick-to-order-p90-ns")
	b.ReportMetric(benchLatency.quantile(0.99), "tick-to-order-p99-ns")
}

// settle waits, a second at most, until no more than n goroutines are
// left.
func settle(n int) {
	for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > n && time.Now().Before(deadline); {
		time.Sleep(50 * time.Microsecond)
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardJournal keeps nothing; it numbers orders in memory.
type discardJournal struct{ seq atomic.Uint64 }

func (d *discardJournal) NextClientOrderSeq(string) (uint64, error) { return d.seq.Add(1), nil }
func (*discardJournal) RecordIntent(engine.OrderRecord) error       { return nil }
func (*discardJournal) UpdateOrder(string, exchange.Order) error    { return nil }
func (*discardJournal) RecordFill(string, exchange.Fill) (uint64, error) {
	return 0, nil
}
func (*discardJournal) SaveProgress(string, []exchange.Order, exits.State, []byte) error { return nil }

func openPaperTestJournal(t testing.TB) *journalAdapter {
	t.Helper()
	j, err := openPaperJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestPaperReplayJournalsEveryOrderBeforeRunReturns(t *testing.T) {
	dir := t.TempDir()
	cfg := exampleConfig(t, func(c *config.Config) {
		c.Paper.Speed = 0
		c.Paper.ExitAtEnd = true
		c.StateDir = dir
	})
	var logBuf syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, Options{Config: cfg, Log: NewLogger(&logBuf, "json", "info"), Version: "test"}); err != nil {
		t.Fatalf("Run: %v\n%s", err, logBuf.String())
	}
	var entries, closed int
	for _, r := range records(t, logBuf.String()) {
		switch r["msg"] {
		case "entry":
			entries++
		case "entry not placed": // refused before its intent
			entries--
		case "position closed":
			closed++
		}
		if r["level"] == "ERROR" {
			t.Errorf("error logged: %v", r)
		}
	}
	j, err := journal.OpenReadOnlyWith(filepath.Join(dir, "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	orders, err := j.Orders(journal.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var entryOrders, filled int
	for _, o := range orders {
		if o.Purpose == exchange.Entry {
			entryOrders++
		}
		if o.Order.Status == exchange.StatusFilled {
			filled++
		}
	}
	if entries == 0 || entryOrders != entries {
		t.Errorf("%d entry orders journaled for %d entries logged", entryOrders, entries)
	}
	if filled == 0 {
		t.Errorf("no filled order among %d journaled: progress was not written", len(orders))
	}
	rts, err := j.RoundTrips(journal.RoundTripFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rts) != closed {
		t.Errorf("%d round trips journaled, %d positions closed", len(rts), closed)
	}
	t.Logf("%d orders (%d entries, %d filled), %d round trips", len(orders), entryOrders, filled, len(rts))
}

// BenchmarkAsyncJournalOrderWrites measures what the paper journal costs
// the order path alone, without the engine: the journal calls one
// tick-and-order makes (a client order number, the intent, the venue's
// acknowledgement, the fill, the instance's progress, and every other
// order a closed position), with the writer held off while the timer
// runs; every 64 orders the timer stops and the writer writes them.
func BenchmarkAsyncJournalOrderWrites(b *testing.B) {
	a := newAsyncJournalWith(openPaperTestJournal(b), nil, asyncQueue, time.Hour)
	defer a.Close()
	a.expect(engine.InstanceSpec{Name: "bench"})
	rec := marketBuy("")
	ack := exchange.Order{OrderRequest: rec.Request, ID: "v", Status: exchange.StatusOpen}
	filled := ack
	filled.Status, filled.FilledSize, filled.FilledValue = exchange.StatusFilled, dec("0.001"), dec("60")
	fill := exchange.Fill{OrderID: "v", ProductID: "BTC-USD", Side: exchange.Buy, Price: dec("60000"), Size: dec("0.001"),
		Fee: dec("0.36")}
	state := exits.State{Position: position.Position{Strategy: "bench", ProductID: "BTC-USD", Size: dec("0.001"),
		AvgEntry: dec("60000")}, Stop: dec("57000"), StopReason: "stop_loss"}
	rt := position.RoundTrip{Strategy: "bench", ProductID: "BTC-USD", EntryPrice: dec("60000"), ExitPrice: dec("60600"),
		Size: dec("0.001")}
	orders := make([]exchange.Order, 0, 4)
	ids := make([]string, b.N) // formatting an id is the engine's, with or without a journal
	for i := range ids {
		ids[i] = engine.ClientOrderID("bench", uint64(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.NextClientOrderSeq("bench"); err != nil {
			b.Fatal(err)
		}
		rec.ClientOrderID, rec.Request.ClientOrderID = ids[i], ids[i]
		if err := a.RecordIntent(rec); err != nil {
			b.Fatal(err)
		}
		_ = a.UpdateOrder(rec.ClientOrderID, ack)
		fill.TradeID = rec.ClientOrderID
		_, _ = a.RecordFill("bench", fill)
		orders = append(orders[:0], filled)
		_ = a.SaveProgress("bench", orders, state, nil)
		if i%2 == 1 {
			rt.EntryTime = time.Unix(int64(i), 0)
			a.roundTrip(rt)
		}
		if i%64 == 63 {
			b.StopTimer()
			if err := a.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

// BenchmarkAsyncJournalPathCalls measures the paper journal's calls that
// lie between a tick and its order: a client order number and the
// intent, taken by reference as the executor hands it (KeepIntent). The
// writer writes every 64 orders (as in
// BenchmarkPaperTickToOrder), and path-ns/order times only the calls, in
// runs of 64 between the writer's passes: stopping the benchmark's timer
// instead would stop the world to read the memory statistics, which costs
// more than the calls.
func BenchmarkAsyncJournalPathCalls(b *testing.B) {
	a := newAsyncJournalWith(openPaperTestJournal(b), nil, asyncQueue, time.Hour)
	defer a.Close()
	a.expect(engine.InstanceSpec{Name: "bench"})
	// Each order's record, as the executor's tracked order holds it.
	recs := make([]engine.OrderRecord, b.N)
	for i := range recs {
		id := engine.ClientOrderID("bench", uint64(i))
		recs[i] = marketBuy(id)
	}
	var path time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		start := time.Now()
		for end := min(i+paperBenchEvery, b.N); i < end; i++ {
			if _, err := a.NextClientOrderSeq("bench"); err != nil {
				b.Fatal(err)
			}
			if err := a.KeepIntent(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
		path += time.Since(start)
		if err := a.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(path.Nanoseconds())/float64(b.N), "path-ns/order")
}

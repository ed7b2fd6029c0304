package daemon

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// The restart books into the risk guard exactly the journaled fills its
// saved counters do not include, by the order the journal recorded them
// in, not by the clock: the counters name the journal's number of the
// last fill they include (risk.Counters.FillSeq). Before, a fill counted
// as included when the journal had stamped it earlier than the save, and
// two things broke that rule, both tested here. Each test compares the
// restarted guard with the killed run's just before the kill, which is
// what a run that had not been killed would hold.

// TestAFillRecordedAfterTheSaveUnderAClockSteppedBackIsBookedAtTheNextStart:
// the wall clock steps back (NTP, a restored virtual machine, an
// operator's date) between a save of the counters and a fill: the fill is
// stamped earlier than the save, and the restart took it for one the
// counters included. The guard then forgot the fill's fee and exposure
// (limits loosened after a restart).
func TestAFillRecordedAfterTheSaveUnderAClockSteppedBackIsBookedAtTheNextStart(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	// The journal stamps its records by the wall clock, which can step
	// back; the market's clock (the venue's, the engine's) does not.
	wall := &steppedClock{now: clk.Now()}
	opt := runOptions{journalClock: wall}
	killed := startRunWith(t, x, x, clk, path, fillOrderSpec(t), opt)
	killed.trade("60000")
	// A buy rests at 59,000; the counters are saved with it (the entry
	// it counts) and without a fill.
	o := placeFillOrderEntry(t, killed, exchange.Limit)
	if o.FilledSize.IsPositive() {
		t.Fatalf("the limit buy filled at once: %+v", o)
	}
	killed.eng.Drain(context.Background())
	if err := killed.j.saveRisk(killed.guard); err != nil {
		t.Fatal(err)
	}
	// The clock steps back a minute, and the market comes down to the
	// buy: the venue fills it, the engine journals the fill and books it
	// into the guard, and the kill comes before the next save (and
	// before the instance applied the fill).
	wall.set(wall.Now().Add(-time.Minute))
	fillRestingBuy(killed, "58900")
	fills := x.Fills()
	if len(fills) != 1 {
		t.Fatalf("venue fills %+v, want the buy's", fills)
	}
	want := killed.guard.Snapshot()
	if !want.RealizedToday.Equal(fills[0].Fee.Neg()) {
		t.Fatalf("the killed run's guard realized %s today, want the buy's fee %s", want.RealizedToday, fills[0].Fee.Neg())
	}
	killed.crash()

	r := startRunWith(t, x, x, clk, path, fillOrderSpec(t), opt)
	sameFillCounters(t, r.guard.Snapshot(), want)
}

// TestAFillJournaledBeforeASnapshotAndBookedAfterItIsBookedAtTheNextStart:
// a fill is journaled (and stamped), then the saver snapshots the guard
// and saves the counters, then the engine books the fill into the guard:
// the counters lack the fill although it was stamped before the save, and
// the restart took it for one they included. Here the save runs in that
// window on purpose, from the journal's write of the fill.
func TestAFillJournaledBeforeASnapshotAndBookedAfterItIsBookedAtTheNextStart(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	var inWindow func()
	killed := startRunWith(t, x, x, clk, path, fillOrderSpec(t), runOptions{journalClock: clk,
		engineJournal: func(j *journalAdapter) engine.Journal {
			return &saveAfterFillJournal{journalAdapter: j, after: func(uint64) {
				if inWindow != nil {
					inWindow()
				}
			}}
		}})
	killed.trade("60000")
	saves := 0
	inWindow = func() {
		// Time passes between the fill's stamp and the save's, as it
		// does on the wall clock.
		clk.Set(clk.Now().Add(time.Millisecond))
		if err := killed.j.saveRisk(killed.guard); err != nil {
			t.Error(err)
		}
		saves++
	}
	// Filled at once by the venue: the fill reaches the journal, the
	// save, then the guard, and waits in the instance's mailbox.
	o := placeFillOrderEntry(t, killed, exchange.Market)
	if !o.FilledSize.IsPositive() || saves != 1 {
		t.Fatalf("entry %+v with %d saves in the window; want it filled and one save", o, saves)
	}
	inWindow = nil
	want := killed.guard.Snapshot()
	killed.crash()

	r := startRunWith(t, x, x, clk, path, fillOrderSpec(t), runOptions{journalClock: clk})
	sameFillCounters(t, r.guard.Snapshot(), want)
}

// Fills delivered at once from several goroutines (the user channel, a
// reconciliation, the answers to requests) are booked into the guard in
// the order the journal numbers them: when the journal has just numbered
// a fill, every fill numbered below it is booked and none above. Were a
// fill journaled and booked apart, a later fill could be booked first,
// and counters saved in between would name the later fill without the
// earlier one, which the next start would then never book. With the
// journal write outside the executor's bookMu this fails in most runs
// (6 of 10 plain, every run under -race), not all: the order the
// deliveries run in is the scheduler's.
func TestFillsDeliveredTogetherAreBookedInTheJournalsOrder(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	var r *killableRun
	var mu sync.Mutex
	var checked int
	var out []string
	check := func(seq uint64) {
		if r == nil || seq == 0 {
			return
		}
		// Let the other deliveries run here, between this fill's
		// journal write and its booking.
		for range 50 {
			runtime.Gosched()
		}
		c := r.guard.Snapshot()
		mu.Lock()
		defer mu.Unlock()
		checked++
		if *c.FillSeq != seq-1 {
			out = append(out, fmt.Sprintf("fill %d journaled while the guard's last booked is %d", seq, *c.FillSeq))
		}
	}
	r = startRunWith(t, x, x, clk, path, fillOrderSpec(t), runOptions{engineJournal: func(j *journalAdapter) engine.Journal {
		return &saveAfterFillJournal{journalAdapter: j, after: check}
	}})
	r.trade("60000")
	// Buys resting at 59,000 down, each filled by an event of its own.
	const n = 12
	var events []exchange.OrderEvent
	exec := r.eng.Executor()
	for i := range n {
		clk.Set(clk.Now().Add(110 * time.Millisecond)) // within the account's 10 orders a second
		id, err := exec.NextClientOrderID("s")
		if err != nil {
			t.Fatal(err)
		}
		price := dec("59000").Sub(decimal.NewFromInt(int64(i)))
		o, err := exec.Place(context.Background(), engine.Intent{Instance: "s", Purpose: exchange.Entry, Reason: "test",
			EstimatedPrice: dec("60000"), Request: exchange.OrderRequest{ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Buy,
				Type: exchange.Limit, TimeInForce: exchange.GoodTilCancelled, BaseSize: dec("0.001"), LimitPrice: price}})
		if err != nil || o.FilledSize.IsPositive() {
			t.Fatalf("buy %d: %+v, %v; want it resting", i, o, err)
		}
		o.Status, o.FilledSize, o.FilledValue = exchange.StatusFilled, o.BaseSize, o.BaseSize.Mul(price)
		o.AverageFilledPrice, o.TotalFees = price, dec("0.1")
		events = append(events, exchange.OrderEvent{Order: o, Fill: &exchange.Fill{TradeID: fmt.Sprintf("t-%d", i), OrderID: o.ID,
			ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Buy, Price: price, Size: o.BaseSize, Fee: dec("0.1"),
			Liquidity: exchange.Maker, Time: clk.Now()}})
	}
	r.eng.Drain(context.Background())
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, ev := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r.eng.HandleEvent(ev)
		}()
	}
	close(start)
	wg.Wait()
	if checked != n || len(out) > 0 {
		t.Fatalf("%d fills journaled, want %d; out of order: %v", checked, n, out)
	}
	if c := r.guard.Snapshot(); !c.RealizedToday.Equal(dec("-1.2")) || *c.FillSeq != n {
		t.Fatalf("the guard realized %s and booked up to fill %d, want -1.2 (twelve fees of 0.1) and %d", c.RealizedToday, *c.FillSeq, n)
	}
}

// steppedClock is a wall clock that reads what it was last set to, which
// may be earlier than before.
type steppedClock struct {
	mu  sync.Mutex
	now time.Time
}

// Now implements clock.Clock.
func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *steppedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// saveAfterFillJournal is the run's journal, with after called once each
// fill is journaled, with its number, and before the engine books it into
// the guard.
type saveAfterFillJournal struct {
	*journalAdapter
	after func(seq uint64)
}

func (j *saveAfterFillJournal) RecordFill(instance string, f exchange.Fill) (uint64, error) {
	seq, err := j.journalAdapter.RecordFill(instance, f)
	j.after(seq)
	return seq, err
}

// fillOrderSpec is the instance of the fill-order tests: it places no
// order itself in these tests' few ticks (the test places them).
func fillOrderSpec(t *testing.T) engine.InstanceSpec {
	t.Helper()
	st, err := (&strategy.SMACrossParams{Fast: 2, Slow: 4, Interval: time.Minute}).Build()
	if err != nil {
		t.Fatal(err)
	}
	return engine.InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: st, QuoteSize: dec("600"),
		Exits: exits.Config{Placement: exits.InBot, StopLoss: &exits.StopLoss{Percent: dec("8")}}}
}

// placeFillOrderEntry places an entry of instance s through the run's
// executor: a market buy of 600 USD, or a limit buy of 0.01 BTC at
// 59,000.
func placeFillOrderEntry(t *testing.T, r *killableRun, typ exchange.OrderType) exchange.Order {
	t.Helper()
	exec := r.eng.Executor()
	id, err := exec.NextClientOrderID("s")
	if err != nil {
		t.Fatal(err)
	}
	req := exchange.OrderRequest{ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Buy, Type: typ}
	if typ == exchange.Market {
		req.TimeInForce, req.QuoteSize = exchange.ImmediateOrCancel, dec("600")
	} else {
		req.TimeInForce, req.BaseSize, req.LimitPrice = exchange.GoodTilCancelled, dec("0.01"), dec("59000")
	}
	o, err := exec.Place(context.Background(), engine.Intent{Instance: "s", Purpose: exchange.Entry, Reason: "test",
		EstimatedPrice: dec("60000"), Request: req})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// fillRestingBuy trades at price on the venue alone: the venue's fill
// reaches the engine's executor (journal and guard), but the instance
// does not run.
func fillRestingBuy(r *killableRun, price string) {
	now := r.clk.Now()
	p := dec(price)
	for _, tk := range []exchange.Tick{
		{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: now, Received: now, Bid: p.Sub(dec("0.01")), BidSize: dec("5"),
			Ask: p.Add(dec("0.01")), AskSize: dec("5")},
		{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: now, Received: now, Price: p, Size: dec("0.1"), TakerSide: exchange.Sell},
	} {
		r.x.OnTick(&tk)
	}
}

// sameFillCounters fails unless the restarted guard's counters (got)
// hold what the killed run's (want) held: the day's and the total PnL,
// the entries, the run of losses, the positions' sizes (the restart
// values a position at its instance's entry price) and the last fill.
func sameFillCounters(t *testing.T, got, want risk.Counters) {
	t.Helper()
	if !got.RealizedToday.Equal(want.RealizedToday) || !got.RealizedTotal.Equal(want.RealizedTotal) {
		t.Errorf("after the restart the guard realized %s today (%s in all), the killed run %s (%s)",
			got.RealizedToday, got.RealizedTotal, want.RealizedToday, want.RealizedTotal)
	}
	if got.AccountEntries != want.AccountEntries || got.ConsecutiveLosses != want.ConsecutiveLosses {
		t.Errorf("after the restart the guard counts %d entries and %d losses in a row, the killed run %d and %d",
			got.AccountEntries, got.ConsecutiveLosses, want.AccountEntries, want.ConsecutiveLosses)
	}
	if len(got.Positions) != len(want.Positions) {
		t.Fatalf("after the restart the guard holds %+v, the killed run %+v", got.Positions, want.Positions)
	}
	for i := range got.Positions {
		if g, w := got.Positions[i], want.Positions[i]; g.Strategy != w.Strategy || g.ProductID != w.ProductID || !g.Size.Equal(w.Size) {
			t.Errorf("after the restart the guard holds %+v, the killed run %+v", g, w)
		}
	}
	if got.FillSeq == nil || want.FillSeq == nil || *got.FillSeq != *want.FillSeq {
		t.Errorf("after the restart the guard's last fill is %v, the killed run's %v", got.FillSeq, want.FillSeq)
	}
}

// A paper run's journal writer numbers fills after the guard booked them
// (asyncJournal), so its counters name no last fill: a live start on the
// same journal then books none of the paper run's fills again, which the
// counters include, and takes the journal's last number as its own. Had
// the paper counters named the guard's last number (none), the start
// would have booked every paper fill a second time.
func TestCountersAPaperRunSavedNameNoFillAndAreNotBookedAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	clk := clock.NewSim(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	paper, err := openPaperJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	paper.numbersLate = true
	g, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		t.Fatal(err)
	}
	if err := paper.restoreRisk(g); err != nil {
		t.Fatal(err)
	}
	f := exchange.Fill{TradeID: "t-1", OrderID: "o1", ProductID: "BTC-USD", Side: exchange.Buy, Price: dec("60000"),
		Size: dec("0.01"), Fee: dec("3.6"), Time: clk.Now()}
	// As the paper engine does: booked at once (no number yet), written
	// by the writer later.
	g.OnJournaledFill(0, "s", f.ProductID, f.Side, f.Size, f.Price, f.Fee, nil)
	if _, err := paper.RecordFill("s", f); err != nil {
		t.Fatal(err)
	}
	if err := paper.saveRisk(g); err != nil {
		t.Fatal(err)
	}
	saved, err := paper.Risk(riskAccount)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(saved), "fill_seq") {
		t.Fatalf("a paper run's counters %s name a last fill", saved)
	}
	if err := paper.Close(); err != nil {
		t.Fatal(err)
	}

	live, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	restarted, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.restoreRisk(restarted); err != nil {
		t.Fatal(err)
	}
	got := restarted.Snapshot()
	if !got.RealizedToday.Equal(f.Fee.Neg()) {
		t.Errorf("the live start's guard realized %s today, want the paper fill's fee %s once", got.RealizedToday, f.Fee.Neg())
	}
	if got.FillSeq == nil || *got.FillSeq != 1 {
		t.Errorf("the live start's last fill is %v, want 1 (the paper fill, settled)", got.FillSeq)
	}
}

// The first start after the upgrade to numbered fills (schema version 6)
// finds counters that name no last fill and fills without numbers: it
// judges the fills of the orders it adopts by time, as before, once. The
// counters it saves then name the journal's last number, so that the next
// start books neither those fills again nor misses new ones.
func TestTheFirstStartAfterTheUpgradeJudgesTheOldFillsByTimeOnce(t *testing.T) {
	x, clk := newGridVenue(t)
	path := filepath.Join(t.TempDir(), "journal.db")
	killed := startRun(t, x, clk, path, fillOrderSpec(t))
	killed.trade("60000")
	if err := killed.j.saveRisk(killed.guard); err != nil {
		t.Fatal(err)
	}
	// Filled at once; journaled and booked, then the kill, before the
	// next save and before the instance applied the fill.
	placeFillOrderEntry(t, killed, exchange.Market)
	want := killed.guard.Snapshot()
	killed.crash()
	// As a tradebot before version 6 left it: no fill numbers, counters
	// that name no last fill.
	toVersion5(t, path)

	upgraded := startRun(t, x, clk, path, fillOrderSpec(t))
	got := upgraded.guard.Snapshot()
	if !got.RealizedToday.Equal(want.RealizedToday) {
		t.Fatalf("the first start after the upgrade realized %s today, the killed run %s", got.RealizedToday, want.RealizedToday)
	}
	if err := upgraded.j.saveRisk(upgraded.guard); err != nil {
		t.Fatal(err)
	}
	upgraded.crash()

	again := startRun(t, x, clk, path, fillOrderSpec(t))
	sameFillCounters(t, again.guard.Snapshot(), got)
}

// toVersion5 takes the journal at path back to schema version 5, as a
// tradebot before fill numbers wrote it: no fills.seq, and risk counters
// without fill_seq.
func toVersion5(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var state []byte
	if err := db.QueryRow("SELECT state FROM risk_state WHERE account = ?", riskAccount).Scan(&state); err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(state, &c); err != nil {
		t.Fatal(err)
	}
	delete(c, "fill_seq")
	if state, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ALTER TABLE fills DROP COLUMN seq", "UPDATE risk_state SET state = ?", "PRAGMA user_version = 5"} {
		var args []any
		if strings.HasPrefix(q, "UPDATE") {
			args = append(args, state)
		}
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

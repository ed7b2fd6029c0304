package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/position"
)

// asyncJournal is the engine's journal in paper mode: it takes the
// engine's writes off the tick-to-order path by queueing them for one
// owned goroutine, which writes them in order and in batches.
//
// Why this is safe in paper mode, and only there. The journal writes an
// order's intent ahead of the request so that, after a crash, the daemon
// knows of every order that may exist on the venue. In paper mode the
// venue is the simulated exchange inside this process: a crash loses the
// venue and its orders together with the queue, so no order can exist
// that the journal forgot, and write-ahead ordering buys nothing. Nor does
// a paper start read orders or positions back (only live runs
// Engine.Recover): the journal is paper's history, not its state. What a
// crash can cost is the last asyncInterval of that history, which the
// replay reproduces. The risk counters, which a paper start does restore,
// are still saved synchronously (journalAdapter.saveRisk). Live mode keeps
// the synchronous write-ahead journal (journalAdapter); docs/BENCHMARKS.md
// compares its durable intent with a REST round trip.
//
// Writes keep their order: an intent is written before the updates of its
// order, and an instance's progress after the fills it applied. Queueing
// a write is an append under a mutex and never wakes the writer: on a
// virtual machine one futex wake costs more than the whole order path, so
// the writer wakes on its own every asyncInterval, or early when the
// queue is half full or someone flushes. The queue is bounded; when it is
// full the engine waits for the writer, so memory stays bounded and
// nothing is dropped. A failed intent or commit is sticky: every later
// RecordIntent returns it, so the engine stops placing orders the journal
// cannot hold, as it would with the synchronous journal.
type asyncJournal struct {
	j   *journalAdapter
	log *slog.Logger
	// writeRoundTrip is the adapter's, called by the writer.
	writeRoundTrip func(position.RoundTrip)
	limit          int // the queue's bound
	// wake asks the writer to write now (buffer of one: asks coalesce).
	wake chan struct{}
	// done is closed when the writer has written everything and exited.
	done chan struct{}

	mu sync.Mutex
	// space is signalled, under mu, when the writer takes the queue.
	space  *sync.Cond
	queue  []asyncOp
	closed bool

	errMu sync.Mutex
	err   error // the first failed intent or commit

	// seqMu guards seqs, each instance's client order numbers taken from
	// the journal ahead of need, in order.
	seqMu sync.Mutex
	seqs  map[string][]uint64
	// seqFailing is set while taking numbers ahead fails, so that the
	// failure is logged once, not every asyncInterval.
	seqFailing bool
}

var _ engine.Journal = (*asyncJournal)(nil)

// asyncQueue bounds the writes waiting for the writer. At a few orders
// per second per strategy it is never reached; in a replay at full speed
// it makes the engine wait for the disk instead of growing without end.
const asyncQueue = 4096

// asyncInterval is how often the writer looks at the queue unasked: the
// most paper history a crash can lose, and the writer's idle wake-ups.
const asyncInterval = 20 * time.Millisecond

// asyncMaxBatch bounds the writes committed in one transaction, so that
// other writers (risk counters, round trips) wait for one commit at most
// this long.
const asyncMaxBatch = 256

// asyncOp is one queued write, held by value in the queue's reused
// buffers, so that queueing allocates nothing (a closure per write cost
// more than the rest of queueing together).
type asyncOp struct {
	kind          opKind
	instance      string
	clientOrderID string // an update's
	// order is the request of an intent (with purpose and at) or the
	// venue's view of an update.
	order   exchange.Order
	purpose engine.Purpose
	at      time.Time
	fill    exchange.Fill
	// orders, exitState and strategyState are a progress's, copied.
	orders                   []exchange.Order
	exitState, strategyState []byte
	// rt is a closed position's (a pointer: one in two orders has one,
	// and every op in the queue pays for the op's size).
	rt *position.RoundTrip
	// flushed is closed once every write queued before it is committed.
	flushed chan struct{}
}

type opKind uint8

const (
	// opIntent is a write-ahead intent; consecutive intents commit in
	// one RecordIntents call.
	opIntent opKind = iota + 1
	// opUpdate and opFill commit in one transaction with the writes of
	// the same kinds around them.
	opUpdate
	opFill
	// opProgress commits in its own transaction, which the journal
	// adapter's SaveProgress makes atomic.
	opProgress
	// opRoundTrip commits in its own transaction, as the adapter writes it.
	opRoundTrip
	opFlush
)

// batched reports whether the op is written inside a shared Batch.
func (op *asyncOp) batched() bool { return op.kind == opUpdate || op.kind == opFill }

// errJournalClosed is returned for writes after Close.
var errJournalClosed = errors.New("journal writer closed")

// openPaperJournal opens the journal for paper mode, with intents
// committed like every other write (journal.Options.RelaxedIntents): the
// reason is the one that makes asyncJournal safe.
func openPaperJournal(path string) (*journalAdapter, error) {
	j, err := journal.OpenWith(path, journal.Options{RelaxedIntents: true})
	if err != nil {
		return nil, err
	}
	return &journalAdapter{j}, nil
}

// newAsyncJournal starts the writer goroutine over j; Close stops it.
func newAsyncJournal(j *journalAdapter, log *slog.Logger) *asyncJournal {
	return newAsyncJournalWith(j, log, asyncQueue, asyncInterval)
}

// newAsyncJournalWith is newAsyncJournal with a queue of size writes and
// the writer waking every interval, for tests and benchmarks.
func newAsyncJournalWith(j *journalAdapter, log *slog.Logger, size int, interval time.Duration) *asyncJournal {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &asyncJournal{j: j, log: log, writeRoundTrip: j.roundTrip(log), limit: size,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	a.space = sync.NewCond(&a.mu)
	go a.run(interval)
	return a
}

// send queues op, waiting while the queue is full.
func (a *asyncJournal) send(op *asyncOp) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.queue) >= a.limit && !a.closed {
		a.poke()
		a.space.Wait()
	}
	if a.closed {
		return errJournalClosed
	}
	a.queue = append(a.queue, *op)
	if len(a.queue) == a.limit/2 || op.kind == opFlush {
		a.poke()
	}
	return nil
}

// poke wakes the writer without waiting.
func (a *asyncJournal) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *asyncJournal) failed() error {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	return a.err
}

func (a *asyncJournal) fail(err error) {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	if a.err == nil {
		a.err = err
	}
}

// asyncSeqAhead is how many client order numbers the writer keeps taken
// from the journal ahead of need, per instance: 64 orders, two seconds at
// Coinbase's rate limit, between the writer's wake-ups 20 ms apart.
const asyncSeqAhead = 64

// NextClientOrderSeq implements engine.SeqSource with numbers the writer
// took from the journal ahead of need. The journal hands numbers out of
// durable blocks of journal.SeqBlock; taking the next block is a SQLite
// write, which the writer does instead of the order path. All numbers
// come from the journal under seqMu, in order, so they strictly increase
// and are never reused across restarts (a restart skips the unused ones).
// Before the writer has filled an instance's numbers, the journal is
// asked directly.
func (a *asyncJournal) NextClientOrderSeq(instance string) (uint64, error) {
	a.seqMu.Lock()
	defer a.seqMu.Unlock()
	if a.seqs == nil {
		a.seqs = make(map[string][]uint64)
	}
	q, known := a.seqs[instance]
	if len(q) > 0 {
		a.seqs[instance] = q[1:]
		return q[0], nil
	}
	if !known {
		a.seqs[instance] = nil // the writer fills it from now on
	}
	return a.j.NextClientOrderSeq(instance)
}

// takeSeqs tops every known instance's numbers up to asyncSeqAhead.
func (a *asyncJournal) takeSeqs() {
	a.seqMu.Lock()
	defer a.seqMu.Unlock()
	for instance, q := range a.seqs {
		if len(q) > asyncSeqAhead/2 {
			continue
		}
		q = append(make([]uint64, 0, asyncSeqAhead), q...)
		for len(q) < asyncSeqAhead {
			n, err := a.j.NextClientOrderSeq(instance)
			if err != nil {
				// The order path asks the journal itself and meets the
				// error there.
				if !a.seqFailing {
					a.log.Error("journal: taking client order numbers ahead failed", "strategy", instance, "error", err)
				}
				a.seqFailing = true
				break
			}
			a.seqFailing = false
			q = append(q, n)
		}
		a.seqs[instance] = q
	}
}

// RecordIntent implements engine.Journal. It queues the intent; an error
// means the writer failed earlier or is closed.
func (a *asyncJournal) RecordIntent(rec engine.OrderRecord) error {
	if err := a.failed(); err != nil {
		return fmt.Errorf("journal writer failed earlier: %w", err)
	}
	op := asyncOp{kind: opIntent, instance: rec.Instance, purpose: rec.Purpose, at: rec.Time}
	op.order.OrderRequest = rec.Request
	return a.send(&op)
}

// intentRecord is the journal's record of an intent op, as
// journalAdapter.RecordIntent makes it.
func intentRecord(op *asyncOp) journal.OrderRecord {
	p := journal.Entry
	if op.purpose == engine.Exit {
		p = journal.Exit
	}
	o := op.order
	o.Status = journal.StatusInFlight
	return journal.OrderRecord{Instance: op.instance, Strategy: op.instance, Purpose: p, Order: o, IntentAt: op.at}
}

// UpdateOrder implements engine.Journal; errors are logged by the writer.
func (a *asyncJournal) UpdateOrder(clientOrderID string, o exchange.Order) error {
	return a.send(&asyncOp{kind: opUpdate, clientOrderID: clientOrderID, order: o})
}

// RecordFill implements engine.Journal. Whether the fill is new is not
// known until it is written, so it reports true; the engine does not use
// the answer (it deduplicates fills itself).
func (a *asyncJournal) RecordFill(instance string, f exchange.Fill) (bool, error) {
	err := a.send(&asyncOp{kind: opFill, instance: instance, fill: f})
	return err == nil, err
}

// SaveProgress implements engine.Journal. The arguments are copied: the
// instance reuses its slices once the call returns.
func (a *asyncJournal) SaveProgress(instance string, orders []exchange.Order, exitState, strategyState []byte) error {
	op := asyncOp{kind: opProgress, instance: instance, orders: append([]exchange.Order(nil), orders...),
		exitState: append([]byte(nil), exitState...)}
	if strategyState != nil {
		op.strategyState = append([]byte(nil), strategyState...)
	}
	return a.send(&op)
}

// roundTrip queues a closed position for the journal; it is the engine's
// OnRoundTrip in paper mode. Errors are logged by the writer.
func (a *asyncJournal) roundTrip(rt position.RoundTrip) {
	if err := a.send(&asyncOp{kind: opRoundTrip, rt: &rt}); err != nil {
		a.log.Error("journal round trip failed", "strategy", rt.Strategy, "error", err)
	}
}

// Flush waits until every write queued before it is committed, or ctx
// ends. It returns the writer's sticky error, if any.
func (a *asyncJournal) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	if err := a.send(&asyncOp{kind: opFlush, flushed: ch}); err != nil {
		return err
	}
	select {
	case <-ch:
		return a.failed()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes everything queued, stops the writer and returns its sticky
// error. Later writes fail with errJournalClosed. It does not close the
// underlying journal, which the daemon closes after it.
func (a *asyncJournal) Close() error {
	a.mu.Lock()
	a.closed = true
	a.space.Broadcast()
	a.mu.Unlock()
	a.poke()
	<-a.done
	return a.failed()
}

// run is the writer: every interval, or when poked, it takes the
// whole queue and writes it, until the journal is closed and the queue
// written.
func (a *asyncJournal) run(interval time.Duration) {
	defer close(a.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	var spare []asyncOp
	for {
		select {
		case <-t.C:
		case <-a.wake:
		}
		a.mu.Lock()
		ops, closed := a.queue, a.closed
		a.queue = spare
		a.space.Broadcast()
		a.mu.Unlock()
		for rest := ops; len(rest) > 0; {
			n := min(len(rest), asyncMaxBatch)
			a.write(rest[:n])
			rest = rest[n:]
		}
		if closed {
			return // nothing is queued after closed is set
		}
		clear(ops) // let the written orders go
		spare = ops[:0]
		a.takeSeqs()
	}
}

// write commits ops in order, grouping runs of the same kind: intents in
// one RecordIntents, batch writes in one transaction.
func (a *asyncJournal) write(ops []asyncOp) {
	for len(ops) > 0 {
		n := 1
		switch op := &ops[0]; {
		case op.kind == opFlush:
			close(op.flushed)
		case op.kind == opProgress:
			if err := a.j.SaveProgress(op.instance, op.orders, op.exitState, op.strategyState); err != nil {
				a.log.Error("journal: saving progress failed", "strategy", op.instance, "error", err)
			}
		case op.kind == opRoundTrip:
			a.writeRoundTrip(*op.rt)
		case op.kind == opIntent:
			for n < len(ops) && ops[n].kind == opIntent {
				n++
			}
			a.writeIntents(ops[:n])
		default:
			for n < len(ops) && ops[n].batched() {
				n++
			}
			a.writeBatch(ops[:n])
		}
		ops = ops[n:]
	}
}

func (a *asyncJournal) writeIntents(ops []asyncOp) {
	recs := make([]journal.OrderRecord, len(ops))
	for i := range ops {
		recs[i] = intentRecord(&ops[i])
	}
	err := a.j.RecordIntents(recs...)
	if err == nil || len(recs) == 1 {
		if err != nil {
			a.log.Error("journal intent failed", "client_order_id", recs[0].Order.ClientOrderID, "error", err)
			a.fail(err)
		}
		return
	}
	// All or none failed, say for one duplicate id: write them one by one
	// so that only the bad one is lost.
	for _, r := range recs {
		if err := a.j.Journal.RecordIntent(r); err != nil {
			a.log.Error("journal intent failed", "client_order_id", r.Order.ClientOrderID, "error", err)
			a.fail(err)
		}
	}
}

func (a *asyncJournal) writeBatch(ops []asyncOp) {
	err := a.j.Batch(func(b *journal.Batch) error {
		for i := range ops {
			// One write's error does not spoil the transaction (see
			// journal.Batch): log it and write the rest, as the engine
			// does with the synchronous journal.
			op := &ops[i]
			var err error
			if op.kind == opFill {
				_, err = b.RecordFill(op.instance, op.fill)
			} else {
				err = b.UpdateOrder(op.clientOrderID, op.order)
			}
			if err != nil {
				a.log.Error("journal write failed", "error", err)
			}
		}
		return nil
	})
	if err != nil {
		a.log.Error("journal commit failed", "writes", len(ops), "error", err)
		a.fail(err)
	}
}

package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
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
// order, and an instance's progress after the fills it applied. The queue
// is a ring of write records allocated once: queueing a write fills the
// next free record in place under a mutex (no copy of a whole record, no
// allocation) and never wakes the writer: on a virtual machine one futex
// wake costs more than the whole order path, so the writer wakes on its
// own every asyncInterval, or early when the queue is half full or someone
// flushes. The writer reads the records it took in place, outside the
// mutex (no sender touches them until it gives them back), and encodes
// each instance's exit state there, off the order path. The ring is
// bounded; when it is full the engine waits for the writer, so memory
// stays bounded and nothing is dropped. A failed intent or commit is
// sticky: every later RecordIntent returns it, so the engine stops placing
// orders the journal cannot hold, as it would with the synchronous
// journal. Client order numbers come from blocks the writer reserves in
// the journal ahead of need (aheadSeqs).
type asyncJournal struct {
	j   *journalAdapter
	log *slog.Logger
	// wake asks the writer to write now (buffer of one: asks coalesce).
	wake chan struct{}
	// done is closed when the writer has written everything and exited.
	done chan struct{}
	seqs aheadSeqs

	mu sync.Mutex
	// space is signalled, under mu, when the writer gives records back.
	space *sync.Cond
	// ring holds the queued writes: n of them from index head on,
	// wrapping around. Senders fill the record after the last one, under
	// mu; the writer reads records it has taken outside mu.
	ring    []asyncOp
	head, n int
	closed  bool

	// err is the first failed intent or commit, read without a lock on
	// every intent.
	err atomic.Pointer[error]

	// The writer's own, reused between writes.
	encBuf bytes.Buffer
	enc    *json.Encoder
	saved  map[string]*savedProgress
	// flushes are the flushes written, answered when the writer is idle.
	flushes []chan struct{}
}

// savedProgress is what the writer last wrote of an instance's progress,
// so that a progress that changes nothing (a round of the instance with
// no event, such as a lockstep replay's barrier) is not written again.
type savedProgress struct{ exit, strategy []byte }

var (
	_ engine.Journal      = (*asyncJournal)(nil)
	_ engine.IntentKeeper = (*asyncJournal)(nil)
)

// asyncQueue bounds the writes waiting for the writer. At a few orders
// per second per strategy it is never reached; in a replay at full speed
// it makes the engine wait for the disk instead of growing without end.
const asyncQueue = 4096

// asyncInterval is how often the writer looks at the queue unasked: the
// most paper history a crash can lose, and the writer's idle wake-ups.
// Each pass runs a transaction's worth of SQLite, which pushes the order
// path out of the processor's caches: with a tick a millisecond apart the
// median tick-to-order latency was 3.2-4.3 µs at 250 ms against 3.9-5.9
// µs at 20 ms (docs/BENCHMARKS.md), for a quarter second of replayable
// history at risk.
const asyncInterval = 250 * time.Millisecond

// asyncMaxBatch bounds the writes committed in one transaction, so that
// other writers (the risk counters) wait for one commit at most
// this long.
const asyncMaxBatch = 256

// asyncOp is one queued write, a record of the ring. The order is held
// inline (intents and updates are most writes); the parts fewer writes
// have are behind pointers that the record allocates on first use and
// keeps, so that a record costs about 500 bytes and queueing allocates
// nothing once the ring has been around.
type asyncOp struct {
	kind    opKind
	purpose exchange.Purpose
	// hasStrategy: strategyState is set (a nil strategy state is stored
	// as NULL, an empty one is not).
	hasStrategy bool
	instance    string
	// clientOrderID is an update's.
	clientOrderID string
	// at is an intent's time, reason why it was sent.
	at     time.Time
	reason string
	// order is the request of an intent (with purpose and at) or the
	// venue's view of an update.
	order exchange.Order
	// kept is an intent taken by reference (KeepIntent), in place of
	// order, purpose and at: the executor's record, which does not change.
	kept *engine.OrderRecord
	fill *exchange.Fill
	// exit, orders and strategyState are a progress's, copied into the
	// record's own buffers.
	exit          *exits.State
	orders        []exchange.Order
	strategyState []byte
	rt            *position.RoundTrip
	// flushed is closed once every write queued before it is committed.
	flushed chan struct{}
}

// reset empties a written record for reuse, keeping its buffers and
// letting go of what they point to.
func (op *asyncOp) reset() {
	fill, exit, rt := op.fill, op.exit, op.rt
	switch op.kind {
	case opFill:
		*fill = exchange.Fill{}
	case opProgress:
		*exit = exits.State{}
	case opRoundTrip:
		*rt = position.RoundTrip{}
	}
	orders, strat := op.orders, op.strategyState
	clear(orders)
	*op = asyncOp{fill: fill, exit: exit, rt: rt, orders: orders[:0], strategyState: strat[:0]}
}

// opKind says what a queued write is. The writer commits every kind in
// one transaction per pass (write).
type opKind uint8

const (
	// opIntent is a write-ahead intent.
	opIntent opKind = iota + 1
	// opUpdate is the venue's view of an order.
	opUpdate
	// opFill is a fill.
	opFill
	// opProgress is an instance's applied orders, position and state,
	// all or nothing.
	opProgress
	// opRoundTrip is a closed position.
	opRoundTrip
	// opFlush asks to be told once the writes before it are committed.
	opFlush
)

// errJournalClosed is returned for writes after Close.
var errJournalClosed = errors.New("journal writer closed")

// asyncSeqBlock is how many client order numbers one reservation in the
// journal takes for an instance: the writer keeps one such block ahead of
// the one in use. It is more orders than the ring can hold (an order
// makes about six writes), so the writer, which reserves ahead on every
// pass, passes before a block runs out even in a replay at full speed,
// and the path never waits for a reservation of its own (with 256 it did
// once every 256 orders: the mean tick-to-order latency of
// async-sustained fell from 55 to 21 µs). A restart skips what was left;
// ids are unique, not dense.
const asyncSeqBlock = 1024

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
	a := &asyncJournal{j: j, log: log, ring: make([]asyncOp, max(size, 1)),
		wake: make(chan struct{}, 1), done: make(chan struct{}), saved: make(map[string]*savedProgress),
		seqs: aheadSeqs{reserve: j.ReserveClientOrderSeqs, block: asyncSeqBlock, log: log}}
	a.enc = json.NewEncoder(&a.encBuf)
	a.space = sync.NewCond(&a.mu)
	go a.run(interval)
	return a
}

// slot returns the free record after the last queued one, with mu held,
// waiting while the ring is full. The caller fills it in place and calls
// queued, which releases mu.
func (a *asyncJournal) slot() (*asyncOp, error) {
	a.mu.Lock()
	for a.n == len(a.ring) && !a.closed {
		a.poke()
		a.space.Wait()
	}
	if a.closed {
		a.mu.Unlock()
		return nil, errJournalClosed
	}
	i := a.head + a.n
	if i >= len(a.ring) {
		i -= len(a.ring)
	}
	return &a.ring[i], nil
}

// queued adds the record slot returned, filled with a write of kind, to
// the queue and releases mu.
func (a *asyncJournal) queued(kind opKind) {
	a.n++
	if a.n == len(a.ring)/2 || a.n == len(a.ring) || kind == opFlush {
		a.poke()
	}
	a.mu.Unlock()
}

// poke wakes the writer without waiting.
func (a *asyncJournal) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *asyncJournal) failed() error {
	if p := a.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (a *asyncJournal) fail(err error) { a.err.CompareAndSwap(nil, &err) }

// NextClientOrderSeq implements engine.SeqSource with numbers from blocks
// the writer reserved in the journal ahead of need (aheadSeqs says why
// they are never reused); on the path it takes no lock and makes no
// journal call, unless the writer has fallen a whole block behind.
func (a *asyncJournal) NextClientOrderSeq(instance string) (uint64, error) {
	return a.seqs.next(instance)
}

// expect reserves client order numbers for the instances before their
// first orders (aheadSeqs.expect); the daemon calls it before trading.
func (a *asyncJournal) expect(specs ...engine.InstanceSpec) {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, s.Name)
	}
	a.seqs.expect(names...)
}

// RecordIntent implements engine.Journal. It queues the intent; an error
// means the writer failed earlier or is closed.
func (a *asyncJournal) RecordIntent(rec engine.OrderRecord) error {
	if err := a.failed(); err != nil {
		return fmt.Errorf("journal writer failed earlier: %w", err)
	}
	op, err := a.slot()
	if err != nil {
		return err
	}
	op.kind, op.instance, op.purpose, op.at, op.reason = opIntent, rec.Instance, rec.Purpose, rec.Time, rec.Reason
	op.order.OrderRequest = rec.Request
	a.queued(opIntent)
	return nil
}

// KeepIntent implements engine.IntentKeeper: RecordIntent without copying
// the request. The record queued is a pointer to the executor's own,
// which the writer reads later; on the order path that writes one
// pointer where a copy wrote about 250 bytes of a ring record the
// processor's caches had mostly lost.
func (a *asyncJournal) KeepIntent(rec *engine.OrderRecord) error {
	if err := a.failed(); err != nil {
		return fmt.Errorf("journal writer failed earlier: %w", err)
	}
	op, err := a.slot()
	if err != nil {
		return err
	}
	op.kind, op.kept = opIntent, rec
	a.queued(opIntent)
	return nil
}

// intentRecord is the journal's record of an intent op, as
// journalAdapter.RecordIntent makes it.
func intentRecord(op *asyncOp) journal.OrderRecord {
	instance, purpose, at, reason, req := op.instance, op.purpose, op.at, op.reason, &op.order.OrderRequest
	if k := op.kept; k != nil {
		instance, purpose, at, reason, req = k.Instance, k.Purpose, k.Time, k.Reason, &k.Request
	}
	rec := journal.OrderRecord{Instance: instance, Strategy: instance, Purpose: purpose, Reason: reason, IntentAt: at}
	rec.Order.OrderRequest = *req
	rec.Order.Status = journal.StatusInFlight
	return rec
}

// UpdateOrder implements engine.Journal; errors are logged by the writer.
func (a *asyncJournal) UpdateOrder(clientOrderID string, o exchange.Order) error {
	op, err := a.slot()
	if err != nil {
		return err
	}
	op.kind, op.clientOrderID, op.order = opUpdate, clientOrderID, o
	a.queued(opUpdate)
	return nil
}

// RecordFill implements engine.Journal. The fill's number is not known
// until it is written, after the guard booked it, so it returns 0: the
// counters of a paper run name no last fill (journalAdapter.numbersLate).
func (a *asyncJournal) RecordFill(instance string, f exchange.Fill) (uint64, error) {
	op, err := a.slot()
	if err != nil {
		return 0, err
	}
	if op.fill == nil {
		op.fill = new(exchange.Fill)
	}
	op.kind, op.instance, *op.fill = opFill, instance, f
	a.queued(opFill)
	return 0, nil
}

// SaveProgress implements engine.Journal. The orders and the strategy
// state are copied into the record's buffers (the instance reuses its
// slice once the call returns); the exit state, the instance's own copy,
// is encoded by the writer.
func (a *asyncJournal) SaveProgress(instance string, orders []exchange.Order, exitState exits.State, strategyState []byte) error {
	op, err := a.slot()
	if err != nil {
		return err
	}
	if op.exit == nil {
		op.exit = new(exits.State)
	}
	op.kind, op.instance, *op.exit = opProgress, instance, exitState
	op.orders = append(op.orders[:0], orders...)
	op.strategyState = append(op.strategyState[:0], strategyState...)
	op.hasStrategy = strategyState != nil
	a.queued(opProgress)
	return nil
}

// roundTrip queues a closed position for the journal; it is the engine's
// OnRoundTrip in paper mode. Errors are logged by the writer.
func (a *asyncJournal) roundTrip(rt position.RoundTrip) {
	op, err := a.slot()
	if err != nil {
		a.log.Error("journal round trip failed", "strategy", rt.Strategy, "error", err)
		return
	}
	if op.rt == nil {
		op.rt = new(position.RoundTrip)
	}
	op.kind, *op.rt = opRoundTrip, rt
	a.queued(opRoundTrip)
}

// Flush waits until every write queued before it is committed, or ctx
// ends. It returns the writer's sticky error, if any.
func (a *asyncJournal) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	op, err := a.slot()
	if err != nil {
		return err
	}
	op.kind, op.flushed = opFlush, ch
	a.queued(opFlush)
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

// run is the writer: every interval, or when poked, it writes what is
// queued, in order, giving the records back as it goes, then reserves
// client order numbers ahead, until the journal is closed and the queue
// written.
func (a *asyncJournal) run(interval time.Duration) {
	defer close(a.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.wake:
		}
		a.mu.Lock()
		head, n, closed := a.head, a.n, a.closed
		a.mu.Unlock()
		for n > 0 {
			// A contiguous part of the ring, one transaction's worth at
			// most, so that waiting senders get room early.
			k := min(n, asyncMaxBatch, len(a.ring)-head)
			ops := a.ring[head : head+k]
			a.write(ops)
			for i := range ops {
				ops[i].reset()
			}
			if head += k; head == len(a.ring) {
				head = 0
			}
			n -= k
			a.mu.Lock()
			a.head, a.n = head, a.n-k
			if a.n == 0 {
				// Start again at the front: the records used last are
				// the ones in the processor's cache.
				a.head = 0
			}
			a.space.Broadcast()
			a.mu.Unlock()
		}
		if !closed {
			a.seqs.reserveAhead()
		}
		// Flushes are answered once the writer is idle again, so that a
		// flushed writer uses no CPU and no journal until its next write.
		for _, ch := range a.flushes {
			close(ch)
		}
		clear(a.flushes)
		a.flushes = a.flushes[:0]
		if closed {
			return // nothing is queued after closed is set
		}
	}
}

// write commits ops, in order, in one transaction: one commit for up to
// asyncMaxBatch writes of every kind, instead of one per run of a kind
// (a paper order's intent, acknowledgement, fill, progress and round trip
// used to take four). One write's error does not spoil the others (see
// journal.Batch): it is logged, as the engine does with the synchronous
// journal, and an intent's error is sticky (fail). A progress stays all
// or nothing on its own (Batch.Atomic).
func (a *asyncJournal) write(ops []asyncOp) {
	writes := 0
	for i := range ops {
		// A flush is answered whatever becomes of the writes (a failed
		// commit is the sticky error the flush returns), so it is not
		// left waiting when the transaction cannot even begin.
		if ops[i].kind == opFlush {
			a.flushes = append(a.flushes, ops[i].flushed)
		} else {
			writes++
		}
	}
	if writes == 0 {
		return
	}
	err := a.j.Batch(func(b *journal.Batch) error {
		for i := range ops {
			op := &ops[i]
			var err error
			switch op.kind {
			case opIntent:
				rec := intentRecord(op)
				if err := b.RecordIntent(rec); err != nil {
					a.log.Error("journal intent failed", "client_order_id", rec.Order.ClientOrderID, "error", err)
					a.fail(err)
				}
			case opUpdate:
				err = b.UpdateOrder(op.clientOrderID, op.order)
			case opFill:
				_, err = b.RecordFill(op.instance, *op.fill)
			case opProgress:
				a.writeProgress(b, op)
			case opRoundTrip:
				if _, err := b.RecordRoundTrip(roundTripRecord(*op.rt)); err != nil {
					a.log.Error("journal round trip failed", "strategy", op.rt.Strategy, "error", err)
				}
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
		// What the writer thinks saved was not: write every progress again.
		clear(a.saved)
	}
}

// writeProgress encodes the instance's exit state and writes its
// progress, all or nothing, unless it changes nothing that the journal
// does not already hold.
func (a *asyncJournal) writeProgress(b *journal.Batch, op *asyncOp) {
	a.encBuf.Reset()
	if err := a.enc.Encode(op.exit); err != nil {
		a.log.Error("journal: exit state does not encode", "strategy", op.instance, "error", err)
		return
	}
	exitJSON := bytes.TrimSuffix(a.encBuf.Bytes(), []byte("\n")) // as json.Marshal makes it
	var strat []byte
	if op.hasStrategy {
		strat = op.strategyState
	}
	last := a.saved[op.instance]
	if len(op.orders) == 0 && last != nil && bytes.Equal(last.exit, exitJSON) && bytes.Equal(last.strategy, strat) &&
		(last.strategy == nil) == (strat == nil) {
		return
	}
	if err := b.Atomic(func(b *journal.Batch) error {
		return writeProgress(b, op.instance, op.orders, op.exit, exitJSON, strat)
	}); err != nil {
		a.log.Error("journal: saving progress failed", "strategy", op.instance, "error", err)
		delete(a.saved, op.instance)
		return
	}
	if last == nil {
		last = &savedProgress{}
		a.saved[op.instance] = last
	}
	last.exit = append(last.exit[:0], exitJSON...)
	last.strategy = nil
	if strat != nil {
		last.strategy = append([]byte{}, strat...)
	}
}

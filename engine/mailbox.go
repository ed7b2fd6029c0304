package engine

import (
	"sync"
	"sync/atomic"

	"github.com/tradebot/tradebot/exchange"
)

// Mailbox is a strategy instance's inbox. It holds two kinds of item:
//
//   - ticks, of which it keeps only the latest per product and kind: a
//     strategy slower than the feed skips ticks rather than stall the feed
//     or another strategy (docs/INVARIANTS.md invariant 5); each replaced tick is
//     counted as conflated;
//   - messages (order events, commands), which are never dropped and are
//     delivered in order, before any tick that is waiting.
//
// Put never blocks. One goroutine (the instance's) takes from it.
type Mailbox struct {
	mu       sync.Mutex
	ticks    []exchange.Tick // one slot per (product, kind), in arrival order of the slot
	messages []message
	wake     chan struct{}
	// busy mirrors len(messages)+len(ticks) > 0; it is written only
	// with mu held, so that an empty mailbox is seen without the lock
	// (the backtest's Step and Drain look at every instance per tick).
	busy atomic.Bool
	// conflated counts ticks replaced before they were taken.
	conflated atomic.Uint64
}

// message is an order event for the instance or a command to run on the
// instance's goroutine.
type message struct {
	event   *exchange.OrderEvent
	purpose exchange.Purpose
	command func()
	// afterRound runs once the round of processing that took it is over,
	// ticks included (WaitIdle).
	afterRound func()
}

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox {
	return &Mailbox{wake: make(chan struct{}, 1)}
}

// PutTick stores t as the latest tick of its product and kind.
func (m *Mailbox) PutTick(t exchange.Tick) {
	m.mu.Lock()
	replaced := false
	for i := range m.ticks {
		if m.ticks[i].ProductID == t.ProductID && m.ticks[i].Kind == t.Kind {
			m.ticks[i] = t
			replaced = true
			break
		}
	}
	if !replaced {
		m.ticks = append(m.ticks, t)
	}
	m.busy.Store(true)
	m.mu.Unlock()
	if replaced {
		m.conflated.Add(1)
	}
	m.signal()
}

func (m *Mailbox) putMessage(msg message) {
	m.mu.Lock()
	m.messages = append(m.messages, msg)
	m.busy.Store(true)
	m.mu.Unlock()
	m.signal()
}

func (m *Mailbox) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Wake returns a channel that receives when the mailbox may hold items.
func (m *Mailbox) Wake() <-chan struct{} { return m.wake }

// take moves everything waiting into the given buffers and returns them:
// messages first, then ticks ordered by time so that a trade and a quote
// of one product stay in the order they happened.
func (m *Mailbox) take(msgs []message, ticks []exchange.Tick) ([]message, []exchange.Tick) {
	if !m.busy.Load() {
		return msgs, ticks
	}
	m.mu.Lock()
	msgs = append(msgs, m.messages...)
	ticks = append(ticks, m.ticks...)
	clear(m.messages)
	m.messages = m.messages[:0]
	m.ticks = m.ticks[:0]
	m.busy.Store(false)
	m.mu.Unlock()
	if len(ticks) == 2 && ticks[1].Time.Before(ticks[0].Time) {
		ticks[0], ticks[1] = ticks[1], ticks[0]
	} else if len(ticks) > 2 {
		sortTicks(ticks)
	}
	return msgs, ticks
}

func sortTicks(ts []exchange.Tick) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Time.Before(ts[j-1].Time); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// pending reports whether anything waits in the mailbox.
func (m *Mailbox) pending() bool { return m.busy.Load() }

// Conflated returns how many ticks were replaced before being taken.
func (m *Mailbox) Conflated() uint64 { return m.conflated.Load() }

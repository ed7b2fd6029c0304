package engine

import (
	"strconv"
	"strings"
	"sync"
)

// SeqSource hands out an instance's order sequence numbers. The journal
// implements it durably, so an id is never reused across a crash.
type SeqSource interface {
	NextClientOrderSeq(instance string) (uint64, error)
}

// memorySeq numbers orders in memory, for runs without a journal (paper
// without a state directory, backtests): deterministic from 1.
type memorySeq struct {
	mu  sync.Mutex
	seq map[string]uint64
}

func (m *memorySeq) NextClientOrderSeq(instance string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seq == nil {
		m.seq = map[string]uint64{}
	}
	m.seq[instance]++
	return m.seq[instance], nil
}

// ClientOrderID formats the id of an instance's n-th order. It is
// deterministic and assigned before the first attempt, and every retry of
// that order reuses it (docs/INVARIANTS.md invariant 2); the instance name in it
// routes the venue's events back to the instance after a restart.
func ClientOrderID(instance string, seq uint64) string {
	// fmt.Sprintf("%s-%08d", instance, seq), in one allocation instead of
	// Sprintf's boxing and formatting: a backtest numbers every entry it
	// decides, thousands a month even when the guard refuses them.
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], seq, 10)
	const width = 8
	var b strings.Builder
	b.Grow(len(instance) + 1 + max(width, len(d)))
	b.WriteString(instance)
	b.WriteByte('-')
	for range width - len(d) {
		b.WriteByte('0')
	}
	b.Write(d)
	return b.String()
}

// InstanceOf returns the instance name in a client order id made by
// ClientOrderID, or "" for an id tradebot did not make (a manual order).
func InstanceOf(clientOrderID string) string {
	i := strings.LastIndexByte(clientOrderID, '-')
	if i <= 0 {
		return ""
	}
	if _, err := strconv.ParseUint(clientOrderID[i+1:], 10, 64); err != nil {
		return ""
	}
	return clientOrderID[:i]
}

package journal

import (
	"fmt"
	"sync"
)

// SeqBlock is how many client-order-id sequence numbers one durable write
// reserves. Numbers are handed out from memory until the block is used
// up, so only one order in SeqBlock pays for the counter's fsync; a crash
// skips what was left of the block, which is allowed (ids are unique, not
// dense).
const SeqBlock = 64

// seqCache holds, per instance, the reserved numbers not yet handed out.
type seqCache struct {
	mu     sync.Mutex
	blocks map[string]*seqRange
}

type seqRange struct{ next, last uint64 }

// NextClientOrderSeq returns the next sequence number for the instance's
// client order ids. Numbers strictly increase and are never handed out
// twice, across crashes and power loss included: a block is on stable
// storage (synchronous=FULL) before its first number is returned.
//
// A block never starts below the journal clock's Unix time in
// milliseconds. That keeps numbers unique across journals too: when a
// damaged journal is replaced by a new one, the new one's numbers start
// above anything the old one handed out (unless it averaged more than one
// order per millisecond), so no client order id is reused. A reused id
// would be fatal: Coinbase answers a repeated client_order_id with the
// existing order, so a new decision would silently become an old order.
func (j *Journal) NextClientOrderSeq(instance string) (uint64, error) {
	if instance == "" {
		return 0, fmt.Errorf("journal %s: client order sequence: empty instance", j.path)
	}
	j.seq.mu.Lock()
	defer j.seq.mu.Unlock()
	r := j.seq.blocks[instance]
	if r == nil || r.next > r.last {
		first, err := j.reserveSeqs(instance, SeqBlock)
		if err != nil {
			return 0, err
		}
		if j.seq.blocks == nil {
			j.seq.blocks = make(map[string]*seqRange)
		}
		r = &seqRange{next: first, last: first + SeqBlock - 1}
		j.seq.blocks[instance] = r
	}
	n := r.next
	r.next++
	return n, nil
}

// ReserveClientOrderSeqs reserves n consecutive sequence numbers for the
// instance's client order ids, first to first+n-1, durably (synchronous=
// FULL) before it returns: a caller that hands them out itself, without a
// call per number, never hands out a number twice, across crashes
// included. The numbers are above every number reserved before, by this
// method or by NextClientOrderSeq, and follow the same clock rule; what a
// caller leaves unused is skipped, never reused.
func (j *Journal) ReserveClientOrderSeqs(instance string, n int) (first uint64, err error) {
	if instance == "" {
		return 0, fmt.Errorf("journal %s: client order sequence: empty instance", j.path)
	}
	if n < 1 {
		return 0, fmt.Errorf("journal %s: reserve %d client order numbers for %s: want at least one", j.path, n, instance)
	}
	return j.reserveSeqs(instance, n)
}

// reserveSeqs raises the instance's durable counter by n and returns the
// first number of the range it reserved.
func (j *Journal) reserveSeqs(instance string, n int) (uint64, error) {
	j.writeMu.Lock()
	var last int64
	err := j.stmts.reserveSeq.QueryRow(instance, max(j.now().UnixMilli(), 0), n).Scan(&last)
	j.writeMu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("journal %s: reserve client order sequence for %s: %w", j.path, instance, err)
	}
	return uint64(last) - uint64(n) + 1, nil
}

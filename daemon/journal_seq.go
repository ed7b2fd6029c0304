package daemon

import (
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
)

// aheadSeqs hands out each instance's client order numbers from blocks
// that the paper journal's writer reserved in the journal ahead of need,
// so that the order path takes a number with two atomic operations: no
// lock, no journal call, no system call.
//
// Why numbers are never reused. Every block is reserved durably in the
// journal (journal.ReserveClientOrderSeqs: on disk before it returns)
// before any of its numbers is handed out, and each reservation is above
// every earlier one; a restart reserves above what the last run reserved,
// so the numbers the last run held but did not use are skipped. Blocks
// are reserved under the instance's mutex, by the writer (ahead) or, when
// the writer has fallen behind, by the path itself, so an instance's
// numbers strictly increase.
type aheadSeqs struct {
	// reserve is journal.ReserveClientOrderSeqs.
	reserve func(instance string, n int) (first uint64, err error)
	block   int // numbers per block
	log     *slog.Logger

	// byInstance is replaced, never changed, under mu, so that the path
	// reads it without a lock.
	byInstance atomic.Pointer[map[string]*instanceSeqs]
	mu         sync.Mutex
	// failing is set while reserving ahead fails, so that the failure is
	// logged once, not every asyncInterval.
	failing atomic.Bool
}

// instanceSeqs is one instance's numbers: the block being handed out and
// the next one, reserved ahead.
type instanceSeqs struct {
	cur   atomic.Pointer[seqBlock]
	ahead atomic.Pointer[seqBlock]
	// mu serialises the reservations of the instance's blocks and the
	// switch from an empty block to the next.
	mu sync.Mutex
}

// seqBlock is a reserved range of numbers, next up to end (excluded).
// next only grows; a number at or past end is not handed out.
type seqBlock struct {
	next atomic.Uint64
	end  uint64
}

func newSeqBlock(first uint64, n int) *seqBlock {
	b := &seqBlock{end: first + uint64(n)}
	b.next.Store(first)
	return b
}

// take returns the block's next number, or false when it is used up.
func (b *seqBlock) take() (uint64, bool) {
	if b == nil {
		return 0, false
	}
	n := b.next.Add(1) - 1
	return n, n < b.end
}

// next returns the instance's next number. It is safe for concurrent
// use, though the engine calls it from the instance's goroutine only.
func (s *aheadSeqs) next(instance string) (uint64, error) {
	is := s.instance(instance)
	if n, ok := is.cur.Load().take(); ok {
		return n, nil
	}
	return s.nextBlock(instance, is)
}

// nextBlock moves the instance to its block reserved ahead, or reserves
// one now if the writer has not (the first order of an instance, or a
// burst faster than the writer), and takes a number from it.
func (s *aheadSeqs) nextBlock(instance string, is *instanceSeqs) (uint64, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	for {
		// Another caller may have moved to the next block meanwhile.
		if n, ok := is.cur.Load().take(); ok {
			return n, nil
		}
		b := is.ahead.Swap(nil)
		if b == nil {
			first, err := s.reserve(instance, s.block)
			if err != nil {
				return 0, err
			}
			b = newSeqBlock(first, s.block)
		}
		is.cur.Store(b)
	}
}

// instance returns the instance's numbers, adding the instance on its
// first call.
func (s *aheadSeqs) instance(name string) *instanceSeqs {
	if m := s.byInstance.Load(); m != nil {
		if is := (*m)[name]; is != nil {
			return is
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.byInstance.Load()
	if old != nil {
		if is := (*old)[name]; is != nil {
			return is
		}
	}
	m := make(map[string]*instanceSeqs)
	if old != nil {
		maps.Copy(m, *old)
	}
	is := &instanceSeqs{}
	m[name] = is
	s.byInstance.Store(&m)
	return is
}

// expect reserves the instances' first blocks now, before their first
// orders, which would otherwise wait for the reservation's fsync.
func (s *aheadSeqs) expect(instances ...string) {
	for _, name := range instances {
		s.instance(name)
	}
	s.reserveAhead()
}

// reserveAhead gives every known instance a block reserved ahead, if it
// has none; the writer calls it between writes.
func (s *aheadSeqs) reserveAhead() {
	m := s.byInstance.Load()
	if m == nil {
		return
	}
	for name, is := range *m {
		if is.ahead.Load() != nil {
			continue
		}
		is.mu.Lock()
		if is.ahead.Load() == nil {
			first, err := s.reserve(name, s.block)
			if err != nil {
				// The path reserves itself when it needs a block and
				// meets the error there.
				if !s.failing.Swap(true) {
					s.log.Error("journal: reserving client order numbers ahead failed", "strategy", name, "error", err)
				}
				is.mu.Unlock()
				continue
			}
			s.failing.Store(false)
			is.ahead.Store(newSeqBlock(first, s.block))
		}
		is.mu.Unlock()
	}
}

// reservedUpTo is the highest number reserved for the instance so far,
// handed out or not (0 if none), for tests.
func (s *aheadSeqs) reservedUpTo(instance string) uint64 {
	is := s.instance(instance)
	is.mu.Lock()
	defer is.mu.Unlock()
	for _, b := range []*seqBlock{is.ahead.Load(), is.cur.Load()} {
		if b != nil {
			return b.end - 1
		}
	}
	return 0
}

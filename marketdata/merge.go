package marketdata

import (
	"container/heap"
	"errors"
	"io"

	"github.com/tradebot/tradebot/exchange"
)

// Merge returns a TickSource that interleaves several sources by tick
// Time, for a backtest over one file per product or a capture split
// across files. Each source must itself be in time order. Ticks with
// equal times come in the order of the sources as given, so a merge is
// deterministic. The first error of any source ends the merge.
func Merge(sources ...TickSource) TickSource {
	return &merged{sources: sources}
}

type merged struct {
	sources []TickSource
	heads   tickHeap
	started bool
	err     error
}

type headTick struct {
	tick exchange.Tick
	src  int
}

// tickHeap orders the next tick of every source by time, then source.
type tickHeap []headTick

func (h tickHeap) Len() int { return len(h) }
func (h tickHeap) Less(i, j int) bool {
	if !h[i].tick.Time.Equal(h[j].tick.Time) {
		return h[i].tick.Time.Before(h[j].tick.Time)
	}
	return h[i].src < h[j].src
}
func (h tickHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *tickHeap) Push(x any)   { *h = append(*h, x.(headTick)) }
func (h *tickHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// pull reads the next tick of source i onto the heap.
func (m *merged) pull(i int) error {
	t, err := m.sources[i].Next()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	heap.Push(&m.heads, headTick{tick: t, src: i})
	return nil
}

// Next returns the earliest pending tick of all sources, or io.EOF once
// every source is exhausted.
func (m *merged) Next() (exchange.Tick, error) {
	if m.err != nil {
		return exchange.Tick{}, m.err
	}
	if !m.started {
		m.started = true
		for i := range m.sources {
			if err := m.pull(i); err != nil {
				m.err = err
				return exchange.Tick{}, err
			}
		}
	}
	if len(m.heads) == 0 {
		return exchange.Tick{}, io.EOF
	}
	h := heap.Pop(&m.heads).(headTick)
	if err := m.pull(h.src); err != nil {
		m.err = err
		return exchange.Tick{}, err
	}
	return h.tick, nil
}

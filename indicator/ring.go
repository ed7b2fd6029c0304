package indicator

// ring is a fixed window of the last n values, allocated once.
type ring struct {
	buf  []float64
	next int // index the next push writes
	n    int // values held, at most len(buf)
}

func newRing(size int) ring { return ring{buf: make([]float64, size)} }

// push adds x and returns the value it pushed out of a full window (0 and
// false while the window fills).
func (r *ring) push(x float64) (old float64, full bool) {
	full = r.n == len(r.buf)
	old = r.buf[r.next]
	r.buf[r.next] = x
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
	}
	if !full {
		r.n++
	}
	return old, full
}

// ago returns the value pushed k pushes ago (0 is the latest); k < n.
func (r *ring) ago(k int) float64 {
	i := r.next - 1 - k
	if i < 0 {
		i += len(r.buf)
	}
	return r.buf[i]
}

func (r *ring) full() bool { return r.n == len(r.buf) }

// clear empties the window, keeping its buffer.
func (r *ring) clear() { r.next, r.n = 0, 0 }

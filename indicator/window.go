package indicator

// extreme is the maximum (sign 1) or minimum (sign -1) of the last n
// values, kept as a monotonic queue in arrays allocated once: each value is
// pushed and popped at most once, so a push is amortized O(1).
type extreme struct {
	sign float64
	n    int
	seen int       // values pushed so far
	at   []int     // position (seen count) of each queued value
	val  []float64 // queued values times sign, decreasing from head
	head int
	size int
}

func newMax(n int) extreme {
	return extreme{sign: 1, n: n, at: make([]int, n), val: make([]float64, n)}
}
func newMin(n int) extreme {
	return extreme{sign: -1, n: n, at: make([]int, n), val: make([]float64, n)}
}

func (e *extreme) push(x float64) {
	v := x * e.sign
	// The window after this push starts at position seen-n+1: drop what
	// leaves it first, so that the queue never holds more than n values.
	if e.size > 0 && e.at[e.head] <= e.seen-e.n {
		e.head = (e.head + 1) % e.n
		e.size--
	}
	for e.size > 0 {
		back := (e.head + e.size - 1) % e.n
		if e.val[back] > v {
			break
		}
		e.size--
	}
	tail := (e.head + e.size) % e.n
	e.at[tail], e.val[tail] = e.seen, v
	e.size++
	e.seen++
}

// value is the extreme of the window (of what was seen while it fills).
func (e *extreme) value() float64 { return e.val[e.head] * e.sign }

func (e *extreme) full() bool { return e.seen >= e.n }

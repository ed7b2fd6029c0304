package strategy

// window is a fixed-size ring of the latest float values with a running sum.
type window struct {
	vals []float64
	next int
	n    int
	sum  float64
}

func newWindow(size int) *window { return &window{vals: make([]float64, size)} }

func (w *window) push(v float64) {
	if w.n == len(w.vals) {
		w.sum -= w.vals[w.next]
	} else {
		w.n++
	}
	w.vals[w.next] = v
	w.sum += v
	w.next = (w.next + 1) % len(w.vals)
}

func (w *window) full() bool { return w.n == len(w.vals) }

func (w *window) mean() float64 { return w.sum / float64(w.n) }

func (w *window) max() float64 {
	m := w.vals[0]
	for _, v := range w.vals[:w.n] {
		if v > m {
			m = v
		}
	}
	return m
}

func (w *window) min() float64 {
	m := w.vals[0]
	for _, v := range w.vals[:w.n] {
		if v < m {
			m = v
		}
	}
	return m
}

// values returns the window's values, oldest first, for state snapshots.
func (w *window) values() []float64 {
	out := make([]float64, 0, w.n)
	start := w.next - w.n
	if start < 0 {
		start += len(w.vals)
	}
	for i := 0; i < w.n; i++ {
		out = append(out, w.vals[(start+i)%len(w.vals)])
	}
	return out
}

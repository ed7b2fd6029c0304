package indicator

import "testing"

// sink keeps the benchmarked values alive.
var sink float64

// BenchmarkUpdate measures one Update and one read of each indicator's
// value, with its default parameters, on a warmed-up window.
func BenchmarkUpdate(b *testing.B) {
	cs := walk(4096, 3)
	for _, s := range Specs() {
		b.Run(s.Name, func(b *testing.B) {
			ind, _ := New(s.Name)
			for _, c := range cs {
				ind.Update(c)
			}
			b.ReportAllocs()
			b.ResetTimer()
			sum := 0.0
			for i := 0; i < b.N; i++ {
				ind.Update(cs[i&4095])
				sum += ind.Value()
			}
			sink = sum
		})
	}
}

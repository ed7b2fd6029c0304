package indicator

import "testing"

// BenchmarkUpdate measures one Update of each indicator with its default
// parameters on a warmed-up window.
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
			for i := 0; i < b.N; i++ {
				ind.Update(cs[i&4095])
			}
		})
	}
}

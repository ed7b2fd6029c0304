package exchange

import "testing"

// BenchmarkDust is the minimum-order rule as dca, grid and the exits ask
// it on a trade: a position of 0.01 BTC at 60,000.01.
func BenchmarkDust(b *testing.B) {
	size, price := d("0.01"), d("60000.01")
	b.ReportAllocs()
	for b.Loop() {
		if btcUSD.Dust(size, price) {
			b.Fatal("0.01 BTC at 60,000.01 is dust")
		}
	}
}

// BenchmarkDustDecimal is the same rule the decimal way (round down,
// then compare), the way Dust falls back to and dca took before it:
// the baseline.
func BenchmarkDustDecimal(b *testing.B) {
	size, price := d("0.01"), d("60000.01")
	b.ReportAllocs()
	for b.Loop() {
		if btcUSD.belowMinimum(btcUSD.RoundSize(size), price) != nil {
			b.Fatal("0.01 BTC at 60,000.01 is dust")
		}
	}
}

package indicator

import "testing"

// TestCloseReadersReadOnlyTheClose: an indicator said to read only the
// close gives the same outputs, bar for bar, when the open, high, low and
// volume are changed (zeroed, as bars built from closes alone have them);
// every other one reads something else.
func TestCloseReadersReadOnlyTheClose(t *testing.T) {
	cs := walk(400, 3)
	bare := make([]Candle, len(cs))
	for i, c := range cs {
		bare[i] = Candle{Open: c.Close, High: c.Close, Low: c.Close, Close: c.Close}
	}
	readers := 0
	for _, s := range Specs() {
		full, _ := New(s.Name)
		closes, _ := New(s.Name)
		same := true
		for i := range cs {
			full.Update(cs[i])
			closes.Update(bare[i])
			a, b := outputs(full), outputs(closes)
			for j := range a {
				if a[j] != b[j] {
					same = false
				}
			}
		}
		if ReadsOnlyClose(full) {
			readers++
			if !same {
				t.Errorf("%s is said to read only the close, but its values change with the high, low or volume", s.Name)
			}
		} else if same {
			t.Errorf("%s reads only the close: say so (readsOnlyClose)", s.Name)
		}
	}
	if readers < 10 {
		t.Errorf("%d indicators read only the close, want the 10 moving averages and oscillators of the close", readers)
	}
}

package risk

import (
	"fmt"
	"testing"
	"time"
)

// lossScenario holds a position, lets the market fall through the daily
// loss limit while another strategy asks to enter on every tick, and
// returns each decision, the state and the state changes the listener saw.
func lossScenario(t *testing.T, single bool) []string {
	f := newFixture(t, func(c *Config) {
		c.Loss.DailyLoss.Limit = d("50")
		c.Loss.DailyLoss.Action = Halted
	})
	if single {
		f.g.SingleGoroutine()
	}
	var out []string
	f.hold("s1", "AAA-USD", "10", "100")
	for _, p := range []string{"99.5", "99", "97", "95.01", "95", "94", "96"} {
		f.advance(time.Second)
		f.trade("AAA-USD", p)
		dec, r := f.g.Check(buy("s2", "BBB-USD", "1", "100"))
		if r != nil {
			f.g.Release(r)
		}
		out = append(out, fmt.Sprintf("%s: allowed %v rule %q state %s daily %s", p, dec.Allowed, dec.Rule, f.g.State(), f.g.DailyPnL()))
	}
	return append(out, fmt.Sprintf("last change %+v", f.lastChange()))
}

func TestSingleGoroutineGuardDecidesAsALockedOne(t *testing.T) {
	want := lossScenario(t, false)
	got := lossScenario(t, true)
	if want[len(want)-1] == fmt.Sprintf("last change %+v", stateChange{}) {
		t.Fatalf("the scenario never changed the state: %v", want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d: single goroutine %q, locked %q", i, got[i], want[i])
		}
	}
}

// TestAMarkEqualInValueKeepsItsForm: the mark of a product moves only when
// its value changes, whether the product is held (each holder revalued)
// or flat (the shortcut that skips the comparison when the exponents
// match); a market price estimate therefore reads the same either way.
func TestAMarkEqualInValueKeepsItsForm(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "BBB-USD", "1", "100")
	for _, c := range []struct{ price, want string }{
		{"100.0", "100e0"},
		{"100.5", "1005e-1"},
		{"100.50", "1005e-1"},
		{"100.51", "10051e-2"},
		{"100.510", "10051e-2"},
		{"101", "101e0"},
	} {
		for _, id := range []string{"AAA-USD", "BBB-USD"} {
			f.trade(id, c.price)
			f.g.mu.Lock()
			m := f.g.products[id].mark
			got := fmt.Sprintf("%se%d", m.Coefficient(), m.Exponent())
			f.g.mu.Unlock()
			if got != c.want {
				t.Errorf("%s after a trade at %s: mark %s, want %s", id, c.price, got, c.want)
			}
		}
	}
}

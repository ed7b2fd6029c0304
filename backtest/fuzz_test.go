package backtest

import (
	"strings"
	"testing"
)

// FuzzParseSweep: any --sweep text either parses into axes that each have
// a strategy, a path and non-empty values, or is refused; never a panic.
func FuzzParseSweep(f *testing.F) {
	for _, s := range []string{
		"btc-sma.params.fast=3,5,8;btc-sma.params.slow=10,20",
		"btc-breakout.exits.stop_loss.percent=0.5,1",
		"a.b=1;", "=", ";;", "x.y=,", "a.b.c=1,2,3;d.e=4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		axes, err := ParseSweep(spec)
		if err != nil {
			return
		}
		if len(axes) == 0 {
			t.Fatalf("%q parsed into no axes without an error", spec)
		}
		for _, a := range axes {
			if a.Strategy == "" && len(a.Path) == 0 || len(a.Values) == 0 {
				t.Fatalf("%q: axis %+v", spec, a)
			}
			for _, v := range a.Values {
				if v == "" || strings.ContainsAny(v, ",;") {
					t.Fatalf("%q: value %q", spec, v)
				}
			}
		}
	})
}

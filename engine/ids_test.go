package engine

import (
	"fmt"
	"math"
	"testing"
)

// TestClientOrderIDIsTheSprintfForm checks the id against the format it
// has always had ("%s-%08d"), which journals and the venue's orders of
// earlier versions hold: padded to eight digits, longer when the
// sequence needs more.
func TestClientOrderIDIsTheSprintfForm(t *testing.T) {
	for _, name := range []string{"", "btc-sma", "a-b-c"} {
		for _, seq := range []uint64{0, 1, 42, 9999999, 99999999, 100000000, 123456789012, math.MaxUint64} {
			want := fmt.Sprintf("%s-%08d", name, seq)
			if got := ClientOrderID(name, seq); got != want {
				t.Errorf("ClientOrderID(%q, %d) = %q, want %q", name, seq, got, want)
			}
			if name != "" && InstanceOf(want) != name {
				t.Errorf("InstanceOf(%q) = %q, want %q", want, InstanceOf(want), name)
			}
		}
	}
}

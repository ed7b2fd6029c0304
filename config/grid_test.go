package config

import (
	"errors"
	"strings"
	"testing"
)

const gridBase = `mode: paper
strategies:
  - name: grid
    type: grid
    product: BTC-USD
    size: {quote: 500}
    params: {lower: 40000, upper: 44000, levels: 9, stop_price: 38500}
    exits:
      placement: bot
`

// TestAGridsExitsAreItsOwnStop: a grid needs no exits.stop_loss (its
// params give the inventory's stop); one given beside it, or an exit that
// acts on the whole inventory, is refused with its field and line.
func TestAGridsExitsAreItsOwnStop(t *testing.T) {
	if _, err := Load("grid.yaml", []byte(gridBase), noEnv); err != nil {
		t.Fatalf("a grid without exits.stop_loss: %v", err)
	}
	for _, c := range []struct{ extra, field, words string }{
		{"      stop_loss: {percent: 2}\n", "strategies[0].exits.stop_loss", "remove exits.stop_loss"},
		{"      trailing_stop: {callback_percent: 1}\n", "strategies[0].exits.trailing_stop", "would sell them under it"},
	} {
		_, err := Load("grid.yaml", []byte(gridBase+c.extra), noEnv)
		var cerr *Error
		if !errors.As(err, &cerr) || len(cerr.Problems) != 1 || cerr.Problems[0].Field != c.field ||
			cerr.Problems[0].Line != 10 || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%q: %v, want one problem at line 10, field %s, saying %q", c.extra, err, c.field, c.words)
		}
	}
}

package config

import (
	"errors"
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
		t.Run(c.field, func(t *testing.T) {
			_, err := Load("grid.yaml", []byte(gridBase+c.extra), noEnv)
			checkProblems(t, "grid.yaml", err, []problemAt{{10, c.field, c.words}})
		})
	}
}

// Every refused exit of a grid is its own problem, listed at once (check
// used to stop at the first).
func TestAGridsRefusedExitsAreListedTogether(t *testing.T) {
	extra := "      take_profit: [{percent: 2}]\n      trailing_stop: {callback_percent: 1}\n      break_even: {trigger_percent: 1}\n"
	_, err := Load("grid.yaml", []byte(gridBase+extra), noEnv)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("a grid with three inventory exits: %v, want a config error", err)
	}
	fields := map[string]bool{}
	for _, p := range cerr.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"strategies[0].exits.take_profit", "strategies[0].exits.trailing_stop", "strategies[0].exits.break_even"} {
		if !fields[f] {
			t.Errorf("no problem for %s among %v", f, cerr.Problems)
		}
	}
}

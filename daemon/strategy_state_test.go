package daemon

import (
	"encoding/json"

	"github.com/tradebot/tradebot/strategy"
)

// fataler is what the state readers need of a test (*testing.T, *rapid.T).
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// journaledState is what a strategy's state (Stateful) says, as the
// journal keeps it and a restart reads it: the tests see a strategy's
// counts there rather than through methods exported for them.
type journaledState struct {
	SafetyBuys int  `json:"used"`   // dca: safety buys filled in the cycle
	Cycles     int  `json:"cycles"` // dca: cycles ended
	Sold       int  `json:"sold"`   // grid: lots sold one level up
	Stopped    bool `json:"stopped"`
}

func stateOf(t fataler, s strategy.Stateful) journaledState {
	t.Helper()
	b, err := s.MarshalState()
	var st journaledState
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		t.Fatalf("strategy state: %v", err)
	}
	return st
}

package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tradebot/tradebot/exits"
)

// A guard's refusal reads as it did when it was built with fmt.Errorf,
// and is still both ErrRiskRejected and exits.ErrNotSent.
func TestRiskRefusalIsAnErrRiskRejected(t *testing.T) {
	var err error = &RiskRefusal{Rule: "max_open_positions", Limit: "1", Value: "2"}
	want := fmt.Errorf("%w: %s (limit %s, value %s)", ErrRiskRejected, "max_open_positions", "1", "2").Error()
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if !errors.Is(err, ErrRiskRejected) || !errors.Is(err, exits.ErrNotSent) {
		t.Errorf("%v is not ErrRiskRejected and exits.ErrNotSent", err)
	}
}

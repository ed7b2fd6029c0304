package exchange

import "fmt"

// Purpose says why tradebot placed an order: to open or grow a position
// (Entry), or to protect or close one (Exit). A venue never sees it; the
// risk guard lets exits through its exposure limits (invariant 3 of
// docs/INVARIANTS.md), the engine routes an order's events by it, and the
// journal keeps it so that the difference survives a restart. The zero
// value is no purpose, which the journal refuses.
type Purpose uint8

// Purposes.
const (
	Entry Purpose = iota + 1
	Exit
)

// String returns "entry" or "exit", the words the journal stores and the
// logs print.
func (p Purpose) String() string {
	switch p {
	case Entry:
		return "entry"
	case Exit:
		return "exit"
	}
	return fmt.Sprintf("purpose(%d)", uint8(p))
}

// ParsePurpose reads what String wrote.
func ParsePurpose(s string) (Purpose, error) {
	switch s {
	case "entry":
		return Entry, nil
	case "exit":
		return Exit, nil
	}
	return 0, fmt.Errorf("purpose %q is neither %q nor %q", s, "entry", "exit")
}

package strategy

import (
	"fmt"
	"sort"
)

// Params is a strategy type's parameters, decoded from the `params:` block
// of a strategy instance in the config. Its yaml tags name the keys a user
// may write; any other key is an error.
type Params interface {
	// Validate lists every problem; each error's text starts with the
	// parameter's yaml key, then ": ".
	Validate() []error
	// Build makes a new strategy instance from valid parameters.
	Build() (Strategy, error)
}

// Type describes one strategy type in the registry.
type Type struct {
	// Name is what the config's `type:` says.
	Name string
	// Summary is a one-line description for `tradebot strategies`.
	Summary string
	// NewParams returns a pointer to the type's parameters holding their
	// defaults; the config is decoded over it.
	NewParams func() Params
}

var registry = map[string]Type{}

// Register adds a strategy type. It panics on a duplicate name, which is a
// programming error caught by any test.
func Register(t Type) {
	if _, dup := registry[t.Name]; dup {
		panic("strategy: duplicate type " + t.Name)
	}
	registry[t.Name] = t
}

// Lookup returns the strategy type with that name.
func Lookup(name string) (Type, error) {
	t, ok := registry[name]
	if !ok {
		return Type{}, fmt.Errorf("unknown strategy type %q (known: %v)", name, Names())
	}
	return t, nil
}

// Names returns the registered type names in order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

package indicator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
)

// Spec describes one indicator for the rules language, `tradebot
// strategies` and the docs.
type Spec struct {
	// Name is the name written in a rule: "rsi", "ema", "macd" ...
	Name string
	// Params are the positional arguments, in order.
	Params []Param
	// Outputs names the outputs of a MultiOutput indicator; nil for a
	// single output.
	Outputs []string
	// Doc is one line.
	Doc string
	// Overlay is set for an indicator whose values are prices (moving
	// averages, bands, trailing stops): a chart draws it over the price
	// rather than in a pane of its own.
	Overlay bool
}

// Param is one positional argument of an indicator.
type Param struct {
	Name    string
	Default float64
	Doc     string
}

// entry is a Spec with the constructor New calls once the arguments are
// checked.
type entry struct {
	spec  Spec
	kinds []kind // what each parameter accepts
	build func(a args) Indicator
}

// args are the checked arguments of New, read by position.
type args []float64

func (a args) int(i int) int { return int(a[i]) }

// kind says what values a parameter accepts.
type kind int

const (
	period   kind = iota // a whole number of bars >= 1
	count0               // a whole number >= 0
	positive             // a number > 0
	sessionH             // hours of a session: 0 (none) or a whole number dividing a day
)

// registry holds every indicator by name; filled by init functions only.
var registry = map[string]entry{}

// register adds an indicator; called from the init of each file.
func register(s Spec, kinds []kind, build func(a args) Indicator) {
	if len(kinds) != len(s.Params) {
		panic("indicator " + s.Name + ": a kind for each parameter")
	}
	registry[s.Name] = entry{spec: s, kinds: kinds, build: build}
}

// Specs returns every indicator, sorted by name.
func Specs() []Spec {
	out := make([]Spec, 0, len(registry))
	for _, e := range registry {
		out = append(out, e.spec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// New builds the indicator called name with the given positional
// arguments; missing trailing arguments take their defaults. The error
// names the indicator and the parameter.
func New(name string, argv ...float64) (Indicator, error) {
	e, ok := registry[name]
	if !ok {
		names := make([]string, 0, len(registry))
		for n := range registry {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("unknown indicator %q (known: %s)", echo.Cut(name), strings.Join(names, ", "))
	}
	ps := e.spec.Params
	if len(argv) > len(ps) {
		return nil, fmt.Errorf("indicator %s takes at most %d argument(s) (%s), got %d",
			name, len(ps), paramList(ps), len(argv))
	}
	a := make(args, len(ps))
	for i, p := range ps {
		v := p.Default
		if i < len(argv) {
			v = argv[i]
		}
		if err := check(e.kinds[i], v); err != "" {
			return nil, fmt.Errorf("indicator %s: %s (parameter %d) %s, got %s", name, p.Name, i+1, err, num(v))
		}
		a[i] = v
	}
	return e.build(a), nil
}

// maxPeriod bounds windows so that a typo cannot allocate gigabytes.
const maxPeriod = 100000

func check(k kind, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "must be a number"
	case k == period && (v != math.Trunc(v) || v < 1 || v > maxPeriod):
		return fmt.Sprintf("must be a whole number of bars from 1 to %d", maxPeriod)
	case k == count0 && (v != math.Trunc(v) || v < 0 || v > maxPeriod):
		return fmt.Sprintf("must be a whole number from 0 to %d", maxPeriod)
	case k == positive && v <= 0:
		return "must be more than 0"
	case k == sessionH && v != 0 && (v != math.Trunc(v) || v > 24 || !dividesDay(time.Duration(v)*time.Hour)):
		return "must be 0 (no session) or " + sessionHours + " hours"
	}
	return ""
}

func paramList(ps []Param) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

package strategy

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/indicator"
)

// ParamDoc describes one parameter of a strategy type.
type ParamDoc struct {
	Key     string // the yaml key under params:
	Default string // its default, as a config would write it
	Doc     string // what it means
}

// Describe returns the parameters of a strategy type, from the yaml and
// doc tags of its parameters and the defaults NewParams sets.
func (t Type) Describe() []ParamDoc {
	v := reflect.ValueOf(t.NewParams()).Elem()
	var out []ParamDoc
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		out = append(out, ParamDoc{Key: key, Default: defaultText(v.Field(i)), Doc: f.Tag.Get("doc")})
	}
	return out
}

func defaultText(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return strings.TrimSuffix(strings.TrimSuffix(x.String(), "0s"), "0m")
	case decimal.Decimal:
		if x.IsZero() {
			return "(none)"
		}
		return x.String()
	case Expr:
		if x.Src == "" {
			return "(none)"
		}
		return x.Src
	}
	if v.Kind() == reflect.Map || v.Kind() == reflect.Slice {
		if v.Len() == 0 {
			return "(none)"
		}
	}
	return fmt.Sprint(v.Interface())
}

// WriteCatalog writes every strategy type with its parameters, defaults
// and meanings, and the indicators rule strategies may use: the text of
// `tradebot strategies`.
func WriteCatalog(w io.Writer) {
	for _, n := range Names() {
		t := registry[n]
		fmt.Fprintf(w, "%s\n  %s\n", n, t.Summary)
		for _, p := range t.Describe() {
			fmt.Fprintf(w, "    %-14s %-10s %s\n", p.Key, p.Default, p.Doc)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "indicators for `type: rules` (name(parameters) = defaults; outputs read as name_output):")
	for _, s := range indicator.Specs() {
		var ps []string
		for _, p := range s.Params {
			ps = append(ps, fmt.Sprintf("%s=%s", p.Name, num(p.Default)))
		}
		line := fmt.Sprintf("  %s(%s)", s.Name, strings.Join(ps, ", "))
		if len(s.Outputs) > 0 {
			line += " -> " + strings.Join(s.Outputs, ", ")
		}
		fmt.Fprintf(w, "%-52s %s\n", line, s.Doc)
	}
}

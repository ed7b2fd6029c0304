package strategy

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tradebot/tradebot/internal/echo"
	"gopkg.in/yaml.v3"
)

func init() {
	Register(Type{
		Name:    "rules",
		Summary: "enter and leave on expressions over bars and indicators written in the config (no Go), e.g. entry: rsi < 30 && close > trend",
		NewParams: func() Params {
			return &RulesParams{Interval: 15 * time.Minute}
		},
	})
}

// RulesParams configures a rule strategy: its bars, its indicators and
// its entry and exit expressions (docs/STRATEGIES.md).
type RulesParams struct {
	// Interval is the length of the bars the rules read; they are
	// evaluated when one closes.
	Interval time.Duration `yaml:"interval" doc:"bar length; the rules run when a bar closes"`
	// Indicators name indicators for the expressions: `rsi: rsi(14)`, or
	// `trend4h: {of: ema(50), interval: 4h, product: ETH-USD}` for
	// another interval or product.
	Indicators map[string]IndicatorDecl `yaml:"indicators" doc:"name: call, e.g. rsi: rsi(14); or name: {of: ema(50), interval: 4h, product: ETH-USD}"`
	// Entry buys the instance's size when true while flat.
	Entry Expr `yaml:"entry" doc:"buys the instance size when true while flat, e.g. rsi < 30 && close > trend"`
	// Exit closes the position when true; empty leaves exits to the
	// instance's exits block.
	Exit Expr `yaml:"exit" doc:"sells the position when true, e.g. crossed_below(close, trend)"`
}

// Expr is an expression of a rule with where the config wrote it, so
// that its mistakes are reported at their line and column.
type Expr struct {
	Src          string
	Line, Column int
	// folded is set for a folded or literal block scalar, whose columns
	// cannot be mapped back to the file.
	folded bool
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (e *Expr) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be an expression, such as rsi < 30 && close > trend")
	}
	*e = Expr{Src: n.Value, Line: n.Line, Column: n.Column,
		folded: n.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		e.Column++ // the quote
		e.folded = strings.Contains(n.Value, "\n")
	}
	return nil
}

// IndicatorDecl is one named indicator of a rule strategy.
type IndicatorDecl struct {
	// Of is the indicator as a call: rsi(14), macd(12, 26, 9), obv.
	Of string `yaml:"of"`
	// Interval and Product default to the strategy's.
	Interval time.Duration `yaml:"interval"`
	Product  string        `yaml:"product"`
}

// UnmarshalYAML takes a call alone or the mapping form.
func (d *IndicatorDecl) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.Of = n.Value
		return nil
	}
	type plain IndicatorDecl
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "of", "interval", "product":
		default:
			return fmt.Errorf("line %d: unknown key %q (known: of, interval, product)", n.Content[i].Line, echo.Cut(k))
		}
	}
	*d = IndicatorDecl(p)
	return nil
}

// Validate implements Params: it compiles the rules, so that a typo is
// reported by `tradebot check` at its line and column.
func (p *RulesParams) Validate() []error {
	_, errs := p.build()
	return errs
}

// Build implements Params.
func (p *RulesParams) Build() (Strategy, error) {
	r, errs := p.build()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return r, nil
}

// build checks the interval and the entry, then compiles the rules.
func (p *RulesParams) build() (*Rules, []error) {
	errs := intervalOK(nil, p.Interval)
	if strings.TrimSpace(p.Entry.Src) == "" {
		errs = append(errs, errors.New("entry: an expression is needed, such as rsi < 30 && close > trend"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	r, err := compileRules(p, "")
	if err != nil {
		return nil, []error{err}
	}
	return r, nil
}

// sortedNames returns the indicator names in order.
func (p *RulesParams) sortedNames() []string {
	names := make([]string, 0, len(p.Indicators))
	for n := range p.Indicators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

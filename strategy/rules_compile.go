package strategy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/tradebot/tradebot/indicator"
	"github.com/tradebot/tradebot/internal/echo"
)

// maxPrevious bounds the previous values a rule may read (rsi[500]).
const maxPrevious = 500

// barSeries are the names of the rule bar's own values.
var barSeries = []string{"open", "high", "low", "close", "volume"}

// ruleFuncs are the functions a rule may call.
var ruleFuncs = []string{"crossed_above", "crossed_below"}

// identRE and callRE are compiled at first use, by the first rule
// strategy: every command's start-up runs the package's initialisation.
var (
	identRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z_][a-z0-9_]*$`) })
	callRE  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*([a-z_][a-z0-9_]*)\s*(?:\(([^()]*)\))?\s*$`)
	})
)

// series is one value a rule reads, with the previous values it needs.
type series struct {
	name string
	cur  float64
	// ring holds the previous values, the latest at pos-1; filled counts
	// those pushed, up to len(ring).
	ring   []float64
	pos    int
	filled int
	has    bool
}

func (s *series) set(v float64) {
	if n := len(s.ring); n > 0 && s.has {
		s.ring[s.pos] = s.cur
		s.pos = (s.pos + 1) % n
		s.filled = min(s.filled+1, n)
	}
	s.cur, s.has = v, true
}

func (s *series) prev(k int) float64 { return s.ring[(s.pos-k+len(s.ring))%len(s.ring)] }

func (s *series) ready() bool { return s.has && s.filled == len(s.ring) }

// ruleIndicator is one named indicator and the series of its outputs.
type ruleIndicator struct {
	ind   indicator.Indicator
	multi indicator.MultiOutput
	main  *series
	outs  []*series
}

// ruleBars is one bar subscription of a rule strategy and the indicators
// it updates.
type ruleBars struct {
	product  string // "" for the instance's
	interval time.Duration
	inds     []*ruleIndicator
}

// prevRef is a name a program reads, key in the env, and where its
// value comes from: the series' current value (k 0) or its value k bars
// before. Rules.refs holds the previous values (k > 0).
type prevRef struct {
	s   *series
	k   int
	key string
}

// program is a compiled expression and the names it reads.
type program struct {
	p    *vm.Program
	vars []prevRef
	// fast is the expression lowered to closures (rules_eval.go), nil
	// when it uses what does not lower.
	fast func() bool
}

// Rules is a compiled rule strategy.
type Rules struct {
	p       *RulesParams
	subs    []*ruleBars // subs[0] the rule's own bars
	bar     [5]*series  // open high low close volume
	series  map[string]*series
	inds    []*ruleIndicator
	refs    []prevRef
	env     map[string]any
	entry   *program
	exit    *program
	machine vm.VM
	reason  string
}

// compileRules builds and type-checks a rule strategy. An error names
// the field, the line and column in the config, and the names known.
func compileRules(p *RulesParams, product string) (*Rules, error) {
	r := &Rules{p: p, series: map[string]*series{}}
	r.subs = []*ruleBars{{interval: p.Interval}}
	for i, n := range barSeries {
		r.bar[i] = &series{name: n}
		r.series[n] = r.bar[i]
	}
	for _, name := range p.sortedNames() {
		d := p.Indicators[name]
		path := "indicators." + name
		switch {
		case !identRE().MatchString(name):
			return nil, fmt.Errorf("%s: the name must be lower-case letters, digits and _, starting with a letter", path)
		case r.series[name] != nil || slices.Contains(ruleFuncs, name):
			return nil, fmt.Errorf("%s: %s is already a name of the rules (%s, %s)", path, name,
				strings.Join(barSeries, " "), strings.Join(ruleFuncs, " "))
		}
		m := callRE().FindStringSubmatch(d.Of)
		if m == nil {
			return nil, fmt.Errorf("%s: %q is not an indicator call such as rsi(14) or macd(12, 26, 9)", path, echo.Cut(d.Of))
		}
		var args []float64
		if strings.TrimSpace(m[2]) != "" {
			for _, a := range strings.Split(m[2], ",") {
				v, err := strconv.ParseFloat(strings.TrimSpace(a), 64)
				if err != nil {
					return nil, fmt.Errorf("%s: argument %q of %s is not a number", path, echo.Cut(strings.TrimSpace(a)), m[1])
				}
				args = append(args, v)
			}
		}
		ind, err := indicator.New(m[1], args...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ri := &ruleIndicator{ind: ind, main: &series{name: name}}
		r.series[name] = ri.main
		if mo, ok := ind.(indicator.MultiOutput); ok {
			ri.multi = mo
			for _, o := range mo.Outputs() {
				s := &series{name: name + "_" + o}
				if r.series[s.name] != nil {
					return nil, fmt.Errorf("%s: its output %s clashes with another name", path, s.name)
				}
				r.series[s.name] = s
				ri.outs = append(ri.outs, s)
			}
		}
		iv, prod := d.Interval, d.Product
		if iv == 0 {
			iv = p.Interval
		}
		if iv < time.Second {
			return nil, fmt.Errorf("%s: interval must be at least 1s, got %s", path, iv)
		}
		if prod == product {
			prod = ""
		}
		sub := r.sub(prod, iv)
		sub.inds = append(sub.inds, ri)
		r.inds = append(r.inds, ri)
	}
	var err error
	if r.entry, err = r.compile("entry", p.Entry); err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Exit.Src) != "" {
		if r.exit, err = r.compile("exit", p.Exit); err != nil {
			return nil, err
		}
	}
	r.env = make(map[string]any, len(r.series)+len(r.refs))
	r.reason = "rule: " + echo.Cut(strings.Join(strings.Fields(p.Entry.Src), " "))
	return r, nil
}

// sub returns the bar subscription of product and interval, made if new.
func (r *Rules) sub(product string, iv time.Duration) *ruleBars {
	for _, s := range r.subs {
		if s.product == product && s.interval == iv {
			return s
		}
	}
	s := &ruleBars{product: product, interval: iv}
	r.subs = append(r.subs, s)
	return s
}

// compile type-checks one expression, which must be true or false.
// Previous values (rsi[1]) become names of their own and crossed_above
// and crossed_below comparisons of the current and previous values.
func (r *Rules) compile(field string, e Expr) (*program, error) {
	tree, err := parser.Parse(e.Src)
	if err != nil {
		return nil, r.exprError(field, e, err)
	}
	env := map[string]any{}
	for n := range r.series {
		env[n] = 0.0
	}
	var walkErr error
	ast.Walk(&tree.Node, visitor(func(n *ast.Node) {
		if call, ok := (*n).(*ast.CallNode); ok {
			if id, ok := call.Callee.(*ast.IdentifierNode); ok && slices.Contains(ruleFuncs, id.Value) {
				for _, a := range call.Arguments {
					if b, ok := r.before(a).(*ast.IdentifierNode); ok {
						env[b.Value] = 0.0
					}
				}
			}
		}
		if k, s, ok := r.previous(*n); ok && walkErr == nil {
			if k < 1 || k > maxPrevious {
				walkErr = fmt.Errorf("%s: %s[%d]: previous values go from [1] to [%d]", field, s.name, k, maxPrevious)
				return
			}
			env[r.ref(s, k)] = 0.0
		}
	}))
	if walkErr != nil {
		return nil, walkErr
	}
	prog, err := expr.Compile(e.Src, expr.Env(env), expr.AsBool(), expr.Patch(visitor(r.patch)))
	if err != nil {
		return nil, r.exprError(field, e, err)
	}
	// The names the program reads, the only ones set before a run.
	out := &program{p: prog}
	if f, ok := r.lowerBool(prog.Node()); ok {
		out.fast = f
	}
	seen := map[string]bool{}
	root := prog.Node()
	ast.Walk(&root, visitor(func(n *ast.Node) {
		id, ok := (*n).(*ast.IdentifierNode)
		if !ok || seen[id.Value] {
			return
		}
		seen[id.Value] = true
		if s, k, ok := r.lookup(id.Value); ok {
			out.vars = append(out.vars, prevRef{s: s, k: k, key: id.Value})
		}
	}))
	return out, nil
}

// visitor is a function as an ast.Visitor.
type visitor func(n *ast.Node)

func (v visitor) Visit(n *ast.Node) { v(n) }

// previous reports whether n reads a previous value, name[k].
func (r *Rules) previous(n ast.Node) (int, *series, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return 0, nil, false
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok {
		return 0, nil, false
	}
	k, ok := m.Property.(*ast.IntegerNode)
	if !ok || r.series[id.Value] == nil {
		return 0, nil, false
	}
	return k.Value, r.series[id.Value], true
}

// ref returns the env name of s's value k bars before, recording it and
// growing s's history as needed.
func (r *Rules) ref(s *series, k int) string {
	key := s.name + "[" + strconv.Itoa(k) + "]"
	for _, x := range r.refs {
		if x.key == key {
			return key
		}
	}
	if len(s.ring) < k {
		s.ring = make([]float64, k)
	}
	r.refs = append(r.refs, prevRef{s: s, k: k, key: key})
	return key
}

// patch rewrites previous values into their names and the cross
// functions into comparisons.
func (r *Rules) patch(n *ast.Node) {
	if k, s, ok := r.previous(*n); ok {
		ast.Patch(n, &ast.IdentifierNode{Value: s.name + "[" + strconv.Itoa(k) + "]"})
		return
	}
	call, ok := (*n).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok || !slices.Contains(ruleFuncs, id.Value) || len(call.Arguments) != 2 {
		return
	}
	a, b := call.Arguments[0], call.Arguments[1]
	pa, pb := r.before(a), r.before(b)
	if pa == nil || pb == nil {
		return // left for the checker to refuse: see crossArgs
	}
	now, was := ">", "<="
	if id.Value == "crossed_below" {
		now, was = "<", ">="
	}
	ast.Patch(n, &ast.BinaryNode{Operator: "&&",
		Left:  &ast.BinaryNode{Operator: now, Left: a, Right: b},
		Right: &ast.BinaryNode{Operator: was, Left: pa, Right: pb}})
}

// before returns the node of n's value one bar before: a name's [1], a
// number itself; nil for anything else.
func (r *Rules) before(n ast.Node) ast.Node {
	switch v := n.(type) {
	case *ast.IdentifierNode:
		if s := r.series[v.Value]; s != nil {
			return &ast.IdentifierNode{Value: r.ref(s, 1)}
		}
	case *ast.IntegerNode:
		return &ast.IntegerNode{Value: v.Value}
	case *ast.FloatNode:
		return &ast.FloatNode{Value: v.Value}
	}
	return nil
}

// exprError reports an expression's mistake at its line and column in
// the config, with the names a rule may use.
func (r *Rules) exprError(field string, e Expr, err error) error {
	msg := err.Error()
	where := ""
	if e.Line > 0 {
		where = fmt.Sprintf("line %d column %d: ", e.Line, e.Column)
	}
	var fe *file.Error
	if errors.As(err, &fe) && (fe.Line > 1 || fe.Column > 0 || fe.From > 0) {
		msg = fe.Message
		if e.Line > 0 {
			line, col := e.Line+fe.Line-1, fe.Column+1
			if fe.Line <= 1 {
				col += e.Column - 1
			}
			if e.folded {
				where = fmt.Sprintf("line %d (in the block), ", e.Line+fe.Line)
			} else {
				where = fmt.Sprintf("line %d column %d: ", line, col)
			}
		}
	}
	if strings.Contains(msg, "unknown name") || strings.Contains(msg, "unknown func") {
		msg += " (known: " + strings.Join(r.known(), " ") + "; name[1] is its value one bar before; functions: " +
			strings.Join(ruleFuncs, ", ") + " of two names or numbers)"
	}
	if strings.Contains(msg, "crossed_") || strings.Contains(msg, "unknown func") {
		msg = strings.ReplaceAll(msg, "unknown func", "crossed_above and crossed_below take two names or numbers; unknown func")
	}
	return fmt.Errorf("%s: %s%s", field, where, msg)
}

// known returns the names an expression may read, in order.
func (r *Rules) known() []string {
	names := slices.Clone(barSeries)
	var rest []string
	for n := range r.series {
		if !slices.Contains(barSeries, n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}

package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tradebot/tradebot/internal/echo"
	"github.com/tradebot/tradebot/strategy"
	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a config file, at a line when known.
type Problem struct {
	Line  int    // 1-based; 0 when the problem has no single line
	Field string // dotted yaml path, e.g. strategies[0].exits.stop_loss.percent
	Msg   string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem found in a config file. Load returns it so
// that a user fixes all mistakes in one go rather than one per start.
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config %s: %d problem(s):", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(e.File)
		b.WriteString(": ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Load decodes and validates a config document. name is used in messages.
// lookupEnv resolves ${NAME} references in scalar values (os.LookupEnv in
// the daemon, a map in tests). Unknown keys, type mismatches, unset
// variables and invalid values are all collected into one *Error.
func Load(name string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	l := &loader{lines: map[string]int{}, values: map[int][]valueAt{}, undecoded: map[int]bool{}}
	if p, ok := notUTF8(data); !ok {
		return nil, &Error{File: name, Problems: []Problem{p}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Problems: []Problem{syntaxProblem(err)}}
	}
	cfg := Default()
	if len(doc.Content) == 0 {
		return nil, &Error{File: name, Problems: []Problem{{Msg: "the file is empty"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		// A file that is not settings at all (a data file, a list): what
		// validation would add is about the defaults, not about the file.
		return nil, &Error{File: name, Problems: []Problem{{Line: root.Line,
			Msg: "the file is not a YAML mapping of settings (mode:, paper:, strategies: ...)"}}}
	}
	l.expandEnv(root, "", lookupEnv)
	l.checkKeys(root, reflect.TypeOf(cfg).Elem(), "")
	decoded := true
	if err := root.Decode(cfg); err != nil {
		l.addDecodeError(err)
		decoded = false
	}
	for i := range cfg.Strategies {
		l.decodeStrategyParams(&cfg.Strategies[i], fmt.Sprintf("strategies[%d]", i))
	}
	// Neither unknown keys nor values of the wrong type stop validation:
	// the user sees every problem at once. What validation says about a
	// field that did not decode is left out, as it would judge the default
	// that stayed in its place.
	badLines := l.undecoded
	if !decoded {
		for _, p := range l.problems {
			badLines[p.Line] = true
		}
	}
	for _, err := range append(cfg.Validate(), cfg.checkSurroundings()...) {
		l.addPathError(err, badLines)
	}
	if len(l.problems) > 0 {
		sort.SliceStable(l.problems, func(i, j int) bool { return l.problems[i].Line < l.problems[j].Line })
		return nil, &Error{File: name, Problems: l.problems}
	}
	cfg.file, cfg.lines = name, l.lines
	return cfg, nil
}

type loader struct {
	problems []Problem
	lines    map[string]int // yaml path -> line of its key (or value for sequence items)
	// values are the value nodes on each line with their paths: a decode
	// error names a line and a value, and the user is told the field.
	values map[int][]valueAt
	// undecoded are the lines of values checkKeys found unreadable and
	// took out of the document: validation would judge the defaults left
	// in their place.
	undecoded map[int]bool
}

// valueAt is a value node of the document and its yaml path.
type valueAt struct {
	path string
	node *yaml.Node
}

func (l *loader) add(line int, field, format string, args ...any) {
	l.problems = append(l.problems, Problem{Line: line, Field: field, Msg: clipMessage(fmt.Sprintf(format, args...))})
}

// maxMessage bounds a problem's text: a value echoed whole in a message
// made elsewhere (a decode error) must not flood the terminal.
const maxMessage = 400

// clipMessage bounds a problem's text and hides any key material in it: a
// private key pasted into the wrong field must not reach a terminal or a
// log through the message that says the field is wrong.
func clipMessage(s string) string { return echo.CutTo(echo.Redact(s), maxMessage) }

// notUTF8 finds the first byte that is not UTF-8 and says where it is.
func notUTF8(data []byte) (Problem, bool) {
	if utf8.Valid(data) {
		return Problem{}, true
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return Problem{Line: line, Msg: fmt.Sprintf("column %d: byte 0x%02x is not UTF-8; save the file as UTF-8", col, data[i])}, false
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return Problem{}, true
}

// The loader's patterns are compiled at first use (see instanceName);
// most match only in error messages.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// syntaxProblem turns a YAML syntax error into a Problem at its line.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Line: n, Msg: clipMessage("YAML syntax: " + m[2])}
	}
	return Problem{Msg: clipMessage("YAML syntax: " + strings.TrimPrefix(msg, "yaml: "))}
}

var envRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`) })

// expandEnv replaces ${NAME} and ${NAME:-default} in every scalar value,
// after parsing, so that a secret holding newlines or YAML syntax (a PEM
// key) cannot change the document's structure. It also records the line
// of every path for later messages.
func (l *loader) expandEnv(n *yaml.Node, path string, lookup func(string) (string, bool)) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			l.lines[p] = k.Line
			l.values[v.Line] = append(l.values[v.Line], valueAt{p, v})
			l.expandEnv(v, p, lookup)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			l.lines[p] = c.Line
			l.values[c.Line] = append(l.values[c.Line], valueAt{p, c})
			l.expandEnv(c, p, lookup)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRef().ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRef().FindStringSubmatch(ref)
			if v, ok := lookup(m[1]); ok && v != "" {
				return v
			}
			if m[2] != "" {
				return m[3]
			}
			l.add(n.Line, path, "environment variable %s is not set", m[1])
			return ""
		})
		// A quoted "${X}" in a number field must decode as the number.
		if n.Tag == "!!str" && n.Style == 0 {
			n.Tag = ""
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	yamlUnmarshaler = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
	nodeType        = reflect.TypeOf(yaml.Node{})
)

// checkKeys reports every mapping key that the target type has no field
// for, with its line, walking the whole document (yaml.v3's KnownFields
// works only on a Decoder over bytes, which would lose the expansion).
func (l *loader) checkKeys(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType || reflect.PointerTo(t).Implements(yamlUnmarshaler) {
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		l.checkText(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type mismatch: Decode reports it with its line
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				l.add(k.Line, joinPath(path, k.Value), "unknown field (known: %s)", strings.Join(sortedKeys(fields), ", "))
				continue
			}
			l.checkKeys(v, ft, joinPath(path, k.Value))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			l.checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			l.checkKeys(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value))
		}
	}
}

// checkText tries a scalar that decoding gives to a type's UnmarshalText
// (a decimal). yaml.v3 stops decoding the whole document at the first
// such value that does not parse, which loses every later problem, and
// its message (the library's) names neither the line nor the field. A
// value that does not parse is reported here with both, and taken out of
// the document (made null), so that decoding goes on and leaves the
// field's default in its place.
func (l *loader) checkText(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return // a list or mapping: Decode reports the mismatch
	}
	err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value))
	if err == nil {
		return
	}
	if want, ok := goTypeWords[t.String()]; ok {
		l.add(n.Line, path, "%q is not %s", echo.Cut(n.Value), want)
	} else {
		l.add(n.Line, path, "%q: %v", echo.Cut(n.Value), err)
	}
	l.undecoded[n.Line] = true
	n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!null", "", 0
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var lineRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^line (\d+): (.*)$`) })

func (l *loader) addDecodeError(err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, e := range te.Errors {
			if m := lineRef().FindStringSubmatch(e); m != nil {
				n, _ := strconv.Atoi(m[1])
				l.add(n, l.fieldOf(n, m[2]), "%s", plainTypes(m[2]))
				continue
			}
			l.add(0, "", "%s", plainTypes(e))
		}
		return
	}
	l.add(0, "", "%s", err.Error())
}

// addPathError turns a validation error whose text starts with a yaml
// path ("risk.max_order_notional: must be positive") into a Problem at the
// line of the deepest part of that path present in the file.
func (l *loader) addPathError(err error, skipLines map[int]bool) {
	field, msg, ok := strings.Cut(err.Error(), ": ")
	if !ok || strings.ContainsAny(field, " \t") {
		l.add(0, "", "%s", err.Error())
		return
	}
	line := l.lineOf(field)
	if line > 0 && skipLines[line] {
		return
	}
	l.add(line, field, "%s", msg)
}

// onlyOn is the path of the one value on line that fits, "" when none or
// several do.
func (l *loader) onlyOn(line int, fits func(*yaml.Node) bool) string {
	found := ""
	for _, v := range l.values[line] {
		if fits(v.node) {
			if found != "" {
				return ""
			}
			found = v.path
		}
	}
	return found
}

var unmarshalError = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)")
})

// fieldOf is the yaml path of the value that yaml.v3's message about line
// names ("cannot unmarshal !!str `x` into int"), found among the values
// on that line by their kind and text (yaml.v3 cuts a text of more than
// 10 bytes to its first 7 and "..."); "" when no single value fits.
func (l *loader) fieldOf(line int, msg string) string {
	m := unmarshalError().FindStringSubmatch(msg)
	if m == nil {
		// A type's own message (a trading state's), which quotes the value.
		return l.onlyOn(line, func(n *yaml.Node) bool {
			return n.Kind == yaml.ScalarNode && n.Value != "" && strings.Contains(msg, strconv.Quote(n.Value))
		})
	}
	tag, text := m[1], m[2]
	return l.onlyOn(line, func(n *yaml.Node) bool {
		switch tag {
		case "seq":
			return n.Kind == yaml.SequenceNode
		case "map":
			return n.Kind == yaml.MappingNode
		}
		return n.Kind == yaml.ScalarNode && (n.Value == text ||
			len(n.Value) > 10 && strings.HasSuffix(text, "...") && strings.HasPrefix(n.Value, strings.TrimSuffix(text, "...")))
	})
}

// goTypeWords says in words what a Go type in a decode error expects.
var goTypeWords = map[string]string{
	"decimal.Decimal": "a decimal number",
	"time.Duration":   "a duration such as 30s, 5m or 1h",
	"int":             "a whole number", "int64": "a whole number", "uint64": "a whole number", "int32": "a whole number",
	"float64": "a number",
	"bool":    "true or false",
	"string":  "text",
}

// plainTypes rewrites yaml.v3's "cannot unmarshal !!str `x` into
// time.Duration" in the user's words.
func plainTypes(msg string) string {
	return unmarshalError().ReplaceAllStringFunc(msg, func(m string) string {
		p := unmarshalError().FindStringSubmatch(m)
		want, ok := goTypeWords[p[3]]
		switch {
		case ok:
		case strings.HasPrefix(p[3], "[]"):
			want = "a list"
		case strings.HasPrefix(p[3], "map["):
			want = "a mapping of names to values"
		default:
			want = "a mapping of fields"
		}
		switch p[1] {
		case "seq":
			return "a list is not " + want
		case "map":
			return "a mapping is not " + want
		}
		return fmt.Sprintf("%q is not %s", echo.Cut(p[2]), want)
	})
}

// lineOf returns the line of path, or of its nearest ancestor in the file.
func (l *loader) lineOf(path string) int { return lineOf(l.lines, path) }

// lineOf returns the line lines gives path, or its nearest ancestor.
func lineOf(lines map[string]int, path string) int {
	for p := path; p != ""; {
		if n, ok := lines[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// decodeStrategyParams decodes a strategy's params block into its type's
// parameter struct, strictly, and validates it.
func (l *loader) decodeStrategyParams(s *Strategy, path string) {
	t, err := lookupStrategy(s.Type)
	if err != nil {
		// The registry's message lists the names as a Go slice.
		l.add(l.lineOf(path+".type"), path+".type", "unknown strategy type %q (known: %s)",
			echo.Cut(s.Type), strings.Join(strategy.Names(), ", "))
		return
	}
	p := t.NewParams()
	if s.Params.Kind != 0 {
		l.checkKeys(&s.Params, reflect.TypeOf(p), path+".params")
		if err := s.Params.Decode(p); err != nil {
			l.addDecodeError(err)
			return
		}
	}
	for _, e := range p.Validate() {
		l.addPathError(fmt.Errorf("%s.params.%w", path, e), l.undecoded)
	}
	s.parsed = p
}

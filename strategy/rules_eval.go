package strategy

import (
	"math"
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// A rule is type-checked and optimized by expr, whose VM then keeps its
// values in `any`: each number it reads or computes is boxed, an
// allocation, several per bar. A rule made only of numbers, the names of
// series, arithmetic, comparisons, logic, conditionals and the numeric
// builtins is therefore lowered from expr's checked tree into Go
// closures over the series, which read float64 directly and allocate
// nothing. Anything else (strings, arrays, let, ...) keeps expr's VM,
// and a fuzz test holds the two to the same answers.

var (
	floatType = reflect.TypeOf(0.0)
	boolType  = reflect.TypeOf(true)
)

// lookup returns the series and bars back a checked name reads.
func (r *Rules) lookup(name string) (*series, int, bool) {
	if s := r.series[name]; s != nil {
		return s, 0, true
	}
	for _, x := range r.refs {
		if x.key == name {
			return x.s, x.k, true
		}
	}
	return nil, 0, false
}

// isNum reports whether n's checked type is float64, or int for a
// literal (whose value converts to float64 exactly as expr compares an
// int with a float64).
func isNum(n ast.Node) bool {
	switch v := n.(type) {
	case *ast.IntegerNode:
		return true
	case *ast.ConstantNode:
		switch v.Value.(type) {
		case int, float64:
			return true
		}
		return false
	}
	return n.Type() == floatType
}

// lowerNum returns the closure of a checked number, and false when some
// part of it is outside what lowers.
func (r *Rules) lowerNum(n ast.Node) (func() float64, bool) {
	switch v := n.(type) {
	case *ast.FloatNode:
		c := v.Value
		return func() float64 { return c }, true
	case *ast.IntegerNode:
		c := float64(v.Value)
		return func() float64 { return c }, true
	case *ast.ConstantNode:
		var c float64
		switch x := v.Value.(type) {
		case int:
			c = float64(x)
		case float64:
			c = x
		default:
			return nil, false
		}
		return func() float64 { return c }, true
	case *ast.IdentifierNode:
		if v.Type() != floatType {
			return nil, false
		}
		s, k, ok := r.lookup(v.Value)
		if !ok {
			return nil, false
		}
		if k == 0 {
			return func() float64 { return s.cur }, true
		}
		return func() float64 { return s.prev(k) }, true
	case *ast.UnaryNode:
		if v.Type() != floatType {
			return nil, false
		}
		x, ok := r.lowerNum(v.Node)
		if !ok {
			return nil, false
		}
		switch v.Operator {
		case "-":
			return func() float64 { return -x() }, true
		case "+":
			return x, true
		}
	case *ast.BinaryNode:
		// Both sides float64, or one a float64 and the other a literal:
		// an operation of two ints (%, integer +) is left to expr.
		if v.Type() != floatType || !isNum(v.Left) || !isNum(v.Right) ||
			(v.Left.Type() != floatType && v.Right.Type() != floatType) {
			return nil, false
		}
		a, b, ok := lowerPair(r.lowerNum, v.Left, v.Right)
		if !ok {
			return nil, false
		}
		switch v.Operator {
		case "+":
			return func() float64 { return a() + b() }, true
		case "-":
			return func() float64 { return a() - b() }, true
		case "*":
			return func() float64 { return a() * b() }, true
		case "/":
			return func() float64 { return a() / b() }, true
		case "**", "^":
			return func() float64 { return math.Pow(a(), b()) }, true
		}
	case *ast.ConditionalNode:
		if v.Type() != floatType || !isNum(v.Exp1) || !isNum(v.Exp2) {
			return nil, false
		}
		return lowerConditional(r, v, r.lowerNum)
	case *ast.BuiltinNode:
		return r.lowerBuiltin(v)
	}
	return nil, false
}

// lowerBuiltin lowers abs, ceil, floor and round of one number, and max
// and min of numbers, with expr's answers: abs keeps -0 and NaN as they
// are, max and min keep the first of equal or unordered (NaN) values.
func (r *Rules) lowerBuiltin(v *ast.BuiltinNode) (func() float64, bool) {
	if v.Type() != floatType || len(v.Arguments) == 0 {
		return nil, false
	}
	args := make([]func() float64, len(v.Arguments))
	for i, a := range v.Arguments {
		if a.Type() != floatType {
			return nil, false // an int's abs is an int; an array is not a number
		}
		f, ok := r.lowerNum(a)
		if !ok {
			return nil, false
		}
		args[i] = f
	}
	if len(args) == 1 {
		x := args[0]
		switch v.Name {
		case "abs":
			return func() float64 {
				f := x()
				if f < 0 {
					return -f
				}
				return f
			}, true
		case "ceil":
			return func() float64 { return math.Ceil(x()) }, true
		case "floor":
			return func() float64 { return math.Floor(x()) }, true
		case "round":
			return func() float64 { return math.Round(x()) }, true
		}
	}
	switch v.Name {
	case "max":
		return func() float64 {
			m := args[0]()
			for _, f := range args[1:] {
				if x := f(); m < x {
					m = x
				}
			}
			return m
		}, true
	case "min":
		return func() float64 {
			m := args[0]()
			for _, f := range args[1:] {
				if x := f(); m > x {
					m = x
				}
			}
			return m
		}, true
	}
	return nil, false
}

// lowerBool returns the closure of a checked expression that is true or
// false, and false when some part of it is outside what lowers.
func (r *Rules) lowerBool(n ast.Node) (func() bool, bool) {
	switch v := n.(type) {
	case *ast.BoolNode:
		c := v.Value
		return func() bool { return c }, true
	case *ast.ConstantNode:
		c, ok := v.Value.(bool)
		return func() bool { return c }, ok
	case *ast.UnaryNode:
		if v.Operator != "!" && v.Operator != "not" {
			return nil, false
		}
		x, ok := r.lowerBool(v.Node)
		if !ok {
			return nil, false
		}
		return func() bool { return !x() }, true
	case *ast.ConditionalNode:
		return lowerConditional(r, v, r.lowerBool)
	case *ast.BinaryNode:
		return r.lowerBinaryBool(v)
	}
	return nil, false
}

// lowerPair lowers the two sides of a binary operator.
func lowerPair[T any](lower func(ast.Node) (func() T, bool), x, y ast.Node) (a, b func() T, ok bool) {
	a, ok1 := lower(x)
	b, ok2 := lower(y)
	return a, b, ok1 && ok2
}

// lowerConditional lowers cond ? a : b, whose a and b lower.
func lowerConditional[T any](r *Rules, v *ast.ConditionalNode, lower func(ast.Node) (func() T, bool)) (func() T, bool) {
	c, ok1 := r.lowerBool(v.Cond)
	a, ok2 := lower(v.Exp1)
	b, ok3 := lower(v.Exp2)
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	return func() T {
		if c() {
			return a()
		}
		return b()
	}, true
}

// lowerBinaryBool lowers the logic of two truths, and the comparison of
// two numbers or two truths.
func (r *Rules) lowerBinaryBool(v *ast.BinaryNode) (func() bool, bool) {
	switch v.Operator {
	case "&&", "and", "||", "or":
		a, b, ok := lowerPair(r.lowerBool, v.Left, v.Right)
		if !ok {
			return nil, false
		}
		if v.Operator == "&&" || v.Operator == "and" {
			return func() bool { return a() && b() }, true
		}
		return func() bool { return a() || b() }, true
	case "==", "!=":
		if v.Left.Type() == boolType && v.Right.Type() == boolType {
			a, b, ok := lowerPair(r.lowerBool, v.Left, v.Right)
			if !ok {
				return nil, false
			}
			if v.Operator == "==" {
				return func() bool { return a() == b() }, true
			}
			return func() bool { return a() != b() }, true
		}
	}
	if !isNum(v.Left) || !isNum(v.Right) {
		return nil, false
	}
	a, b, ok := lowerPair(r.lowerNum, v.Left, v.Right)
	if !ok {
		return nil, false
	}
	switch v.Operator {
	case "<":
		return func() bool { return a() < b() }, true
	case "<=":
		return func() bool { return a() <= b() }, true
	case ">":
		return func() bool { return a() > b() }, true
	case ">=":
		return func() bool { return a() >= b() }, true
	case "==":
		return func() bool { return a() == b() }, true
	case "!=":
		return func() bool { return a() != b() }, true
	}
	return nil, false
}

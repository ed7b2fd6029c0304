package strategy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// evalRules is a rule strategy whose expressions read every kind of name:
// bar values, indicators, a multi-output indicator's outputs and previous
// values.
const evalRules = `interval: 1m
indicators:
  rsi: rsi(14)
  trend: ema(20)
  bb: bbands(20, 2)
entry: close > 0
exit: rsi > 70 || crossed_below(close, trend)
`

func compileEntry(t *testing.T, entry string) (*Rules, error) {
	t.Helper()
	p := decodeRules(t, evalRules)
	p.Entry = Expr{Src: entry}
	return compileRules(p, "")
}

// setAll gives every series of r the values of vals in turn, as many
// times as its history holds, so that every previous value is set.
func setAll(r *Rules, vals []float64) {
	i := 0
	for _, s := range r.series {
		for range len(s.ring) + 1 {
			s.set(vals[i%len(vals)])
			i++
		}
	}
}

// lowered are rules the closures evaluate; expr's VM evaluates the rest.
var lowered = []string{
	"rsi < 30 && close > trend",
	"rsi < 40 and not (close <= trend)",
	"crossed_above(close, bb_upper) || crossed_below(rsi, 30.5)",
	"rsi[1] < rsi && rsi[2] >= rsi[1] ? close > open : volume == 0",
	"(close - open) / (high - low) > 0.5 && -rsi < -20 && +rsi != 1",
	"abs(close - trend) / trend * 100 <= 2 || close ** 2 > high ^ 2",
	"max(open, close, 3.5) < min(high, bb_upper) && floor(rsi) == ceil(rsi) && round(rsi) >= 10",
	"(rsi > 50) == (close > trend) != false",
	"(rsi > 50 ? close : open) > trend - 1 * 2",
	"close / 0 > 1 || volume != volume",
	"true && 1 < 2 || close > 1e300 * 10",
}

// notLowered are rules left to expr's VM.
var notLowered = []string{
	"let d = close - open; d > 0",
	"close in [1, 2, 3]",
	"string(close) == '1'",
	"int(close) % 2 == 0",
	"abs(-3) == 3 && close > 0 && len([close]) == 1",
}

// TestLoweredRulesAgreeWithExpr: the rules lowered to closures give
// expr's VM's answer on ordinary values and on NaN, infinities, zeros and
// equal values; the others still run on the VM.
func TestLoweredRulesAgreeWithExpr(t *testing.T) {
	specials := []float64{0, math.Copysign(0, -1), 1, -1, 30, 70, 100, math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, 1e300}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, src := range append(lowered, notLowered...) {
		r, err := compileEntry(t, src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if want := !contains(notLowered, src); (r.entry.fast != nil) != want {
			t.Errorf("%s: lowered %v, want %v", src, r.entry.fast != nil, want)
		}
		if r.exit.fast == nil {
			t.Errorf("the exit rule was not lowered")
		}
		seen := map[bool]bool{}
		for i := range 2000 {
			vals := make([]float64, 7)
			for j := range vals {
				switch {
				case i%3 == 0:
					vals[j] = specials[rng.IntN(len(specials))]
				case i%3 == 1:
					vals[j] = float64(rng.IntN(5)) * 25
				default:
					vals[j] = rng.NormFloat64() * 100
				}
			}
			setAll(r, vals)
			got, want := r.run(r.entry), r.runVM(r.entry)
			seen[want] = true
			if got != want {
				t.Fatalf("%s on %v: %v, expr says %v", src, vals, got, want)
			}
			if got, want := r.run(r.exit), r.runVM(r.exit); got != want {
				t.Fatalf("exit on %v: %v, expr says %v", vals, got, want)
			}
		}
		if len(seen) != 2 && !strings.HasPrefix(src, "true") {
			t.Errorf("%s: always %v on the values tried: the comparison shows little", src, seen)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FuzzRuleExpressions: any expression that compiles as a rule and is
// lowered to closures gives expr's VM's answer.
func FuzzRuleExpressions(f *testing.F) {
	for _, src := range append(lowered, notLowered...) {
		f.Add(src, 1.0, 50.0, -2.5)
	}
	f.Add("rsi < 30 && close > trend", 29.0, 31.0, math.NaN())
	f.Fuzz(func(t *testing.T, src string, a, b, c float64) {
		if len(src) > 200 || strings.Contains(src, "..") || strings.ContainsAny(src, "\n\r") {
			return // ranges fold into arrays at compile time: not what this tests
		}
		r, err := compileEntry(t, src)
		if err != nil || r.entry.fast == nil {
			return
		}
		for _, vals := range [][]float64{{a, b, c}, {b, c, a, a}, {c, c, b, a, 0}} {
			setAll(r, vals)
			if got, want := r.run(r.entry), r.runVM(r.entry); got != want {
				t.Fatalf("%q on %v: %v, expr says %v", src, vals, got, want)
			}
		}
	})
}

// TestRulesEvaluateWithoutAllocation: a bar through the rule's
// indicators, series and both expressions allocates nothing, so that a
// rule strategy keeps up with the backtest loop.
func TestRulesEvaluateWithoutAllocation(t *testing.T) {
	r, err := compileEntry(t, "rsi < 40 && close > trend && bb_lower < close[1]")
	if err != nil {
		t.Fatal(err)
	}
	if r.entry.fast == nil || r.exit.fast == nil {
		t.Fatal("the rules were not lowered")
	}
	b := Bar{Product: "BTC-USD", Interval: time.Minute}
	n := 0
	next := func() bool {
		n++
		p := 40000 + 500*math.Sin(float64(n)/15)
		b.OpenF, b.HighF, b.LowF, b.CloseF, b.VolumeF = p-10, p+20, p-20, p, 3
		return r.update(r.subs[0], true, &b)
	}
	for range 40 {
		next()
	}
	if !next() {
		t.Fatal("the rules are not ready after 40 bars")
	}
	var entries, exits int
	allocs := testing.AllocsPerRun(1000, func() {
		next()
		if r.run(r.entry) {
			entries++
		}
		if r.run(r.exit) {
			exits++
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per bar, want none", allocs)
	}
	if entries == 0 || exits == 0 {
		t.Errorf("%d entries and %d exits over 1001 bars of a wave: the rules did not run", entries, exits)
	}
}

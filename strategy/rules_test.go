package strategy

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func decodeRules(t testing.TB, src string) *RulesParams {
	t.Helper()
	p := &RulesParams{}
	if err := yaml.Unmarshal([]byte(src), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRuleMistakesAreReportedWhereTheyAre: a typo, a type error and a
// bad indicator are reported with the line and column of the config and
// the names a rule knows.
func TestRuleMistakesAreReportedWhereTheyAre(t *testing.T) {
	tests := []struct{ src, want string }{
		{"interval: 15m\nindicators: {rsi: rsi(14)}\nentry: rsi < 30 && clsoe > 1\n",
			"entry: line 3 column 20: unknown name clsoe (known: open high low close volume rsi;"},
		{"interval: 15m\nindicators: {rsi: rsi(14)}\nentry: rsi + 1\n", "entry: line 3 column 8: expected bool"},
		{"interval: 15m\nentry: close > 1\nexit: 'close < open &&'\n", "exit: line 3 column"},
		{"interval: 15m\nindicators: {r: rsx(14)}\nentry: r < 1\n", `indicators.r: unknown indicator "rsx"`},
		{"interval: 15m\nindicators: {close: rsi(14)}\nentry: close < 1\n", "indicators.close: close is already a name"},
		{"interval: 15m\nentry: close[0] > 1\n", "previous values go from [1]"},
		{"interval: 1m\nindicators:\n  vw: vwap(0, 5)\nentry: close > vw\n",
			"indicators.vw: indicator vwap: session (parameter 2) must be 0 (no session) or 1, 2, 3, 4, 6, 8, 12 or 24 hours, got 5"},
	}
	for _, tt := range tests {
		errs := decodeRules(t, tt.src).Validate()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
			t.Errorf("%q: errors %v, want one with %q", tt.src, errs, tt.want)
		}
	}
}

// TestRulesReadPreviousValuesAndCrosses evaluates compiled rules on
// values set by hand: a previous value, a cross up of two names and a
// multi-output indicator's outputs.
func TestRulesReadPreviousValuesAndCrosses(t *testing.T) {
	p := decodeRules(t, `interval: 1h
indicators:
  fast: ema(3)
  slow: ema(9)
  bb: bbands(20, 2)
entry: crossed_above(fast, slow) && close[2] < close && bb_upper > 0
exit: crossed_below(fast, 100)
`)
	r, err := compileRules(p, "BTC-USD")
	if err != nil {
		t.Fatal(err)
	}
	fast, slow, cl, up := r.series["fast"], r.series["slow"], r.series["close"], r.series["bb_upper"]
	if len(cl.ring) != 2 || len(fast.ring) != 1 || len(slow.ring) != 1 {
		t.Fatalf("histories %d %d %d, want 2 1 1", len(cl.ring), len(fast.ring), len(slow.ring))
	}
	step := func(f, s, c float64) {
		fast.set(f)
		slow.set(s)
		cl.set(c)
		up.set(1)
	}
	step(1, 2, 10)
	step(1, 2, 11)
	step(3, 2, 12) // fast crosses above slow, close above its value two bars before
	if !cl.ready() || !fast.ready() || !r.run(r.entry) {
		t.Fatal("the cross up was not seen")
	}
	step(4, 2, 13) // still above: no cross
	if r.run(r.entry) {
		t.Fatal("a cross was seen where fast stayed above slow")
	}
	step(101, 2, 13)
	step(99, 2, 13)
	if !r.run(r.exit) {
		t.Fatal("the cross below a number was not seen")
	}
	var n Needs
	n.product = "BTC-USD"
	r.Needs(&n)
	// ema(9) settles in 9+31 bars (its seed then weighs 0.8^31 < 0.1 %),
	// longer than the bbands' window of 20.
	if b := n.BarNeeds(); len(b) != 1 || b[0].Lookback != 20+2+1 || b[0].History != 40+2+1 {
		t.Fatalf("bar needs %+v, want one with the bbands' 20 bars, 2 previous closes and 1, and a history of the ema(9)'s 40 bars to settle", b)
	}
}

// TestRulesSessionVWAPAsksForASessionOfHistory: a daily session VWAP on
// one-minute bars reads the bars since UTC midnight, so the warm-up asks
// for a day of them (a restarted daemon then reads the VWAP of a run that
// never stopped); on four-hour bars, for six.
func TestRulesSessionVWAPAsksForASessionOfHistory(t *testing.T) {
	for _, tt := range []struct {
		interval string
		history  int
	}{{"1m", 1440 + 1}, {"4h", 6 + 1}} {
		p := decodeRules(t, "interval: "+tt.interval+"\nindicators:\n  vw: vwap(0, 24)\nentry: close > vw\n")
		r, err := compileRules(p, "BTC-USD")
		if err != nil {
			t.Fatal(err)
		}
		n := NewNeeds("BTC-USD")
		r.Needs(n)
		if b := n.BarNeeds(); len(b) != 1 || b[0].Lookback != 2 || b[0].History != tt.history {
			t.Errorf("bars of %s: needs %+v, want a lookback of 2 and a history of %d", tt.interval, b, tt.history)
		}
	}
}

// TestRulesDeclareOtherIntervalsAndProducts: an indicator of another
// interval or product is a subscription of its own.
func TestRulesDeclareOtherIntervalsAndProducts(t *testing.T) {
	p := decodeRules(t, `interval: 15m
indicators:
  rsi: rsi(14)
  trend4h: {of: ema(50), interval: 4h}
  eth: {of: rsi(14), product: ETH-USD}
entry: rsi < 30 && close > trend4h && eth < 50
`)
	r, err := compileRules(p, "BTC-USD")
	if err != nil {
		t.Fatal(err)
	}
	n := NewNeeds("BTC-USD")
	r.Needs(n)
	got := n.BarNeeds()
	if len(got) != 3 || got[1].Product != "ETH-USD" && got[2].Product != "ETH-USD" {
		t.Fatalf("bar needs %+v", got)
	}
	if ps := n.Products(); len(ps) != 2 {
		t.Fatalf("products %v, want BTC-USD and ETH-USD", ps)
	}
}

// TestRulesOfClosesAskForBarsOfCloses: rules whose indicators read only
// the close and whose expressions read no high, low or volume have their
// bars built from closes alone; any such read, or an indicator of the
// high and low, keeps whole bars.
func TestRulesOfClosesAskForBarsOfCloses(t *testing.T) {
	tests := []struct {
		src   string
		close bool
	}{
		{"indicators: {rsi: rsi(14), trend: ema(200)}\nentry: rsi < 30 && close > trend && open < close[2]\nexit: crossed_below(close, trend)\n", true},
		{"indicators: {rsi: rsi(14)}\nentry: rsi < 30 && high > 0\n", false},
		{"indicators: {rsi: rsi(14)}\nentry: rsi < 30\nexit: volume[1] > 0\n", false},
		{"indicators: {a: atr(14)}\nentry: a > 1\n", false},
	}
	for _, tt := range tests {
		r, err := compileRules(decodeRules(t, "interval: 1m\n"+tt.src), "")
		if err != nil {
			t.Fatal(err)
		}
		n := NewNeeds("BTC-USD")
		r.Needs(n)
		if b := n.BarNeeds(); len(b) != 1 || b[0].ClosesOnly != tt.close {
			t.Errorf("%q: bar needs %+v, want closes only %v", tt.src, b, tt.close)
		}
	}
}

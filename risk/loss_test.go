package risk

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/internal/fastdecimal"
)

func TestDailyLossAtItsBoundaries(t *testing.T) {
	cases := []struct {
		name, price string
		want        State
	}{
		{"one below", "750.01", Active}, // loss 249.99
		{"at", "750", Halted},
		{"one above", "749.99", Halted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Loss.DailyLoss.Limit = d("250") })
			f.trade("AAA-USD", "1000")
			f.hold("s1", "AAA-USD", "1", "1000")
			f.trade("AAA-USD", tc.price)
			if got := f.g.State(); got != tc.want {
				t.Fatalf("state %s, want %s", got, tc.want)
			}
			if tc.want == Halted {
				ch := f.lastChange()
				if ch.from != Active || ch.to != Halted || ch.rule != RuleDailyLoss || !strings.Contains(ch.reason, "250") {
					t.Errorf("state change reported as %+v", ch)
				}
			}
		})
	}
}

// The guard-level version of invariant 3: a daily-loss halt stops entries
// and lets the stop-loss that closes the position through.
func TestDailyLossHaltsEntriesButStopLossExitPasses(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Loss.DailyLoss.Limit = d("100")
		c.Limits.CollarMarketOrders = true
		c.Account.OrdersPerSecond = 1
	})
	f.trade("AAA-USD", "100")
	f.hold("s1", "AAA-USD", "10", "100")
	// Realized loss from a round trip in another product, then the open
	// position loses the rest.
	f.advance(time.Second)
	f.hold("s2", "BBB-USD", "1", "100")
	r := f.allow(stopLoss("s2", "BBB-USD", "1"))
	f.g.OnFill("s2", "BBB-USD", exchange.Sell, d("1"), d("60"), d("0.5"), r) // -40.5
	f.g.Release(r)
	f.trade("AAA-USD", "94") // unrealized -60: day -100.5
	if f.g.State() != Halted {
		t.Fatalf("state %s after a daily loss of 100.5, want HALTED", f.g.State())
	}
	dec := f.refuse(buy("s3", "CCC-USD", "1", "100"), RuleDailyLoss, "")
	if dec.Limit != "ACTIVE" || dec.Value != "HALTED" {
		t.Errorf("decision %+v", dec)
	}
	// The account's one token of this second was spent by s2's entry;
	// the stop must pass anyway, at a price far outside the collar.
	sl := stopLoss("s1", "AAA-USD", "10")
	sl.EstimatedPrice = d("50")
	dec, r = f.g.Check(sl)
	if !dec.Allowed || dec.Rule != RuleExit || dec.Verdict != VerdictAllow {
		t.Fatalf("stop-loss refused while halted: %+v", dec)
	}
	f.g.OnFill("s1", "AAA-USD", exchange.Sell, d("10"), d("93"), decimal.Zero, r)
	f.g.Release(r)
	if size, _ := f.g.Position("s1", "AAA-USD"); !size.IsZero() {
		t.Errorf("position %s after the stop, want flat", size)
	}
}

func TestDailyLossHaltLiftsAtTheNextDayWhenConfigured(t *testing.T) {
	for _, resume := range []bool{true, false} {
		name := "resumes"
		if !resume {
			name = "stays halted"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.TimeZone = "Europe/Berlin"
				c.Loss.DailyLoss.Limit = d("50")
				c.Loss.DailyLoss.ResumeNextDay = resume
				c.StaleAfter = 24 * time.Hour
			})
			f.hold("s1", "AAA-USD", "1", "100")
			r := f.allow(stopLoss("s1", "AAA-USD", "1"))
			f.g.OnFill("s1", "AAA-USD", exchange.Sell, d("1"), d("40"), decimal.Zero, r)
			if f.g.State() != Halted {
				t.Fatalf("state %s, want HALTED", f.g.State())
			}
			f.advance(10*time.Hour + 59*time.Minute) // 22:59 UTC, 23:59 in Berlin
			if f.g.State() != Halted {
				t.Fatalf("state %s before Berlin midnight", f.g.State())
			}
			f.advance(time.Minute)
			f.trade("AAA-USD", "100")
			want := Active
			if !resume {
				want = Halted
			}
			if got := f.g.State(); got != want {
				t.Fatalf("state %s after Berlin midnight, want %s", got, want)
			}
			if resume {
				f.allow(buy("s1", "AAA-USD", "1", "100"))
				if ch := f.lastChange(); ch.to != Active || ch.rule != RuleDailyLoss {
					t.Errorf("resume reported as %+v", ch)
				}
			}
		})
	}
}

func TestKillSwitchOverDailyLossIsNotLiftedByTheNewDay(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Loss.DailyLoss.Limit = d("50")
		c.StaleAfter = 48 * time.Hour
	})
	f.hold("s1", "AAA-USD", "1", "100")
	f.trade("AAA-USD", "40")
	f.g.Halt("operator")
	f.advance(24 * time.Hour)
	f.trade("AAA-USD", "40")
	if info := f.g.StateInfo(); info.State != Halted || info.Rule != RuleKillSwitch {
		t.Fatalf("state %+v, want HALTED by the kill switch", info)
	}
}

func TestMaxDrawdownAtItsBoundaries(t *testing.T) {
	cases := []struct {
		name, price string
		want        State
	}{
		{"one below", "1100.01", Active}, // peak +200 at 1200, now +100.01
		{"at", "1100", Reducing},
		{"one above", "1099.99", Reducing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.Loss.MaxDrawdown = LossRule{Limit: d("100"), Action: Reducing}
			})
			f.trade("AAA-USD", "1000")
			f.hold("s1", "AAA-USD", "1", "1000")
			f.trade("AAA-USD", "1200")
			f.trade("AAA-USD", tc.price)
			if got := f.g.State(); got != tc.want {
				t.Fatalf("state %s, want %s", got, tc.want)
			}
			if tc.want == Reducing {
				f.refuse(buy("s2", "BBB-USD", "1", "100"), RuleMaxDrawdown, "")
				f.allow(stopLoss("s1", "AAA-USD", "1"))
			}
		})
	}
}

func TestConsecutiveLossesAtTheirBoundaries(t *testing.T) {
	cases := []struct {
		name string
		pnls []string
		want State
	}{
		{"one below", []string{"-1", "-1"}, Active},
		{"at", []string{"-1", "-1", "-1"}, Reducing},
		{"one above", []string{"-1", "-1", "-1", "-1"}, Reducing},
		{"a gain ends the run", []string{"-1", "-1", "5", "-1", "-1"}, Active},
		{"break-even ends the run", []string{"-1", "-1", "0", "-1", "-1"}, Active},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.Loss.MaxConsecutiveLosses = CountRule{Limit: 3, Action: Reducing}
			})
			for _, p := range tc.pnls {
				f.g.OnRoundTrip("s1", "AAA-USD", d(p), "signal")
			}
			if got := f.g.State(); got != tc.want {
				t.Fatalf("state %s, want %s", got, tc.want)
			}
		})
	}
}

func TestLossRulesOnlyEscalateTheState(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Loss.MaxConsecutiveLosses = CountRule{Limit: 1, Action: Reducing}
	})
	f.g.Halt("operator")
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "signal")
	if info := f.g.StateInfo(); info.State != Halted || info.Rule != RuleKillSwitch {
		t.Fatalf("a REDUCING rule changed a kill-switch halt: %+v", info)
	}
}

func TestOperatorResumeAcknowledgesLossRunAndDrawdown(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Loss.MaxConsecutiveLosses = CountRule{Limit: 2, Action: Halted}
		c.Loss.MaxDrawdown = LossRule{Limit: d("100"), Action: Halted}
	})
	f.trade("AAA-USD", "1000")
	f.hold("s1", "AAA-USD", "1", "1000")
	f.trade("AAA-USD", "850")
	if f.g.State() != Halted {
		t.Fatalf("state %s, want HALTED by drawdown", f.g.State())
	}
	f.g.SetState(Active, "reviewed")
	if f.g.State() != Active {
		t.Fatalf("state %s after the operator resumed", f.g.State())
	}
	f.trade("AAA-USD", "849") // a further drop of 1 is not a new breach
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "signal")
	if f.g.State() != Active {
		t.Fatalf("state %s: the loss run before the resume still counted", f.g.State())
	}
	f.allow(buy("s2", "BBB-USD", "1", "100"))
}

func TestOperatorCannotResumePastTheDailyLoss(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Loss.DailyLoss.Limit = d("10") })
	f.hold("s1", "AAA-USD", "1", "100")
	f.trade("AAA-USD", "80")
	f.g.SetState(Active, "try")
	if info := f.g.StateInfo(); info.State != Halted || info.Rule != RuleDailyLoss {
		t.Fatalf("state %+v, want HALTED again by daily_loss", info)
	}
}

func TestStopLossCooldownAtItsBoundaries(t *testing.T) {
	cases := []struct {
		name  string
		stops int
		ok    bool
	}{
		{"one below", 2, true},
		{"at", 3, false},
		{"one above", 4, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.StopLossCooldown = Cooldown{StopLosses: 3, Window: time.Hour, Pause: 2 * time.Hour,
					ExitReasons: []string{"stop_loss", "trailing_stop"}}
			})
			f.hold("s2", "AAA-USD", "1", "100")
			for range tc.stops {
				f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "stop_loss")
			}
			if tc.ok {
				f.allow(buy("s2", "AAA-USD", "1", "100"))
				return
			}
			f.refuse(buy("s2", "AAA-USD", "1", "100"), RuleStopLossCooldown, ScopeProduct)
			f.allow(buy("s2", "BBB-USD", "1", "100")) // other products trade on
			f.allow(stopLoss("s2", "AAA-USD", "1"))   // exits pass
		})
	}
}

func TestStopLossCooldownCountsOnlyItsReasonsWithinTheWindowAndEnds(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.StopLossCooldown = Cooldown{StopLosses: 2, Window: time.Hour, Pause: 30 * time.Minute,
			ExitReasons: []string{"stop_loss", "trailing_stop"}}
		c.StaleAfter = 24 * time.Hour
	})
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "stop_loss")
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "take_profit")
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.advance(time.Hour) // the first stop leaves the window
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "trailing_stop")
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.advance(59 * time.Minute)
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "stop_loss")
	dec := f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStopLossCooldown, ScopeProduct)
	if dec.Limit != "30m0s" || dec.Value != "30m0s" {
		t.Errorf("decision %+v, want limit and value 30m0s", dec)
	}
	// The time left is said to the second, rounded up, not to the
	// nanosecond ("1m4.788451868s"), and never as 0s.
	f.advance(25*time.Minute + 1500*time.Millisecond + 7)
	if dec := f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStopLossCooldown, ScopeProduct); dec.Value != "4m59s" ||
		!strings.HasSuffix(dec.Reason, "entries resume in 4m59s") {
		t.Errorf("decision %+v, want 4m59s left", dec)
	}
	f.advance(5*time.Minute - 1500*time.Millisecond - 7 - time.Nanosecond)
	if dec := f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStopLossCooldown, ScopeProduct); dec.Value != "1s" {
		t.Errorf("a nanosecond left: decision %+v, want 1s", dec)
	}
	f.advance(time.Nanosecond)
	f.allow(buy("s1", "AAA-USD", "1", "100"))
}

// A fallback exit (the stop refused because the price passed it, sold at
// market) counts as a stop-loss toward the cooldown wherever stop_loss
// does.
func TestStopLossCooldownCountsFallbackExitsAsStopLosses(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.StopLossCooldown = Cooldown{StopLosses: 2, Window: time.Hour, Pause: 30 * time.Minute,
			ExitReasons: []string{"stop_loss"}}
		c.StaleAfter = 24 * time.Hour
	})
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "fallback")
	f.allow(buy("s1", "AAA-USD", "1", "100"))
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "fallback")
	f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStopLossCooldown, ScopeProduct)
}

// An exit whose reason a restarted daemon could not learn ("unknown", an
// order journaled before the journal kept reasons) counts toward the
// cooldown when it lost money, whatever exit_reasons lists (it may have
// been a stop-loss, which the cooldown exists to follow; before reasons
// were kept it was booked as one); one that gained counts only where
// unknown is listed, since a stop-loss never ends a trip with a gain.
func TestStopLossCooldownCountsALosingExitOfUnknownReason(t *testing.T) {
	for _, c := range []struct {
		name    string
		reasons []string
		pnl     string
		pauses  bool
	}{
		{"a loss, stop_loss listed", []string{"stop_loss"}, "-1", true},
		{"a loss, trailing_stop listed", []string{"trailing_stop"}, "-1", true},
		{"a gain, stop_loss listed", []string{"stop_loss"}, "1", false},
		{"a gain, unknown listed", []string{"stop_loss", "unknown"}, "1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, func(cfg *Config) {
				cfg.StopLossCooldown = Cooldown{StopLosses: 2, Window: time.Hour, Pause: 30 * time.Minute, ExitReasons: c.reasons}
				cfg.StaleAfter = 24 * time.Hour
			})
			f.g.OnRoundTrip("s1", "AAA-USD", d(c.pnl), "unknown")
			f.allow(buy("s1", "AAA-USD", "1", "100"))
			f.g.OnRoundTrip("s1", "AAA-USD", d(c.pnl), "unknown")
			if c.pauses {
				f.refuse(buy("s1", "AAA-USD", "1", "100"), RuleStopLossCooldown, ScopeProduct)
			} else {
				f.allow(buy("s1", "AAA-USD", "1", "100"))
			}
		})
	}
}

func TestReduceOnlyExitMayNotExceedTheKnownPosition(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("s1", "AAA-USD", "2", "100")
	cases := []struct {
		name string
		in   Intent
		ok   bool
	}{
		{"one below", stopLoss("s1", "AAA-USD", "1.999"), true},
		{"at", stopLoss("s1", "AAA-USD", "2"), true},
		{"one above", stopLoss("s1", "AAA-USD", "2.001"), false},
		{"another strategy's position", stopLoss("s2", "AAA-USD", "1"), false},
		{"no position", stopLoss("s1", "BBB-USD", "1"), false},
		{"a buy grows a long", func() Intent {
			in := buy("s1", "AAA-USD", "1", "100")
			in.ReduceOnly = true
			return in
		}(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ok {
				f.allow(tc.in)
			} else {
				f.refuse(tc.in, RuleReduceOnly, "")
			}
		})
	}
}

func TestHaltRefusesEntriesAndPassesExits(t *testing.T) {
	for _, s := range []State{Reducing, Halted} {
		t.Run(s.String(), func(t *testing.T) {
			f := newFixture(t, nil)
			f.hold("s1", "AAA-USD", "1", "100")
			f.g.SetState(s, "test")
			f.refuse(buy("s2", "BBB-USD", "1", "100"), RuleManual, "")
			f.allow(stopLoss("s1", "AAA-USD", "1"))
			f.g.SetState(Active, "test over")
			f.allow(buy("s2", "BBB-USD", "1", "100"))
		})
	}
}

func TestStateChangeCallbackMayCallTheGuard(t *testing.T) {
	f := newFixture(t, nil)
	seen := make(chan State, 1)
	f.g.OnStateChange(func(from, to State, rule, reason string) {
		seen <- f.g.State() // would deadlock if called under the lock
	})
	f.g.Halt("test")
	if got := <-seen; got != Halted {
		t.Errorf("state seen from the callback %s", got)
	}
}

func TestNewDayResumesOnlyToTheStateOtherBreachedRulesAllow(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Loss.DailyLoss = DailyLossRule{Limit: d("5"), Action: Halted, ResumeNextDay: true}
		c.Loss.MaxConsecutiveLosses = CountRule{Limit: 2, Action: Reducing}
		c.StaleAfter = 48 * time.Hour
	})
	f.hold("s1", "AAA-USD", "1", "100")
	r := f.allow(stopLoss("s1", "AAA-USD", "1"))
	f.g.OnFill("s1", "AAA-USD", exchange.Sell, d("1"), d("90"), decimal.Zero, r)
	f.g.OnRoundTrip("s1", "AAA-USD", d("-10"), "stop_loss")
	f.g.OnRoundTrip("s1", "AAA-USD", d("-1"), "signal")
	if info := f.g.StateInfo(); info.State != Halted || info.Rule != RuleDailyLoss {
		t.Fatalf("state %+v, want HALTED by daily_loss", info)
	}
	f.advance(24 * time.Hour)
	f.trade("AAA-USD", "100")
	if info := f.g.StateInfo(); info.State != Reducing || info.Rule != RuleConsecutiveLosses {
		t.Fatalf("state %+v on the new day, want REDUCING by consecutive_losses", info)
	}
}

// TestEntryRefusalNamesTheCurrentStateAndReason: the refusal of an entry
// outside ACTIVE, which the guard keeps between checks, must follow every
// change of state, rule or reason, including a return to ACTIVE and a
// second halt for another reason.
func TestEntryRefusalNamesTheCurrentStateAndReason(t *testing.T) {
	f := newFixture(t, nil)
	entry := buy("s1", "AAA-USD", "1", "100")
	steps := []struct {
		set    func()
		rule   string
		reason string
	}{
		{func() { f.g.Halt("operator one") }, RuleKillSwitch, "trading state is HALTED (operator one); entries are refused, exits pass"},
		{func() {}, RuleKillSwitch, "trading state is HALTED (operator one); entries are refused, exits pass"},
		{func() { f.g.Halt("operator two") }, RuleKillSwitch, "trading state is HALTED (operator two); entries are refused, exits pass"},
		{func() { f.g.SetState(Reducing, "wind down") }, RuleManual, "trading state is REDUCING (wind down); entries are refused, exits pass"},
		{func() { f.g.SetState(Active, "resume") }, RuleOK, ""},
		{func() { f.g.Halt("operator one") }, RuleKillSwitch, "trading state is HALTED (operator one); entries are refused, exits pass"},
	}
	for i, s := range steps {
		s.set()
		dec, r := f.g.Check(entry)
		if s.reason == "" {
			if !dec.Allowed {
				t.Fatalf("step %d: refused in ACTIVE: %+v", i, dec)
			}
			f.g.Release(r)
			continue
		}
		if dec.Allowed || dec.Rule != s.rule || dec.Reason != s.reason {
			t.Errorf("step %d: %+v, want rule %s reason %q", i, dec, s.rule, s.reason)
		}
	}
}

// TestLossThresholdsDecideAsThePnL: evalLoss compares the mark value with
// thresholds instead of computing the daily PnL, the cumulative PnL and
// the drop from the peak on every tick. For random sums, mark values on
// and around the thresholds, and limits positive, zero and negative, each
// threshold must decide exactly as the PnL it stands for; and a sum
// assigned anew must remake them.
func TestLossThresholdsDecideAsThePnL(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dec := func() decimal.Decimal { return decimal.New(rng.Int64N(20001)-10000, -int32(rng.IntN(4))) }
	for i := 0; i < 20000; i++ {
		cfg := looseConfig()
		cfg.Loss.DailyLoss.Limit = dec()
		cfg.Loss.MaxDrawdown.Limit = dec()
		g := &Guard{cfg: cfg, cost: dec(), unrealizedStart: dec(), realizedToday: dec(), realizedTotal: dec(), pnlPeak: dec()}
		th := g.thresholds()
		for _, mv := range []decimal.Decimal{dec(), th.dayAt, th.peak, th.drawdown,
			th.dayAt.Add(decimal.New(1, -4)), th.peak.Sub(decimal.New(1, -4)), th.drawdown.Add(decimal.New(1, -4))} {
			g.markValue = mv
			day := g.realizedToday.Add(g.unrealized()).Sub(g.unrealizedStart)
			cum := g.realizedTotal.Add(g.unrealized())
			wantDay := day.IsNegative() && day.Neg().GreaterThanOrEqual(cfg.Loss.DailyLoss.Limit)
			wantPeak := cum.GreaterThan(g.pnlPeak)
			wantDrop := g.pnlPeak.Sub(cum).GreaterThanOrEqual(cfg.Loss.MaxDrawdown.Limit)
			if th.dailyLossReached(mv) != wantDay || mv.GreaterThan(th.peak) != wantPeak || !mv.GreaterThan(th.drawdown) != wantDrop {
				t.Fatalf("sums %+v, limits %s %s, mark value %s: day %s (%v) cum %s (peak %v, drop %v); thresholds %+v",
					g, cfg.Loss.DailyLoss.Limit, cfg.Loss.MaxDrawdown.Limit, mv, day, wantDay, cum, wantPeak, wantDrop, th)
			}
		}
		before := *th
		g.realizedToday = g.realizedToday.Add(decimal.New(0, 0)) // the same value, a new decimal
		if g.thresholds(); th.realizedToday != g.realizedToday {
			t.Fatalf("thresholds not remade for a new realizedToday (was %+v)", before)
		}
	}
}

// TestCmpDecimalIsCmp: the comparison evalLoss uses must order every pair
// as Decimal.Cmp does, across exponents, signs, and coefficients at and
// beyond the int64 range where it falls back to Cmp.
func TestCmpDecimalIsCmp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	big := decimal.RequireFromString("92233720368547758070")
	vals := []decimal.Decimal{decimal.Zero, decimal.New(1, -30), decimal.New(-1, 20), big, big.Neg(),
		decimal.New(math.MaxInt64, 0), decimal.New(math.MinInt64+1, -3), decimal.New(9223372036854775, -18)}
	for i := 0; i < 2000; i++ {
		vals = append(vals, decimal.New(rng.Int64N(2_000_000)-1_000_000, -int32(rng.IntN(20))))
		vals = append(vals, decimal.New(rng.Int64()>>uint(rng.IntN(63)), int32(rng.IntN(41)-20)))
	}
	for i, a := range vals {
		for _, b := range []decimal.Decimal{vals[(i*7+1)%len(vals)], vals[(i*13+5)%len(vals)], a, a.Add(decimal.New(0, a.Exponent()-2))} {
			if got, want := fastdecimal.Compare(a, b), a.Cmp(b); got != want {
				t.Fatalf("fastdecimal.Compare(%s, %s) = %d, Cmp gives %d", a, b, got, want)
			}
		}
	}
}

// TestMarkMoveIsTheDecimalExpression: the change in value the guard adds
// to the mark value on each tick must be size x (mark - previous mark) to
// the coefficient and exponent, whether it takes the int64 path or falls
// back (large coefficients, overflowing products, mixed signs).
func TestMarkMoveIsTheDecimalExpression(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func() decimal.Decimal {
		switch rng.IntN(6) {
		case 0:
			return decimal.New(rng.Int64()>>uint(rng.IntN(63)), -int32(rng.IntN(12)))
		case 1:
			return decimal.New(-rng.Int64N(1e12), -int32(rng.IntN(12)))
		case 2:
			return decimal.RequireFromString("123456789012345678901234.5")
		default:
			return decimal.New(rng.Int64N(10_000_000), -int32(rng.IntN(9)))
		}
	}
	edges := [][3]decimal.Decimal{
		// The subtraction overflows an int64 after scaling.
		{decimal.New(1, 0), decimal.New(92233720368547758, 2), decimal.New(-100, 0)},
		{decimal.New(1, 0), decimal.New(-92233720368547758, 2), decimal.New(100, 0)},
	}
	for i := 0; i < 50000+len(edges); i++ {
		size, mark, prev := pick(), pick(), pick()
		if i < len(edges) {
			size, mark, prev = edges[i][0], edges[i][1], edges[i][2]
		}
		got, want := markMove(size, mark, prev), size.Mul(mark.Sub(prev))
		if got.Exponent() != want.Exponent() || got.Coefficient().Cmp(want.Coefficient()) != 0 {
			t.Fatalf("markMove(%s, %s, %s) = %s (exp %d), want %s (exp %d)", size, mark, prev, got, got.Exponent(), want, want.Exponent())
		}
	}
}

// nowOnly is a clock that tells only Now, as the wall clock does: the
// guard must then build the time on every tick.
type nowOnly struct{ c *clock.Sim }

func (n nowOnly) Now() time.Time { return n.c.Now() }

// TestATickAfterMidnightStartsTheDayOnEveryClock: a daily-loss halt set to
// resume lifts on the first tick of the next trading day, to the
// nanosecond, whether the guard reads a clock.Step (a backtest), a
// clock.Sim (paper) or a clock with Now alone (live) on each tick.
func TestATickAfterMidnightStartsTheDayOnEveryClock(t *testing.T) {
	for _, kind := range []string{"step", "sim", "now only"} {
		t.Run(kind, func(t *testing.T) {
			sim := clock.NewSim(t0)
			var clk clock.Clock
			set := sim.Set
			switch kind {
			case "step":
				step := clock.NewStep(t0)
				clk, set = step, step.Set
			case "sim":
				clk = sim
			default:
				clk = nowOnly{sim}
			}
			cfg := looseConfig()
			cfg.TimeZone = "Europe/Berlin"
			cfg.Loss.DailyLoss.Limit = d("50")
			cfg.Loss.DailyLoss.ResumeNextDay = true
			cfg.StaleAfter = 24 * time.Hour
			g, err := NewGuard(cfg, clk)
			if err != nil {
				t.Fatal(err)
			}
			now := t0
			tick := func(price string) {
				g.OnTick(&exchange.Tick{ProductID: "AAA-USD", Kind: exchange.TradeTick, Time: now, Received: now, Price: d(price)})
			}
			tick("100")
			g.SetPosition("s1", "AAA-USD", d("1"), d("100"))
			tick("40") // 60 down on the day: past the 50 limit
			if g.State() != Halted {
				t.Fatalf("state %s, want HALTED", g.State())
			}
			now = time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC).Add(-time.Nanosecond) // 23:59:59.999999999 in Berlin
			set(now)
			tick("40")
			if g.State() != Halted {
				t.Fatalf("state %s a nanosecond before Berlin midnight", g.State())
			}
			now = now.Add(time.Nanosecond)
			set(now)
			tick("40")
			if g.State() != Active {
				t.Fatalf("state %s at Berlin midnight, want ACTIVE", g.State())
			}
		})
	}
}

package risk

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
)

// restart snapshots f's guard through JSON, as the journal stores it, into
// a new guard on a clock at the same time plus dt.
func restart(t *testing.T, f *fixture, dt time.Duration, tweak func(*Config)) (*fixture, Counters) {
	t.Helper()
	raw, err := json.Marshal(f.g.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var c Counters
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	cfg := looseConfig()
	if tweak != nil {
		tweak(&cfg)
	}
	clk := clock.NewSim(f.clk.Now().Add(dt))
	g, err := NewGuard(cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	g.Restore(c)
	return &fixture{t: t, g: g, clk: clk}, c
}

func TestSnapshotRestoreRoundTripKeepsHaltAndCounters(t *testing.T) {
	tweak := func(c *Config) {
		c.PerStrategy.MaxEntriesPerDay = 2
		c.StopLossCooldown = Cooldown{StopLosses: 2, Window: time.Hour, Pause: time.Hour, ExitReasons: []string{"stop_loss"}}
		c.Loss.MaxConsecutiveLosses = CountRule{Limit: 5, Action: Reducing}
	}
	f := newFixture(t, tweak)
	f.hold("s1", "AAA-USD", "3", "100")
	r := f.allow(stopLoss("s1", "AAA-USD", "1"))
	f.g.OnFill("s1", "AAA-USD", exchange.Sell, d("1"), d("90"), d("0.1"), r)
	f.g.Release(r)
	f.g.OnRoundTrip("s1", "AAA-USD", d("-10.1"), "stop_loss")
	f.g.OnRoundTrip("s1", "BBB-USD", d("-1"), "stop_loss")
	f.g.OnRoundTrip("s1", "BBB-USD", d("-1"), "stop_loss") // BBB cools down
	f.g.Halt("maintenance")
	before := f.g.Snapshot()

	g2, c := restart(t, f, time.Minute, tweak)
	if c.Version != CountersVersion {
		t.Errorf("version %d", c.Version)
	}
	info := g2.g.StateInfo()
	if info.State != Halted || info.Rule != RuleKillSwitch || info.Reason != "maintenance" {
		t.Fatalf("restored state %+v, want HALTED by the kill switch", info)
	}
	after := g2.g.Snapshot()
	beforeJSON, _ := json.Marshal(before)
	afterJSON, _ := json.Marshal(after)
	if string(beforeJSON) != string(afterJSON) {
		t.Errorf("snapshot changed across a restart:\nbefore %s\nafter  %s", beforeJSON, afterJSON)
	}
	if size, cost := g2.g.Position("s1", "AAA-USD"); !size.Equal(d("2")) || !cost.Equal(d("200")) {
		t.Errorf("restored position %s at cost %s, want 2 at 200", size, cost)
	}
	// Exits pass on the restored position while halted.
	g2.trade("AAA-USD", "95")
	g2.allow(stopLoss("s1", "AAA-USD", "2"))
	g2.refuse(stopLoss("s1", "AAA-USD", "2.001"), RuleReduceOnly, "")

	g2.g.SetState(Active, "maintenance over")
	g2.trade("BBB-USD", "100")
	g2.refuse(buy("s1", "BBB-USD", "1", "100"), RuleStopLossCooldown, ScopeProduct)
	// One entry was counted today; the second is the last.
	g2.allow(buy("s1", "AAA-USD", "1", "100"))
	g2.refuse(buy("s1", "AAA-USD", "1", "100"), RuleMaxEntriesPerDay, ScopeStrategy)
}

func TestRestoreOnALaterDayStartsTheDayAfresh(t *testing.T) {
	tweak := func(c *Config) {
		c.PerStrategy.MaxEntriesPerDay = 1
		c.Loss.DailyLoss.Limit = d("5")
	}
	f := newFixture(t, tweak)
	f.hold("s1", "AAA-USD", "1", "100")
	r := f.allow(stopLoss("s1", "AAA-USD", "1"))
	f.g.OnFill("s1", "AAA-USD", exchange.Sell, d("1"), d("90"), decimal.Zero, r)
	if f.g.State() != Halted {
		t.Fatalf("state %s after a loss of 10, want HALTED", f.g.State())
	}
	g2, _ := restart(t, f, 24*time.Hour, tweak)
	if g2.g.State() != Active {
		t.Fatalf("state %s on the next day, want ACTIVE (daily loss lifts)", g2.g.State())
	}
	if got := g2.g.DailyPnL(); !got.IsZero() {
		t.Errorf("daily PnL %s on the new day", got)
	}
	if got := g2.g.Snapshot().RealizedTotal; !got.Equal(d("-10")) {
		t.Errorf("realized total %s, want -10 kept", got)
	}
	g2.trade("AAA-USD", "100")
	g2.allow(buy("s1", "AAA-USD", "1", "100"))
}

func TestRestoredPositionShowsNoLossUntilItsFirstTick(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Loss.DailyLoss.Limit = d("5") })
	f.trade("AAA-USD", "1000")
	f.hold("s1", "AAA-USD", "1", "1000")
	clk := clock.NewSim(f.clk.Now())
	g, err := NewGuard(f.g.Config(), clk)
	if err != nil {
		t.Fatal(err)
	}
	g.Restore(f.g.Snapshot())
	if g.State() != Active || !g.DailyPnL().IsZero() {
		t.Fatalf("after restore: %s, daily PnL %s", g.State(), g.DailyPnL())
	}
	g.OnTick(&exchange.Tick{ProductID: "AAA-USD", Kind: exchange.TradeTick, Time: clk.Now(), Price: d("994")})
	if g.State() != Halted {
		t.Errorf("state %s after the first tick shows a loss of 6, want HALTED", g.State())
	}
}

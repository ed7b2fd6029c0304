package risk

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// CountersVersion is the version of the Counters layout; Restore refuses
// nothing, but the journal can use it to migrate.
const CountersVersion = 1

// Counters is the guard's state that must survive a restart: the trading
// state and its cause, the day's PnL and entry counts, the PnL peak, the
// run of losses, the cooldowns and the positions. It marshals to JSON
// with decimals as strings, for the journal's risk_state table.
type Counters struct {
	Version           int                    `json:"version"`
	State             State                  `json:"state"`
	StateRule         string                 `json:"state_rule"`
	StateReason       string                 `json:"state_reason"`
	StateSince        time.Time              `json:"state_since"`
	StateSinceWall    time.Time              `json:"state_since_wall,omitzero"`
	DayStart          time.Time              `json:"day_start"`
	RealizedToday     decimal.Decimal        `json:"realized_today"`
	RealizedTotal     decimal.Decimal        `json:"realized_total"`
	UnrealizedAtStart decimal.Decimal        `json:"unrealized_at_day_start"`
	PnLPeak           decimal.Decimal        `json:"pnl_peak"`
	ConsecutiveLosses int                    `json:"consecutive_losses"`
	AccountEntries    int                    `json:"account_entries"`
	StrategyEntries   map[string]int         `json:"strategy_entries,omitempty"`
	ProductEntries    map[string]int         `json:"product_entries,omitempty"`
	CooldownUntil     map[string]time.Time   `json:"cooldown_until,omitempty"`
	StopLosses        map[string][]time.Time `json:"stop_losses,omitempty"`
	Positions         []Position             `json:"positions,omitempty"`
	// FillSeq is the journal's number of the last fill the guard booked
	// (OnJournaledFill; the journal numbers fills in the order it records
	// them): the counters include every journaled fill numbered up to it
	// and none above, so that a restart books exactly those above it.
	// Snapshot always sets it. It is nil in counters that cannot tell
	// which fills they include: saved before fills were numbered, or by
	// a run whose journal numbered its fills after the guard booked them
	// (paper mode's asynchronous writer, whose daemon leaves it out).
	FillSeq *uint64 `json:"fill_seq,omitempty"`

	// Seq orders the guard's snapshots: a later Snapshot has a larger
	// one. It is not saved; a writer that several goroutines call keeps
	// an older snapshot from landing over a newer one with it.
	Seq uint64 `json:"-"`
}

// Position is one strategy's position in one product: base size (negative
// for a short) and its cost basis in quote currency.
type Position struct {
	Strategy  string          `json:"strategy"`
	ProductID string          `json:"product_id"`
	Size      decimal.Decimal `json:"size"`
	Cost      decimal.Decimal `json:"cost"`
}

// Snapshot returns the counters for the journal.
func (g *Guard) Snapshot() Counters {
	g.mu.Lock()
	defer g.unlock()
	g.roll(g.clk.Now())
	g.snapshots++
	c := Counters{
		Seq: g.snapshots, Version: CountersVersion, State: g.state, StateRule: g.stateRule, StateReason: g.stateReason,
		StateSince: g.stateSince, StateSinceWall: g.stateWall, DayStart: g.dayStart,
		RealizedToday: g.realizedToday, RealizedTotal: g.realizedTotal,
		UnrealizedAtStart: g.unrealizedStart, PnLPeak: g.pnlPeak,
		ConsecutiveLosses: g.consecutive, AccountEntries: g.acct.entries,
	}
	fillSeq := g.fillSeq
	c.FillSeq = &fillSeq
	for name, s := range g.strategies {
		if s.entries > 0 {
			if c.StrategyEntries == nil {
				c.StrategyEntries = map[string]int{}
			}
			c.StrategyEntries[name] = s.entries
		}
		for _, cl := range s.cells {
			if cl != nil && !cl.size.IsZero() {
				c.Positions = append(c.Positions, Position{Strategy: name, ProductID: cl.prod.id, Size: cl.size, Cost: cl.cost})
			}
		}
	}
	sort.Slice(c.Positions, func(i, j int) bool {
		a, b := c.Positions[i], c.Positions[j]
		return a.Strategy < b.Strategy || (a.Strategy == b.Strategy && a.ProductID < b.ProductID)
	})
	nowN := unixNanos(g.clk.Now())
	for id, p := range g.products {
		if p.entries > 0 {
			if c.ProductEntries == nil {
				c.ProductEntries = map[string]int{}
			}
			c.ProductEntries[id] = p.entries
		}
		if p.cooldownUntil > nowN {
			if c.CooldownUntil == nil {
				c.CooldownUntil = map[string]time.Time{}
			}
			c.CooldownUntil[id] = time.Unix(0, p.cooldownUntil).UTC()
		}
		if len(p.stops) > 0 {
			if c.StopLosses == nil {
				c.StopLosses = map[string][]time.Time{}
			}
			for _, t := range p.stops {
				c.StopLosses[id] = append(c.StopLosses[id], time.Unix(0, t).UTC())
			}
		}
	}
	return c
}

// Restore loads counters saved by Snapshot, at startup before the first
// Check: it replaces the state, PnL, counts, cooldowns and positions. A
// snapshot from an earlier trading day keeps its state and cumulative
// figures but starts the new day's counts from zero (and lifts a
// daily-loss halt if so configured). Positions are valued at cost until
// their product's next tick.
func (g *Guard) Restore(c Counters) {
	g.mu.Lock()
	defer g.unlock()
	if c.State <= Halted {
		g.set(c.State, knownRule(c.StateRule), c.StateReason)
		if !c.StateSince.IsZero() {
			g.stateSince = c.StateSince
			g.stateWall = c.StateSince // a journal from before StateSinceWall ran on the wall clock in live mode
		}
		if !c.StateSinceWall.IsZero() {
			g.stateWall = c.StateSinceWall
		}
	}
	g.realizedToday, g.realizedTotal = c.RealizedToday, c.RealizedTotal
	g.unrealizedStart, g.pnlPeak = c.UnrealizedAtStart, c.PnLPeak
	g.consecutive = c.ConsecutiveLosses
	g.acct.entries = c.AccountEntries
	g.fillSeq = 0
	if c.FillSeq != nil {
		g.fillSeq = *c.FillSeq
	}
	for name, n := range c.StrategyEntries {
		g.strategy(name).entries = n
	}
	for id, n := range c.ProductEntries {
		g.product(id).entries = n
	}
	for id, t := range c.CooldownUntil {
		g.product(id).cooldownUntil = unixNanos(t)
	}
	for id, ts := range c.StopLosses {
		p := g.product(id)
		p.stops = p.stops[:0]
		for _, t := range ts {
			p.stops = append(p.stops, unixNanos(t))
		}
	}
	for _, pos := range c.Positions {
		g.setPosition(pos.Strategy, pos.ProductID, pos.Size, pos.Cost)
	}
	if !c.DayStart.IsZero() {
		g.startDay(c.DayStart)
	}
	g.roll(g.clk.Now())
}

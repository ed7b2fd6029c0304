package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/engine"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// killableRun is one run of the daemon's engine with a strategy instance on
// a simulated exchange that outlives it, journaled in SQLite.
type killableRun struct {
	t    *testing.T
	x    *sim.Exchange
	clk  *clock.Sim
	j    *journalAdapter
	eng  *engine.Engine
	grid *strategy.Grid
	// guard is the run's risk guard.
	guard *risk.Guard
	// closed: the run ended and its journal is closed.
	closed bool
	// log holds what the engine and the instance logged, as JSON lines.
	log *syncBuffer
}

var gridProduct = exchange.Product{ID: "BTC-USD", BaseCurrency: "BTC", QuoteCurrency: "USD",
	BaseIncrement: dec("0.00000001"), QuoteIncrement: dec("0.01"), PriceIncrement: dec("0.01"),
	BaseMinSize: dec("0.00001"), BaseMaxSize: dec("1000"), QuoteMinSize: dec("1"), QuoteMaxSize: dec("1000000")}

// startGrid starts a run on x with the journal at path: a new engine and
// a new grid (58,000 to 62,000, five levels, stop 57,000), recovered from
// the journal as the daemon does at start.
func startGrid(t *testing.T, x *sim.Exchange, clk *clock.Sim, path string, placement exits.Placement) *killableRun {
	t.Helper()
	p := &strategy.GridParams{Lower: dec("58000"), Upper: dec("62000"), Levels: 5, StopPrice: dec("57000"), PostOnly: true}
	st, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	var ex exits.Config
	ex.Placement = placement
	r := startRun(t, x, clk, path, engine.InstanceSpec{Name: "grid", ProductID: "BTC-USD", Strategy: st, QuoteSize: dec("600"), Exits: ex})
	r.grid = st.(*strategy.Grid)
	return r
}

// startRun starts a run of one instance on x with the journal at path,
// recovered from the journal as the daemon does at start. The risk
// guard lets a ladder of orders rest (20 open, 20 % from the price).
func startRun(t *testing.T, x *sim.Exchange, clk *clock.Sim, path string, spec engine.InstanceSpec) *killableRun {
	t.Helper()
	return startRunVia(t, x, x, clk, path, spec)
}

// startRunVia is startRun with the engine reaching x through venue (x
// behind a link the test can cut).
func startRunVia(t *testing.T, x *sim.Exchange, venue exchange.Venue, clk *clock.Sim, path string, spec engine.InstanceSpec) *killableRun {
	t.Helper()
	return startRunWith(t, x, venue, clk, path, spec, runOptions{})
}

// runOptions change how startRunWith starts a run.
type runOptions struct {
	// journalClock, when set, stamps the journal's records in place of
	// the wall clock.
	journalClock clock.Clock
	// engineJournal, when set, is the journal the engine writes to, made
	// from the run's.
	engineJournal func(*journalAdapter) engine.Journal
}

// startRunWith is startRunVia with options.
func startRunWith(t *testing.T, x *sim.Exchange, venue exchange.Venue, clk *clock.Sim, path string, spec engine.InstanceSpec,
	opt runOptions) *killableRun {
	t.Helper()
	j, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if opt.journalClock != nil {
		j.UseClock(opt.journalClock)
	}
	var ej engine.Journal = j
	if opt.engineJournal != nil {
		ej = opt.engineJournal(j)
	}
	cfg := risk.DefaultConfig()
	cfg.Limits.PriceCollarPct = dec("20")
	cfg.PerStrategy.MaxOpenOrders, cfg.PerStrategy.MaxEntriesPerDay = 20, 1000
	cfg.PerStrategy.MaxExposure, cfg.PerStrategy.MaxPositionNotional = dec("20000"), dec("20000")
	cfg.PerStrategy.OrdersPerSecond, cfg.PerStrategy.OrdersPerMinute = 20, 1000
	g, err := risk.NewGuard(cfg, clk)
	if err != nil {
		t.Fatal(err)
	}
	// The risk counters a run saved, as the daemon restores them.
	if err := j.restoreRisk(g); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	eng, err := engine.New(context.Background(), engine.Options{Venue: venue, Guard: g, Clock: clk, Journal: ej, Log: NewLogger(log, "json", "info"),
		OnRoundTrip: j.roundTrip(slog.New(slog.DiscardHandler)), Instances: []engine.InstanceSpec{spec}})
	if err != nil {
		t.Fatal(err)
	}
	x.SetHandler(eng.HandleEvent)
	if _, err := eng.Recover(context.Background(), j, venue); err != nil {
		t.Fatal(err)
	}
	r := &killableRun{t: t, x: x, clk: clk, j: j, eng: eng, guard: g, log: log}
	t.Cleanup(func() {
		if !r.closed {
			r.crash()
		}
	})
	return r
}

// trade moves the market to price, one second on, through the venue and
// the engine.
func (r *killableRun) trade(price string) { r.tradeShowing(price, "5", "0.1") }

// tradeShowing is trade with quoteSize on the best bid and ask and
// tradeSize in the trade: what a venue with partial fills lets an order
// fill.
func (r *killableRun) tradeShowing(price, quoteSize, tradeSize string) {
	now := r.clk.Now().Add(time.Second)
	r.clk.Set(now)
	p := dec(price)
	for _, tk := range []exchange.Tick{
		{ProductID: "BTC-USD", Kind: exchange.QuoteTick, Time: now, Received: now, Bid: p.Sub(dec("0.01")), BidSize: dec(quoteSize),
			Ask: p.Add(dec("0.01")), AskSize: dec(quoteSize)},
		{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: now, Received: now, Price: p, Size: dec(tradeSize), TakerSide: exchange.Buy},
	} {
		r.x.OnTick(&tk)
		if r.eng != nil {
			r.eng.OnTick(tk)
			r.eng.Drain(context.Background())
		}
	}
}

// crash ends the run as a kill would: nothing is parked or cancelled.
func (r *killableRun) crash() {
	r.x.SetHandler(func(exchange.OrderEvent) {})
	r.eng, r.closed = nil, true
	if err := r.j.Close(); err != nil {
		r.t.Fatal(err)
	}
}

// orders returns the venue's open orders as "SIDE TYPE price size",
// sorted.
func orders(t *testing.T, x *sim.Exchange) []string {
	t.Helper()
	os, err := x.OpenOrders(context.Background(), "BTC-USD")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range os {
		out = append(out, fmt.Sprintf("%s %s %s %s", o.Side, o.Type, o.LimitPrice, o.BaseSize.Sub(o.FilledSize)))
	}
	sort.Strings(out)
	return out
}

func newGridVenue(t *testing.T) (*sim.Exchange, *clock.Sim) { return newGridVenueWith(t, false) }

// newGridVenueWith is newGridVenue with sim.Config.PartialFills set to
// partial.
func newGridVenueWith(t *testing.T, partial bool) (*sim.Exchange, *clock.Sim) {
	t.Helper()
	clk := clock.NewSim(time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC))
	x, err := sim.New(sim.Config{Products: []exchange.Product{gridProduct}, PartialFills: partial,
		Balances: map[string]decimal.Decimal{"USD": dec("100000")}, Fees: sim.DefaultFees()}, clk)
	if err != nil {
		t.Fatal(err)
	}
	return x, clk
}

// TestAGridKilledAndRestartedPlacesNoLadderOrderTwice: a grid rests its
// ladder, one buy fills and its lot rests for sale; the daemon is killed;
// while it is down another buy fills. Restarted from the SQLite journal,
// the grid learns of that fill, puts that lot on sale, and places no
// order that already rests: one buy per free level, one sell per lot.
// Then a graceful stop cancels the sells so that the stop rests for the
// whole inventory (invariant 4), and the next start places them again,
// once.
func TestAGridKilledAndRestartedPlacesNoLadderOrderTwice(t *testing.T) {
	x, clk := newGridVenue(t)
	r, path := killAGridHoldingALotOnSale(t, x, clk)
	r.trade("58900") // while down: the 59,000 buy fills
	r = startGrid(t, x, clk, path, exits.InBot)
	for _, p := range []string{"58950", "58950", "58950"} {
		r.trade(p)
	}
	after := orders(t, x)
	want := []string{"BUY LIMIT 58000 0.01034482", "SELL LIMIT 60000 0.01016949", "SELL LIMIT 61000 0.01"}
	if fmt.Sprint(after) != fmt.Sprint(want) {
		t.Fatalf("after the restart: %v, want %v (the lot bought while down on sale, nothing twice)", after, want)
	}
	bals, err := x.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bals {
		if b.Currency == "BTC" && !b.Total().Equal(dec("0.02016949")) {
			t.Fatalf("%s BTC held after the restart, want both lots", b.Total())
		}
	}

	// A graceful stop: the sells go, the stop rests for all that is held.
	r.park()
	parked := orders(t, x)
	if len(parked) != 2 || parked[0] != "BUY LIMIT 58000 0.01034482" || parked[1][:15] != "SELL STOP_LIMIT" ||
		parked[1][len(parked[1])-10:] != "0.02016949" {
		t.Fatalf("parked: %v, want the buy and one stop for the whole 0.02016949", parked)
	}
	r.crash()

	r = startGrid(t, x, clk, path, exits.InBot)
	for _, p := range []string{"59000", "59000", "59000"} {
		r.trade(p)
	}
	if got := orders(t, x); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after a graceful restart: %v, want %v", got, want)
	}
}

// park stops the run's entries and parks its protection, as a graceful
// stop does before the process exits: the grid's sells are cancelled so
// that the stop rests for all that is held.
func (r *killableRun) park() {
	r.eng.StopEntries()
	parkedDone := make(chan struct{})
	go func() { r.eng.Park(context.Background()); close(parkedDone) }()
	for waiting := true; waiting; {
		r.eng.Drain(context.Background()) // the instances' goroutines' part: Park waits for it
		select {
		case <-parkedDone:
			waiting = false
		case <-time.After(time.Millisecond):
		}
	}
	r.eng.Drain(context.Background())
}

// killAGridHoldingALotOnSale starts a grid on x and a new journal,
// brings it to one lot on sale at 61,000 and two buys resting at 58,000
// and 59,000 (the price at 59,900), and kills it. It returns the killed
// run, whose trade moves the market while the daemon is down, and the
// journal's path.
func killAGridHoldingALotOnSale(t *testing.T, x *sim.Exchange, clk *clock.Sim) (*killableRun, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	r := startGrid(t, x, clk, path, exits.InBot)
	for _, p := range []string{"60500", "59900", "59900"} {
		r.trade(p)
	}
	want := "[BUY LIMIT 58000 0.01034482 BUY LIMIT 59000 0.01016949 SELL LIMIT 61000 0.01]"
	if got := fmt.Sprint(orders(t, x)); got != want {
		t.Fatalf("before the kill: %s, want %s", got, want)
	}
	r.crash()
	return r, path
}

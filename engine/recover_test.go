package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/clock"
	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/risk"
)

// TestJournalPartRecordsOnlyWhatTheJournalLacks covers a crash between
// recording a fill and saving the position that applied it: after the
// restart the position applies the venue's cumulative fill again, and the
// journal's fills table must end up holding the order's filled size once.
func TestJournalPartRecordsOnlyWhatTheJournalLacks(t *testing.T) {
	tests := []struct {
		name string
		// journaled: fills table before the restart; filled: applied to
		// the position before this event; size, fee: the event's fill.
		journaled, filled, size, fee string
		wantSize, wantFee            string // "" for nothing recorded
	}{
		{"nothing journaled before: all of it", "0", "0", "0.5", "3", "0.5", "3"},
		{"journal holds it all: nothing", "0.5", "0", "0.5", "3", "", ""},
		{"journal holds more than this event reaches: nothing", "0.5", "0", "0.2", "1", "", ""},
		{"journal holds part: the rest, fee pro rata", "0.2", "0", "0.5", "3", "0.3", "1.8"},
		{"journal behind the position: all of it", "0.1", "0.2", "0.3", "1.5", "0.3", "1.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fill := &exchange.Fill{TradeID: "t", Size: d(tc.size), Fee: d(tc.fee)}
			tr := &trackedOrder{journaled: d(tc.journaled), filled: d(tc.filled).Add(d(tc.size))}
			got := tr.journalPart(fill)
			if tc.wantSize == "" {
				if got != nil {
					t.Fatalf("recorded %+v, want nothing", got)
				}
				return
			}
			if got == nil || !got.Size.Equal(d(tc.wantSize)) || !got.Fee.Equal(d(tc.wantFee)) {
				t.Fatalf("recorded %+v, want size %s fee %s", got, tc.wantSize, tc.wantFee)
			}
			if !fill.Size.Equal(d(tc.size)) {
				t.Fatalf("the applied fill changed to %s", fill.Size)
			}
		})
	}
	// A second event after the journal caught up records in full.
	tr := &trackedOrder{journaled: d("0.5"), filled: d("0.5")}
	tr.journalPart(&exchange.Fill{Size: d("0.5")})
	tr.filled = d("0.7")
	if got := tr.journalPart(&exchange.Fill{Size: d("0.2"), Fee: d("1")}); got == nil || !got.Size.Equal(d("0.2")) {
		t.Fatalf("after catching up: recorded %+v, want 0.2", got)
	}
}

// TestAttachedBracketFindsItsInstanceAsTheUserChannelReportsIt covers the
// two ways Coinbase's user channel reports a venue-created bracket that
// the executor must still give to the entry's instance: without its
// originating order id (the channel does not carry it), and after the
// entry's own end (the entry's FILLED can come first).
func TestAttachedBracketFindsItsInstanceAsTheUserChannelReportsIt(t *testing.T) {
	attached := &exchange.AttachedBracket{LimitPrice: d("110"), StopTriggerPrice: d("90")}
	entryReq := exchange.OrderRequest{ClientOrderID: "inst-1", ProductID: "BTC-USD", Side: exchange.Buy,
		Type: exchange.Market, QuoteSize: d("50"), Attached: attached}
	bracket := exchange.Order{ID: "v-br", Status: exchange.StatusOpen, OrderRequest: exchange.OrderRequest{
		ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Bracket, BaseSize: d("0.5")}}
	filledEntry := exchange.Order{ID: "v-entry", Status: exchange.StatusFilled, FilledSize: d("0.5"),
		FilledValue: d("50"), OrderRequest: entryReq}
	tests := []struct {
		name       string
		entryFirst bool   // the entry's FILLED arrives before the bracket
		origin     string // the bracket's originating order id as reported
		size       string // the bracket's size as reported
		tracked    bool
	}{
		{"bracket first, no origin", false, "", "0.5", true},
		{"entry first, no origin", true, "", "0.5", true},
		{"entry first, with origin", true, "v-entry", "0.5", true},
		{"another size is not ours", true, "", "0.4", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := risk.NewGuard(risk.DefaultConfig(), clock.Wall{})
			if err != nil {
				t.Fatal(err)
			}
			e := NewExecutor(ExecutorOptions{Guard: g})
			e.orders["inst-1"] = &trackedOrder{intent: OrderRecord{ClientOrderID: "inst-1", Instance: "inst", Purpose: exchange.Entry, Request: entryReq},
				order: exchange.Order{ID: "v-entry", OrderRequest: entryReq, Status: exchange.StatusOpen}}
			e.byVenueID["v-entry"] = "inst-1"
			if tc.entryFirst {
				e.HandleEvent(exchange.OrderEvent{Order: filledEntry})
			} else {
				// The fill is applied before the bracket shows up.
				e.orders["inst-1"].filled = d("0.5")
			}
			br := bracket
			br.OriginatingOrderID, br.BaseSize = tc.origin, d(tc.size)
			e.HandleEvent(exchange.OrderEvent{Order: br})
			if got := e.tracksClientID("inst-1" + attachedSuffix); got != tc.tracked {
				t.Fatalf("bracket tracked as inst-1-attached = %v, want %v", got, tc.tracked)
			}
			if tc.tracked && e.orders["inst-1"+attachedSuffix].intent.Instance != "inst" {
				t.Fatalf("bracket given to %q", e.orders["inst-1"+attachedSuffix].intent.Instance)
			}
		})
	}
}

// restartRig is an engine over the real simulated exchange with one
// instance, "s", that never enters on its own: the tests put the state a
// restart finds in place and run recovery.
func restartRig(t *testing.T, ex exits.Config) *rig {
	t.Helper()
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: &scripted{},
		QuoteSize: d("1000"), Exits: ex})
	r.trade("100")
	return r
}

func exchangeStop(percent string) exits.Config {
	c := stopLoss(percent)
	c.Placement = exits.OnExchange
	return c
}

// openSells returns the venue's open SELL orders.
func (r *rig) openSells(t *testing.T) []exchange.Order {
	t.Helper()
	os, err := r.x.OpenOrders(context.Background(), "BTC-USD")
	if err != nil {
		t.Fatal(err)
	}
	var out []exchange.Order
	for _, o := range os {
		if o.Side == exchange.Sell {
			out = append(out, o)
		}
	}
	return out
}

// stateJournal is a RecoveryJournal holding one instance's exit state and
// no open orders: the journal after a crash that saved the exit state
// and then, separately, the end of an order the state still counts on.
type stateJournal struct{ exitState []byte }

func (j stateJournal) OpenOrders() ([]JournaledOrder, error) { return nil, nil }
func (j stateJournal) InstanceState(string) ([]byte, []byte, error) {
	return j.exitState, nil, nil
}

// After a restart the exit state may name a resting exit that the journal
// holds as finished, or not at all, and that is gone from the venue
// (cancelled while the daemon was down). Recovery must ask the venue about
// it: taken as resting (a resend under its id returns the cancelled
// order), the position would have no stop on the venue.
func TestRecoveryResolvesTheExitOrdersOfTheRestoredState(t *testing.T) {
	r := restartRig(t, exchangeStop("2"))
	ctx := context.Background()
	// The position's base, and its stop, cancelled while the daemon was down.
	buy, err := r.x.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Buy,
		Type: exchange.Market, BaseSize: d("1")})
	if err != nil {
		t.Fatal(err)
	}
	old, err := r.x.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "s-2", ProductID: "BTC-USD", Side: exchange.Sell,
		Type: exchange.StopLimit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d("1"), StopPrice: d("98"),
		LimitPrice: d("97.51"), StopDirection: exchange.StopDown})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.x.CancelOrder(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	r.eng.Drain(ctx) // the events of a run that is gone reach no one
	var s exits.State
	s.Position.Size, s.Position.AvgEntry = d("1"), buy.AverageFilledPrice
	s.Stop, s.StopReason, s.EntrySize = d("98"), exits.ReasonStopLoss, d("1")
	s.Resting = &exits.RestingOrder{ClientOrderID: "s-2", Type: exchange.StopLimit, Size: d("1"), Stop: d("98"),
		Limit: d("97.51"), TriggerLimit: d("97.51"), Reason: exits.ReasonStopLoss}
	state, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.eng.Recover(ctx, stateJournal{state}, r.x)
	if err != nil {
		t.Fatal(err)
	}
	r.trade("100")
	sells := r.openSells(t)
	if len(sells) != 1 || sells[0].ClientOrderID == "s-2" || !sells[0].BaseSize.Equal(d("1")) {
		t.Fatalf("open sells after recovery %+v (report %+v), want one new stop for 1", sells, rep)
	}
	if p := r.eng.instances[0].exits.Protection(); !p.Resting {
		t.Fatalf("protection %+v, want the new stop resting", p)
	}
}

// flakyVenue is the simulated exchange behind a link the test can cut:
// while down, every request fails without reaching it.
type flakyVenue struct {
	*sim.Exchange
	down bool
}

var errLinkDown = errors.New("connection refused")

func (v *flakyVenue) PlaceOrder(ctx context.Context, req exchange.OrderRequest) (exchange.Order, error) {
	if v.down {
		return exchange.Order{}, errLinkDown
	}
	return v.Exchange.PlaceOrder(ctx, req)
}

func (v *flakyVenue) OrderByClientID(ctx context.Context, id string) (exchange.Order, error) {
	if v.down {
		return exchange.Order{}, errLinkDown
	}
	return v.Exchange.OrderByClientID(ctx, id)
}

// An exit sent again under its client order id after an unknown outcome
// is the same order: it must not pass the risk guard again (the position
// it was for may have changed, and a refusal would make the instance
// send it again and again), nor be journaled twice, and the venue is
// asked about it before it is sent. A refusal by the guard of a new
// request, on the other hand, says the request never left
// (exits.ErrNotSent), so that the instance takes a new id next time.
func TestAResendOfATrackedOrderAsksTheVenueAndSkipsTheGuard(t *testing.T) {
	clk := clock.NewSim(time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC))
	x, err := sim.New(sim.Config{Products: []exchange.Product{btcUSD},
		Balances: map[string]decimal.Decimal{"USD": d("100000"), "BTC": d("1")}}, clk)
	if err != nil {
		t.Fatal(err)
	}
	x.OnTick(&exchange.Tick{ProductID: "BTC-USD", Kind: exchange.TradeTick, Time: clk.Now(), Price: d("100"), Size: d("1")})
	g, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		t.Fatal(err)
	}
	v := &flakyVenue{Exchange: x}
	eng, err := New(context.Background(), Options{Venue: v, Guard: g, Clock: clk,
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: &scripted{}, QuoteSize: d("10"), Exits: exchangeStop("2")}}})
	if err != nil {
		t.Fatal(err)
	}
	e := eng.Executor()
	e.backoff = time.Millisecond
	g.SetPosition("s", "BTC-USD", d("0.5"), d("50"))
	stop := Intent{Instance: "s", Purpose: exchange.Exit, Request: exchange.OrderRequest{ClientOrderID: "s-7", ProductID: "BTC-USD",
		Side: exchange.Sell, Type: exchange.StopLimit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d("0.5"),
		StopPrice: d("98"), LimitPrice: d("97.51"), StopDirection: exchange.StopDown}}

	v.down = true
	if _, err := e.Place(context.Background(), stop); !errors.Is(err, ErrInFlight) {
		t.Fatalf("with the link down: %v, want ErrInFlight", err)
	}
	// Meanwhile the position shrank: the guard would refuse the request
	// as new, but it is not new.
	g.SetPosition("s", "BTC-USD", d("0.2"), d("20"))
	v.down = false
	o, err := e.Place(context.Background(), stop)
	if err != nil {
		t.Fatalf("resend: %v", err)
	}
	if got, err := x.OrderByClientID(context.Background(), "s-7"); err != nil || got.ID != o.ID {
		t.Fatalf("the venue holds %+v (%v), the resend answered %+v", got, err, o)
	}

	stop.Request.ClientOrderID = "s-8"
	_, err = e.Place(context.Background(), stop)
	if !errors.Is(err, ErrRiskRejected) || !errors.Is(err, exits.ErrNotSent) {
		t.Fatalf("a new exit larger than the position: %v, want a guard refusal that wraps exits.ErrNotSent", err)
	}
}

// Coinbase's user channel reports an entry without its attached TP/SL
// and the bracket the venue made from it without its originating order.
// The instance must still wait for that bracket instead of placing an
// exit of its own beside it (which the venue refuses, the bracket
// holding the base, or accepts against another instance's base), and
// adopt the bracket as its exit.
func TestAnEntryWithAnAttachedBracketAsTheUserChannelReportsIt(t *testing.T) {
	ex := exchangeStop("2")
	ex.AttachToEntry = true
	ex.TakeProfit = []exits.TakeProfit{{Percent: d("3"), Close: d("1")}}
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(),
		QuoteSize: d("1000"), Exits: ex})
	var sells int
	r.x.SetHandler(func(ev exchange.OrderEvent) {
		ev.Order.Attached, ev.Order.OriginatingOrderID = nil, ""
		r.eng.HandleEvent(ev)
	})
	for _, p := range []string{"100", "100.5", "101"} {
		r.trade(p)
	}
	for _, o := range r.x.Orders() {
		if o.Side == exchange.Sell {
			sells++
		}
	}
	st := r.eng.instances[0].exits.State()
	if sells != 1 || st.Resting == nil || st.Resting.Type != exchange.Bracket || st.AwaitAttached {
		t.Fatalf("%d sell orders on the venue, resting %+v (awaiting %v); want the attached bracket alone, adopted", sells, st.Resting, st.AwaitAttached)
	}
}

// openJournal is a RecoveryJournal holding open orders and, optionally,
// one instance's exit state.
type openJournal struct {
	orders    []JournaledOrder
	exitState []byte
}

func (j openJournal) OpenOrders() ([]JournaledOrder, error) { return j.orders, nil }
func (j openJournal) InstanceState(string) ([]byte, []byte, error) {
	return j.exitState, nil, nil
}

// A run killed after it placed the stop for a fresh entry, but before it
// journaled the exit state that names that stop, leaves the journal with
// the entry and the stop open and an exit state that knows neither. The
// crash test found the restarted daemon placing a second stop beside the
// first: on spot the venue accepted it against another instance's base,
// both filled, and that instance was left holding a position the account
// no longer had. Recovery must end with exactly one resting exit, and the
// stop found on the venue is the one to keep.
func TestAStopPlacedButNotSavedBeforeTheKillIsAdoptedNotDoubled(t *testing.T) {
	for _, exitFirst := range []bool{false, true} {
		name := "entry journaled first"
		if exitFirst {
			name = "exit journaled first"
		}
		t.Run(name, func(t *testing.T) {
			r := restartRig(t, exchangeStop("2"))
			ctx := context.Background()
			// Another instance's base, which a second stop could sell.
			if _, err := r.x.PlaceOrder(ctx, exchange.OrderRequest{ClientOrderID: "other-1", ProductID: "BTC-USD",
				Side: exchange.Buy, Type: exchange.Market, BaseSize: d("1")}); err != nil {
				t.Fatal(err)
			}
			entryReq := exchange.OrderRequest{ClientOrderID: "s-1", ProductID: "BTC-USD", Side: exchange.Buy,
				Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, BaseSize: d("1")}
			entry, err := r.x.PlaceOrder(ctx, entryReq)
			if err != nil {
				t.Fatal(err)
			}
			stopReq := exchange.OrderRequest{ClientOrderID: "s-2", ProductID: "BTC-USD", Side: exchange.Sell,
				Type: exchange.StopLimit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d("1"), StopPrice: d("98"),
				LimitPrice: d("97.51"), StopDirection: exchange.StopDown}
			stop, err := r.x.PlaceOrder(ctx, stopReq)
			if err != nil {
				t.Fatal(err)
			}
			r.eng.Drain(ctx) // the events of a run that is gone reach no one
			// The killed run journaled both intents and their venue ids, and
			// neither the entry's fill nor the stop in its exit state.
			orders := []JournaledOrder{
				{Instance: "s", Purpose: exchange.Entry, Order: exchange.Order{OrderRequest: entryReq, ID: entry.ID, Status: exchange.StatusOpen}},
				{Instance: "s", Purpose: exchange.Exit, Order: exchange.Order{OrderRequest: stopReq, ID: stop.ID, Status: exchange.StatusOpen}},
			}
			if exitFirst {
				orders[0], orders[1] = orders[1], orders[0]
			}
			rep, err := r.eng.Recover(ctx, openJournal{orders: orders}, r.x)
			if err != nil {
				t.Fatal(err)
			}
			r.trade("100")
			sells := r.openSells(t)
			if len(sells) != 1 || !sells[0].BaseSize.Equal(d("1")) {
				t.Fatalf("open sells after recovery %+v (report %+v), want one stop for 1", sells, rep)
			}
			// In the journal's order (by intent time) the stop comes after
			// the entry whose fill it protects, and is adopted. Met first,
			// while flat, it is taken for an earlier trip's and cancelled;
			// the position then gets a stop of its own.
			if !exitFirst && sells[0].ClientOrderID != "s-2" {
				t.Errorf("the resting stop is %s, want s-2, the one the killed run placed, kept", sells[0].ClientOrderID)
			}
			st := r.eng.instances[0].exits.State()
			if st.Resting == nil || st.Resting.OrderID != sells[0].ID || !st.Position.Size.Equal(d("1")) {
				t.Fatalf("exit state %+v, want position 1 protected by %s", st, sells[0].ID)
			}
		})
	}
}

// A refusal that repeats (an exit the guard refuses until the position
// it is for changes) is logged once per cause and then once a minute,
// not once per attempt: the crash test's logs held the same refusal
// hundreds of times a second. Another cause is logged at once.
func TestARepeatedRefusalIsLoggedOncePerCause(t *testing.T) {
	clk := clock.NewSim(time.Date(2024, 8, 9, 0, 0, 0, 0, time.UTC))
	x, err := sim.New(sim.Config{Products: []exchange.Product{btcUSD},
		Balances: map[string]decimal.Decimal{"USD": d("100000"), "BTC": d("1")}}, clk)
	if err != nil {
		t.Fatal(err)
	}
	g, err := risk.NewGuard(risk.DefaultConfig(), clk)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	eng, err := New(context.Background(), Options{Venue: x, Guard: g, Clock: clk,
		Log:       slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: &scripted{}, QuoteSize: d("10"), Exits: exchangeStop("2")}}})
	if err != nil {
		t.Fatal(err)
	}
	e := eng.Executor()
	sell := func(id string) error {
		_, err := e.Place(context.Background(), Intent{Instance: "s", Purpose: exchange.Exit, Request: exchange.OrderRequest{
			ClientOrderID: id, ProductID: "BTC-USD", Side: exchange.Sell, Type: exchange.Market, BaseSize: d("0.5")}})
		return err
	}
	count := func() int { return strings.Count(logs.String(), "risk guard refused order") }
	for i := range 100 {
		clk.Set(clk.Now().Add(10 * time.Millisecond))
		if err := sell(fmt.Sprintf("s-%d", i)); !errors.Is(err, ErrRiskRejected) {
			t.Fatalf("sell %d: %v, want a guard refusal (no position)", i, err)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d log lines for 100 identical refusals in a second, want 1:\n%s", n, logs.String())
	}
	clk.Set(clk.Now().Add(refusalLogEvery))
	if err := sell("s-100"); !errors.Is(err, ErrRiskRejected) {
		t.Fatal(err)
	}
	if n := count(); n != 2 || !strings.Contains(logs.String(), "repeats_not_logged=99") {
		t.Fatalf("after a minute: %d lines, want 2, the second counting the 99 left out:\n%s", n, logs.String())
	}
}

// An attached bracket's fill can reach the executor before its entry's
// (the entry's events lost with a dropped socket and recovered later by
// REST, while the bracket's arrive): the instance must still book both,
// so that its position ends where the risk guard's, which books every
// fill as it comes, does.
func TestABracketFilledBeforeItsEntryIsBooked(t *testing.T) {
	r := newRig(t, risk.DefaultConfig(), InstanceSpec{Name: "s", ProductID: "BTC-USD", Strategy: enterOnFirstTrade(),
		QuoteSize: d("1000"), Exits: attachedBracket()})
	var held []exchange.OrderEvent
	r.x.SetHandler(func(ev exchange.OrderEvent) {
		if ev.Order.Side == exchange.Buy {
			held = append(held, ev) // the entry's events come late
			return
		}
		r.eng.HandleEvent(ev)
	})
	r.trade("100")
	r.trade("101")
	r.trade("104") // the bracket's take-profit fills
	if n := len(r.x.Fills()); n != 2 || len(held) == 0 {
		t.Fatalf("%d fills on the venue, %d entry events held; want the entry and its bracket filled", n, len(held))
	}
	for _, ev := range held {
		r.eng.HandleEvent(ev)
	}
	r.eng.Drain(context.Background())
	pos := r.eng.instances[0].exits.Position()
	guard, _ := r.guard.Position("s", "BTC-USD")
	if !pos.Size.IsZero() || !guard.IsZero() {
		t.Fatalf("position %s, guard %s; want both flat (bought and sold by the bracket)", pos.Size, guard)
	}
}

package strategy

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/tradebot/tradebot/exchange"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestGridParamsNameEveryMistake: each error starts with the key a user
// wrote.
func TestGridParamsNameEveryMistake(t *testing.T) {
	for _, c := range []struct {
		p    GridParams
		want string
	}{
		{GridParams{Upper: dec("10"), Levels: 5, StopPercent: 3}, "lower: must be a positive price"},
		{GridParams{Lower: dec("10"), Upper: dec("10"), Levels: 5, StopPercent: 3}, "upper: must be above lower"},
		{GridParams{Lower: dec("10"), Upper: dec("20"), Levels: 1, StopPercent: 3}, "levels: must be 2 to 200"},
		{GridParams{Lower: dec("10"), Upper: dec("20"), Levels: 201, StopPercent: 3}, "levels: must be 2 to 200"},
		{GridParams{Lower: dec("10"), Upper: dec("20"), Levels: 5, StopPrice: dec("10")}, "stop_price: must be under lower"},
		{GridParams{Lower: dec("10"), Upper: dec("20"), Levels: 5, StopPrice: dec("-1")}, "stop_price: must be positive or 0"},
		{GridParams{Lower: dec("10"), Upper: dec("20"), Levels: 5}, "stop_percent: must be from 0.1"},
	} {
		errs := c.p.Validate()
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), c.want) {
			t.Errorf("%+v: errors %v, want one starting %q", c.p, errs, c.want)
		}
		if _, err := c.p.Build(); err == nil {
			t.Errorf("%+v built", c.p)
		}
	}
}

// TestGridDeclaresItsInventoryStop: the stop the engine makes the exits'
// stop_loss is stop_price, or stop_percent under lower.
func TestGridDeclaresItsInventoryStop(t *testing.T) {
	for _, c := range []struct {
		p    GridParams
		want string
	}{
		{GridParams{Lower: dec("40000"), Upper: dec("44000"), Levels: 9, StopPrice: dec("38500")}, "38500"},
		{GridParams{Lower: dec("40000"), Upper: dec("44000"), Levels: 9, StopPercent: 3}, "38800"},
	} {
		s, err := c.p.Build()
		if err != nil {
			t.Fatal(err)
		}
		n := NeedsOf(s, "BTC-USD")
		if !n.InventoryStop().Equal(dec(c.want)) || len(n.TradeProducts()) != 1 {
			t.Errorf("%+v: stop %s, trades %v; want %s and the product's trades", c.p, n.InventoryStop(), n.TradeProducts(), c.want)
		}
	}
}

// TestGridLevelsAreEvenlySpacedFromLowerToUpper: for any range and
// count, the ladder has that many levels, starts at lower, ends exactly
// at upper and rises by the same step (to the decimal's precision).
func TestGridLevelsAreEvenlySpacedFromLowerToUpper(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		lower := decimal.New(rapid.Int64Range(1, 10_000_000).Draw(rt, "lower"), -2)
		upper := lower.Add(decimal.New(rapid.Int64Range(1, 10_000_000).Draw(rt, "width"), -2))
		levels := rapid.IntRange(2, maxGridLevels).Draw(rt, "levels")
		ps := gridPrices(lower, upper, levels)
		if len(ps) != levels || !ps[0].Equal(lower) || !ps[levels-1].Equal(upper) {
			rt.Fatalf("levels %v for %s..%s in %d", ps, lower, upper, levels)
		}
		step := ps[1].Sub(ps[0])
		tolerance := decimal.New(1, -10)
		for i := 1; i < levels; i++ {
			if d := ps[i].Sub(ps[i-1]); !d.IsPositive() || d.Sub(step).Abs().GreaterThan(tolerance) {
				rt.Fatalf("step %d is %s, the first %s", i, d, step)
			}
		}
	})
}

// TestGridFindsASlotByItsOrdersSideAndPrice: an order adopted after a
// restart is matched to its level as the engine rounded it (a buy down, a
// sell up, to the product's increment), and a price off the ladder to
// none.
func TestGridFindsASlotByItsOrdersSideAndPrice(t *testing.T) {
	s, err := (&GridParams{Lower: dec("100"), Upper: dec("101"), Levels: 4, StopPercent: 3}).Build()
	if err != nil {
		t.Fatal(err)
	}
	g := s.(*Grid)
	inc := dec("0.01")
	down := func(p decimal.Decimal) decimal.Decimal { return p.Div(inc).Floor().Mul(inc) }
	up := func(p decimal.Decimal) decimal.Decimal { return p.Div(inc).Ceil().Mul(inc) }
	for _, c := range []struct {
		buy   bool
		price string
		want  int
	}{
		{true, "100", 0}, {true, "100.33", 1}, {true, "100.66", 2}, {true, "101", -1},
		{false, "100.34", 0}, {false, "100.67", 1}, {false, "101", 2}, {false, "100", -1}, {true, "100.5", -1},
	} {
		if got := g.slotOf(c.buy, dec(c.price), down, up); got != c.want {
			t.Errorf("buy %v at %s: slot %d, want %d", c.buy, c.price, got, c.want)
		}
	}
}

// TestGridStateSurvivesARestartOfTheSameRangeOnly: the slots come back
// from the journal; a state made for another range is refused, and the
// grid starts from its open orders.
func TestGridStateSurvivesARestartOfTheSameRangeOnly(t *testing.T) {
	p := GridParams{Lower: dec("100"), Upper: dec("110"), Levels: 3, StopPercent: 3}
	a, _ := p.Build()
	g := a.(*Grid)
	g.slots()[1] = gridSlot{Held: dec("0.5"), Sell: "grid-7"}
	g.st.Sold, g.st.Armed = 4, true
	b, err := g.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.Build()
	if err := again.(Stateful).UnmarshalState(b); err != nil {
		t.Fatal(err)
	}
	if s := again.(*Grid).st; s.Sold != 4 || !s.Armed || s.Slots[1].Sell != "grid-7" || !s.Slots[1].Held.Equal(dec("0.5")) {
		t.Fatalf("restored %+v", s)
	}
	p.Upper = dec("120")
	other, _ := p.Build()
	if err := other.(Stateful).UnmarshalState(b); err == nil || !strings.Contains(err.Error(), "another range") {
		t.Fatalf("a state of another range restored: %v", err)
	}
}

// TestGridStateKeepsArmedAndLoadsAStateWithoutItUnarmed: armed is
// written whether true or false and comes back as written; a state
// without it (saved before the field existed, or by the version that
// left it out when false) loads unarmed, for adopt to arm if the grid
// holds anything (TestGridWithoutArmedInItsStateStopsOnlyIfItHoldsSomething).
func TestGridStateKeepsArmedAndLoadsAStateWithoutItUnarmed(t *testing.T) {
	p := GridParams{Lower: dec("100"), Upper: dec("110"), Levels: 3, StopPercent: 3}
	a, _ := p.Build()
	b, err := a.(Stateful).MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"armed":false`) {
		t.Fatalf("state %s, want armed written though false", b)
	}
	for _, c := range []struct {
		state string
		armed bool
	}{
		{string(b), false},
		{strings.Replace(string(b), `"armed":false`, `"armed":true`, 1), true},
		{strings.Replace(string(b), `"armed":false,`, ``, 1), false},
	} {
		again, _ := p.Build()
		if err := again.(Stateful).UnmarshalState([]byte(c.state)); err != nil {
			t.Fatal(err)
		}
		if got := again.(*Grid).st.Armed; got != c.armed {
			t.Errorf("state %s loads armed %v, want %v", c.state, got, c.armed)
		}
	}
}

// gridCtx is the Context a grid sees: a position, open orders, and what
// the grid asks for.
type gridCtx struct {
	pos   PositionView
	open  []exchange.Order
	asked []string
	// listed counts the calls of OpenOrders, which copies and sorts the
	// open orders as the engine's does.
	listed int
}

func (c *gridCtx) Now() time.Time                          { return time.Date(2024, 8, 9, 12, 0, 0, 0, time.UTC) }
func (c *gridCtx) Log() *slog.Logger                       { return slog.New(slog.DiscardHandler) }
func (c *gridCtx) Product() exchange.Product               { return dcaProduct }
func (c *gridCtx) Position() PositionView                  { return c.pos }
func (c *gridCtx) Balance(string) (decimal.Decimal, error) { return decimal.Zero, nil }
func (c *gridCtx) OpenOrders() []exchange.Order {
	c.listed++
	out := slices.Clone(c.open)
	slices.SortFunc(out, func(a, b exchange.Order) int { return strings.Compare(a.ClientOrderID, b.ClientOrderID) })
	return out
}
func (c *gridCtx) Warm() bool { return true }
func (c *gridCtx) Buy(o Order) (string, error) {
	c.asked = append(c.asked, "buy "+o.Price.String())
	return "", nil
}
func (c *gridCtx) Sell(o Order) (string, error) {
	c.asked = append(c.asked, "sell "+o.Price.String())
	return "", nil
}
func (c *gridCtx) Close(string) error { return nil }
func (c *gridCtx) Cancel(id string) error {
	c.asked = append(c.asked, "cancel "+id)
	return nil
}

// TestGridWithoutArmedInItsStateStopsOnlyIfItHoldsSomething: a state
// without armed is restarted with the price under the stop. A grid that
// holds something (a lot, a resting order, an open position) is armed at
// its first trade and stops there, cancelling its buy; one that holds
// nothing (a waiting grid saved by the version that left armed out when
// false) waits, asks for nothing, and buys once a trade comes over the
// stop.
func TestGridWithoutArmedInItsStateStopsOnlyIfItHoldsSomething(t *testing.T) {
	p := GridParams{Lower: dec("100"), Upper: dec("110"), Levels: 3, StopPrice: dec("95")}
	buy := limitBuy("grid-1", "100")
	for _, c := range []struct {
		name string
		slot gridSlot
		ctx  gridCtx
		want string
	}{
		{"a lot", gridSlot{Held: dec("0.5")}, gridCtx{}, "[]"},
		{"a buy", gridSlot{Buy: "grid-1"}, gridCtx{open: []exchange.Order{buy}}, "[cancel grid-1]"},
		{"a buy the state does not name", gridSlot{}, gridCtx{open: []exchange.Order{buy}}, "[cancel grid-1]"},
		{"a position", gridSlot{}, gridCtx{pos: PositionView{Size: dec("0.5")}}, "[]"},
		{"nothing", gridSlot{}, gridCtx{}, "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, _ := p.Build()
			g := a.(*Grid)
			g.slots()[0] = c.slot
			b, err := g.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			b = []byte(strings.Replace(string(b), `"armed":false,`, ``, 1))
			again, _ := p.Build()
			r := again.(*Grid)
			if err := r.UnmarshalState(b); err != nil {
				t.Fatal(err)
			}
			ctx := c.ctx
			r.OnTrade(&ctx, &Tick{Price: dec("94")})
			holds := c.name != "nothing"
			if got := fmt.Sprint(ctx.asked); r.st.Stopped != holds || got != c.want {
				t.Fatalf("state %s under the stop: stopped %v, asked %s; want stopped %v, asked %s", b, r.st.Stopped, got, holds, c.want)
			}
			r.OnTrade(&ctx, &Tick{Price: dec("105")})
			want := c.want
			if !holds {
				want = "[buy 100]"
			}
			if got := fmt.Sprint(ctx.asked); got != want {
				t.Fatalf("back over the stop: asked %s, want %s", got, want)
			}
		})
	}
}

// dustGrid is a grid from 100 to 110 in three levels whose position is
// dust (0.000005, under the 0.00001 minimum) kept in the free lot of the
// 105 level, with the 100 level's buy resting, seen at 104: each trade
// asks for nothing.
func dustGrid(tb testing.TB) (*Grid, *gridCtx) {
	tb.Helper()
	a, err := (&GridParams{Lower: dec("100"), Upper: dec("110"), Levels: 3, StopPrice: dec("95")}).Build()
	if err != nil {
		tb.Fatal(err)
	}
	g := a.(*Grid)
	g.st.Armed = true
	slots := g.slots()
	slots[0].Buy = "grid-1"
	slots[1].Held = dec("0.000005")
	ctx := &gridCtx{pos: PositionView{Size: dec("0.000005"), Dust: true},
		open: []exchange.Order{limitBuy("grid-1", "100"), limitBuy("other-2", "90"), limitBuy("other-3", "91"), limitBuy("other-4", "92")}}
	return g, ctx
}

// TestAGridWhosePositionIsDustSharesItOutOncePerChange: while the
// position is dust the grid keeps in its free lots no more than it holds
// beside its resting sells, which takes a copy of its open orders,
// sorted. It does that once for each change of the position or of its
// orders, not on every trade: until 2026-12-07 every trade copied and
// sorted them until a level bought.
func TestAGridWhosePositionIsDustSharesItOutOncePerChange(t *testing.T) {
	g, ctx := dustGrid(t)
	g.OnTrade(ctx, &Tick{Price: dec("104")}) // shares the dust out; the first trade also checks the orders after the start (adopt)
	first := ctx.listed
	for range 10 {
		g.OnTrade(ctx, &Tick{Price: dec("104")})
	}
	if ctx.listed != first || len(ctx.asked) != 0 {
		t.Fatalf("10 more trades with the position dust: the open orders listed %d more times, asked %v; want none, nothing asked",
			ctx.listed-first, ctx.asked)
	}
	if !g.st.Slots[1].Held.Equal(dec("0.000005")) {
		t.Fatalf("the free lot holds %s, want the dust 0.000005", g.st.Slots[1].Held)
	}
	// Less held (the exits sold part of it): shared out again, once.
	ctx.pos.Size = dec("0.000003")
	g.OnTrade(ctx, &Tick{Price: dec("104")})
	g.OnTrade(ctx, &Tick{Price: dec("104")})
	if ctx.listed != first+1 || !g.st.Slots[1].Held.Equal(dec("0.000003")) {
		t.Fatalf("after the position shrank: listed %d more times, lot %s; want once and 0.000003", ctx.listed-first, g.st.Slots[1].Held)
	}
	// An event of the grid's orders: shared out again, once.
	g.OnOrder(ctx, OrderEvent{Kind: PartiallyFilled, ClientOrderID: "grid-1", Order: limitBuy("grid-1", "100")})
	g.OnTrade(ctx, &Tick{Price: dec("104")})
	g.OnTrade(ctx, &Tick{Price: dec("104")})
	if ctx.listed != first+2 {
		t.Fatalf("after an order event: listed %d more times, want once", ctx.listed-first-1)
	}
}

// BenchmarkGridTradeWhilePositionIsDust is one trade of a grid whose
// position is dust, with four buys resting.
func BenchmarkGridTradeWhilePositionIsDust(b *testing.B) {
	g, ctx := dustGrid(b)
	tick := &Tick{Price: dec("104")}
	g.OnTrade(ctx, tick)
	b.ReportAllocs()
	for b.Loop() {
		g.OnTrade(ctx, tick)
	}
}

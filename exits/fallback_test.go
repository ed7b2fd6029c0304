package exits

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// The entry fills at 100, but before the Manager hears of it the market
// trades at 97: the venue refuses a stop at 98 (STOP_PRICE_ABOVE_LAST_
// TRADE_PRICE) and the Manager sells at market at once.
func TestRefusedStopFallsBackToMarket(t *testing.T) {
	for _, cfg := range []Config{
		{StopLoss: pctStop("2")},
		{StopLoss: pctStop("2"), TakeProfit: []TakeProfit{{Percent: d("3"), Close: d("1")}}},
	} {
		h := newHarness(t, cfg)
		h.tick("100")
		h.entries["entry-1"] = true
		if _, err := h.x.PlaceOrder(h.ctx, exchange.OrderRequest{ClientOrderID: "entry-1", ProductID: testProduct.ID,
			Side: exchange.Buy, Type: exchange.Market, BaseSize: d("1")}); err != nil {
			t.Fatal(err)
		}
		h.x.OnTick(&exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: h.clk.Now(), Price: d("97")})
		h.drain()
		rt := h.trip()
		if rt.Reason != ReasonFallback || !rt.ExitPrice.Equal(d("97")) || !rt.PnL.Equal(d("-3")) {
			t.Errorf("exit %s pnl %s reason %s, want 97 -3 fallback", rt.ExitPrice, rt.PnL, rt.Reason)
		}
	}
}

// With bot placement a stale feed rests the watched stop on the venue;
// the first fresh tick takes it back.
func TestStaleFeedRestsTheWatchedStop(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2"), StaleAfter: 10 * time.Second})
	h.tick("100")
	h.enter("1")
	last := h.clk.Now()
	h.m.OnIdle(h.ctx, last.Add(9*time.Second))
	if p := h.m.Protection(); !p.Watched || len(h.openSells()) != 0 {
		t.Fatalf("9s without ticks: %+v, %d open sells; want watched and none", p, len(h.openSells()))
	}
	h.clk.Set(last.Add(10 * time.Second))
	h.m.OnIdle(h.ctx, h.clk.Now())
	h.drain()
	o := h.resting()
	if p := h.m.Protection(); !p.Resting || o.Type != exchange.StopLimit || !o.StopPrice.Equal(d("98")) || !o.LimitPrice.Equal(d("97.51")) {
		t.Fatalf("10s without ticks: %+v, venue %s %s/%s; want a resting STOP_LIMIT 98/97.51", p, o.Type, o.StopPrice, o.LimitPrice)
	}
	h.tick("99.5")
	if p := h.m.Protection(); !p.Watched || len(h.openSells()) != 0 {
		t.Fatalf("fresh tick: %+v, %d open sells; want watched and none", p, len(h.openSells()))
	}
	// Stale again, and the venue (which still sees the market) fills it.
	h.clk.Set(h.clk.Now().Add(time.Minute))
	h.m.OnIdle(h.ctx, h.clk.Now())
	h.drain()
	h.x.OnTick(&exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: h.clk.Now(), Price: d("97.9")})
	h.drain()
	rt := h.trip()
	if rt.Reason != ReasonFallback || !rt.ExitPrice.Equal(d("97.9")) {
		t.Errorf("exit %s reason %s, want 97.9 fallback", rt.ExitPrice, rt.Reason)
	}
}

func TestTimeStopClosesAfterMaxHolding(t *testing.T) {
	for _, placement := range []Placement{OnExchange, InBot} {
		t.Run(string(placement), func(t *testing.T) {
			h := newHarness(t, Config{Placement: placement, StopLoss: pctStop("2"), TimeStop: &TimeStop{MaxHolding: time.Hour}})
			h.tick("100")
			h.enter("1")
			opened := h.clk.Now()
			h.tickAt(opened.Add(59*time.Minute), "100.5")
			if !h.m.Position().Size.IsPositive() {
				t.Fatal("closed before max_holding")
			}
			h.tickAt(opened.Add(time.Hour), "100.2")
			rt := h.trip()
			if rt.Reason != ReasonTimeStop || !rt.ExitPrice.Equal(d("100.2")) || len(h.openSells()) != 0 {
				t.Errorf("exit %s reason %s with %d open sells, want 100.2 time_stop and none", rt.ExitPrice, rt.Reason, len(h.openSells()))
			}
		})
	}
}

func TestCloseCancelsTheRestingExitAndSellsAtMarket(t *testing.T) {
	for _, reason := range []string{ReasonSignal, ReasonKillSwitch} {
		h := newHarness(t, Config{StopLoss: pctStop("2"), TakeProfit: []TakeProfit{{Percent: d("3"), Close: d("1")}}})
		h.tick("100")
		h.enter("1")
		h.tick("101")
		if err := h.m.Close(h.ctx, reason); err != nil {
			t.Fatal(err)
		}
		h.drain()
		rt := h.trip()
		if rt.Reason != reason || !rt.ExitPrice.Equal(d("101")) || len(h.openSells()) != 0 {
			t.Errorf("exit %s reason %s with %d open sells, want 101 %s and none", rt.ExitPrice, rt.Reason, len(h.openSells()), reason)
		}
		if err := h.m.Close(h.ctx, reason); err != nil {
			t.Errorf("Close when flat: %v", err)
		}
	}
}

// A transport error leaves an order's outcome unknown: the market exit is
// sent again under the same client order id, on the spot and on the
// next tick, and the venue ends with exactly one order under that id.
func TestMarketExitRetriesWithTheSameClientOrderID(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		ticks    int // ticks after the trigger until the exit goes out
	}{
		{"two failures, retried at once", 2, 0},
		{"five failures, retried on the next tick", 5, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2")})
			h.tick("100")
			h.enter("1")
			h.orders.failFirst = tc.failures
			h.tick("97.9")
			for range tc.ticks {
				h.tick("97.8")
			}
			if got := len(h.orders.sent); got != tc.failures+1 {
				t.Fatalf("%d sends, want %d", got, tc.failures+1)
			}
			id := h.orders.sent[0]
			for i, s := range h.orders.sent {
				if s != id {
					t.Fatalf("send %d used client order id %q, want %q every time", i, s, id)
				}
			}
			if n := h.x.PlaceCount(id); n != 1 {
				t.Errorf("venue holds %d orders with id %s, want 1", n, id)
			}
			if rt := h.trip(); rt.Reason != ReasonStopLoss {
				t.Errorf("reason %s, want stop_loss", rt.Reason)
			}
		})
	}
}

// With attach_to_entry the bracket rides on the entry: the venue creates
// it when the entry fills and the Manager adopts it instead of placing
// its own.
func TestAttachedBracketIsAdopted(t *testing.T) {
	h := newHarness(t, Config{AttachToEntry: true, StopLoss: pctStop("2"), TakeProfit: []TakeProfit{{Percent: d("3"), Close: d("1")}}})
	h.tick("100")
	h.enter("1")
	o := h.resting()
	if o.OriginatingOrderID == "" || !o.StopPrice.Equal(d("98")) || !o.LimitPrice.Equal(d("103")) {
		t.Fatalf("resting %+v, want the attached bracket 103/98", o)
	}
	if p := h.m.Protection(); !p.Resting || !p.Stop.Equal(d("98")) {
		t.Fatalf("protection %+v, want resting at 98", p)
	}
	if n := len(h.orders.sent); n != 0 {
		t.Fatalf("the Manager placed %d orders of its own", n)
	}
	h.tick("103.5")
	if rt := h.trip(); rt.Reason != ReasonTakeProfit || !rt.PnL.Equal(d("3")) {
		t.Errorf("pnl %s reason %s, want 3 take_profit", rt.PnL, rt.Reason)
	}
}

// State survives a restart as JSON: a new Manager restored from it keeps
// the raised stop, the trailing extreme and the resting order, and goes on
// trailing from there.
func TestStateRestoresAfterRestart(t *testing.T) {
	cfg := Config{StopLoss: pctStop("2"), TrailingStop: &TrailingStop{CallbackPercent: d("1")}, Update: Update{MinInterval: time.Second}}
	h := newHarness(t, cfg)
	h.tick("100")
	h.enter("1")
	h.tick("103") // stop 101.97
	raw, err := json.Marshal(h.m.State())
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	before := h.m.Protection()
	h.m = NewManager(cfg, h.m.d)
	h.m.Restore(st)
	if p := h.m.Protection(); !p.Stop.Equal(before.Stop) || p.Resting != before.Resting || !p.Stop.Equal(d("101.97")) {
		t.Fatalf("restored protection %+v, want %+v", p, before)
	}
	h.tick("102.5")
	if o := h.resting(); !o.StopPrice.Equal(d("101.97")) {
		t.Fatalf("after restore: venue stop %s, want 101.97", o.StopPrice)
	}
	h.tick("105") // 103.95
	if o := h.resting(); !o.StopPrice.Equal(d("103.95")) {
		t.Fatalf("after restore: venue stop %s, want 103.95", o.StopPrice)
	}
	h.tick("103.9")
	if rt := h.trip(); rt.Reason != ReasonTrailingStop || !rt.PnL.Equal(d("3.9")) {
		t.Errorf("pnl %s reason %s, want 3.9 trailing_stop", rt.PnL, rt.Reason)
	}
}

// A refused market exit is final for its client order id: the next
// attempt takes a new id, after update.min_interval, not on every tick.
func TestRefusedMarketExitRetriesWithNewIDAfterMinInterval(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2"), Update: Update{MinInterval: 5 * time.Second}})
	h.tick("100")
	h.enter("1")
	h.orders.refuse = 1
	h.tick("97.9") // refused
	for range 4 {
		h.tick("97.8") // within 5 s: no new attempt
	}
	if got := len(h.orders.sent); got != 1 {
		t.Fatalf("%d attempts within min_interval, want 1: %v", got, h.orders.sent)
	}
	h.tick("97.7") // 5 s after the refusal
	if got := h.orders.sent; len(got) != 2 || got[0] == got[1] {
		t.Fatalf("attempts %v, want two with different client order ids", got)
	}
	if rt := h.trip(); rt.Reason != ReasonStopLoss || !rt.ExitPrice.Equal(d("97.7")) {
		t.Errorf("exit %s reason %s, want 97.7 stop_loss", rt.ExitPrice, rt.Reason)
	}
}

// Attach offers a bracket only from flat; if an entry that adds to a
// position carries one anyway, the venue's second bracket is cancelled and
// the Manager's own bracket grows to the whole position: one exit rests.
func TestSecondAttachedBracketIsCancelled(t *testing.T) {
	h := newHarness(t, Config{AttachToEntry: true, StopLoss: pctStop("2"), TakeProfit: []TakeProfit{{Percent: d("3"), Close: d("1")}}})
	h.tick("100")
	h.enter("1")
	if _, ok := h.m.Attach(d("100")); ok {
		t.Fatal("Attach offered a bracket while a position is open")
	}
	h.entries["entry-2"] = true
	if _, err := h.x.PlaceOrder(h.ctx, exchange.OrderRequest{ClientOrderID: "entry-2", ProductID: testProduct.ID, Side: exchange.Buy,
		Type: exchange.Market, BaseSize: d("0.5"), Attached: &exchange.AttachedBracket{LimitPrice: d("103"), StopTriggerPrice: d("98")}}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	if o := h.resting(); !o.BaseSize.Equal(d("1.5")) {
		t.Fatalf("resting size %s, want 1.5", o.BaseSize)
	}
	if p := h.m.Protection(); !p.Resting {
		t.Fatalf("protection %+v, want resting", p)
	}
}

// The journal hands Restore whatever it stored; a damaged entry must
// never panic the Manager, which then protects what the state says is
// held.
func FuzzRestoreState(f *testing.F) {
	cfg := Config{StopLoss: pctStop("2"), TakeProfit: []TakeProfit{{Percent: d("1"), Close: d("0.5")}, {Percent: d("3"), Close: d("1")}},
		TrailingStop: &TrailingStop{CallbackPercent: d("1")}, Update: Update{MinInterval: time.Second}}
	h := newHarness(f, cfg)
	h.tick("100")
	h.enter("1")
	h.tick("102")
	for _, st := range []State{h.m.State(), {}} {
		raw, err := json.Marshal(st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"position":{"Size":"-1"},"take_profits_done":-3,"resting":{"type":"LIMIT"},"market":{"level":9}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var st State
		if json.Unmarshal(raw, &st) != nil {
			return
		}
		h := newHarness(t, cfg)
		h.tick("100")
		h.m.Restore(st)
		h.tick("99")
		h.tick("50")
		if h.m.Position().Size.IsNegative() {
			t.Fatalf("negative position %s", h.m.Position().Size)
		}
	})
}

// Before the daemon stops, a bot-watched stop is rested on the venue; it
// survives a restart in State and the first fresh tick takes it back.
func TestParkRestsTheBotStopForShutdown(t *testing.T) {
	cfg := Config{Placement: InBot, StopLoss: pctStop("2")}
	h := newHarness(t, cfg)
	h.tick("100")
	h.enter("1")
	h.m.Park(h.ctx)
	h.drain()
	if o := h.resting(); o.Type != exchange.StopLimit || !o.StopPrice.Equal(d("98")) || !h.m.Protection().Resting {
		t.Fatalf("after Park: venue %s stop %s, protection %+v; want a resting STOP_LIMIT at 98", o.Type, o.StopPrice, h.m.Protection())
	}
	st := h.m.State()
	h.m = NewManager(cfg, h.m.d)
	h.m.Restore(st)
	if p := h.m.Protection(); !p.Resting {
		t.Fatalf("restored protection %+v, want resting", p)
	}
	h.tick("99")
	if p := h.m.Protection(); !p.Watched || len(h.openSells()) != 0 {
		t.Fatalf("after a fresh tick: %+v with %d open sells, want watched and none", p, len(h.openSells()))
	}
}

// Park is final. The crash test's final run stopped with btc-usdt's
// position bare: a tick still in the engine's mailbox after Park took the
// feed for fresh again and cancelled the parked stop. And an entry whose
// fill arrives after Park (it was sent just before the stop) must get a
// resting stop too: nothing will watch it.
func TestParkIsFinal(t *testing.T) {
	cfg := Config{Placement: InBot, StopLoss: pctStop("2"), TakeProfit: []TakeProfit{{Percent: d("1"), Close: d("1")}}}
	t.Run("a tick after Park", func(t *testing.T) {
		h := newHarness(t, cfg)
		h.tick("100")
		h.enter("1")
		h.m.Park(h.ctx)
		h.drain()
		h.tick("101.5") // above the take-profit: watched, it would sell
		if o := h.resting(); o.Type != exchange.StopLimit || !h.m.Protection().Resting || !h.m.Position().Size.Equal(d("1")) {
			t.Fatalf("after a tick: venue %s, protection %+v, position %s; want the parked stop resting, the position kept",
				o.Type, h.m.Protection(), h.m.Position().Size)
		}
		if err := h.m.Close(h.ctx, ReasonSignal); err == nil || len(h.openSells()) != 1 {
			t.Fatalf("Close after Park: %v with %d open sells; want a refusal and the stop left resting", err, len(h.openSells()))
		}
	})
	t.Run("an entry filled after Park", func(t *testing.T) {
		h := newHarness(t, cfg)
		h.tick("100")
		h.m.Park(h.ctx)
		h.enter("1")
		if o := h.resting(); o.Type != exchange.StopLimit || !o.StopPrice.Equal(d("98")) || !h.m.Protection().Resting {
			t.Fatalf("venue %s stop %s, protection %+v; want a resting STOP_LIMIT at 98", o.Type, o.StopPrice, h.m.Protection())
		}
	})
}

// A restart from a state saved between a cancel and its replacement (no
// resting order) re-arms at once, before any tick.
func TestRearmPlacesMissingProtectionAtOnce(t *testing.T) {
	cfg := Config{StopLoss: pctStop("2")}
	h := newHarness(t, cfg)
	h.tick("100")
	h.enter("1")
	st := h.m.State()
	if err := h.x.CancelOrder(h.ctx, st.Resting.OrderID); err != nil {
		t.Fatal(err)
	}
	h.queue = nil // the daemon was down: it never saw the cancel
	st.Resting = nil
	h.m = NewManager(cfg, h.m.d)
	h.m.Restore(st)
	if n := len(h.openSells()); n != 0 {
		t.Fatalf("%d open sells before Rearm", n)
	}
	h.m.Rearm(h.ctx)
	h.drain()
	if o := h.resting(); !o.StopPrice.Equal(d("98")) || !o.BaseSize.Equal(d("1")) || !h.m.Protection().Resting {
		t.Fatalf("after Rearm: venue stop %s size %s, protection %+v; want 98 for 1, resting", o.StopPrice, o.BaseSize, h.m.Protection())
	}
}

package exits

import (
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// soldUnseen places sell req on the venue under clientOrderID as an exit
// the Manager's state does not name (a killed run sent it before saving
// the state), trading at fillAt when given so that it fills; the Manager
// hears only of its end, as a restarted daemon learns it from the venue.
func (h *harness) soldUnseen(clientOrderID string, req exchange.OrderRequest, fillAt string) {
	h.t.Helper()
	req.ClientOrderID, req.ProductID, req.Side = clientOrderID, testProduct.ID, exchange.Sell
	if _, err := h.x.PlaceOrder(h.ctx, req); err != nil {
		h.t.Fatal(err)
	}
	if fillAt != "" {
		h.clk.Set(h.clk.Now().Add(1e9))
		tk := exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: h.clk.Now(), Received: h.clk.Now(),
			Price: d(fillAt), Size: d("5")}
		h.x.OnTick(&tk)
	}
	// The killed run heard nothing; the restarted one, its end.
	var ended []exchange.OrderEvent
	for _, ev := range h.queue {
		if ev.Order.Status.Terminal() {
			ended = append(ended, ev)
		}
	}
	if len(ended) == 0 {
		h.t.Fatalf("the sale %s did not end on the venue", clientOrderID)
	}
	h.queue = ended
	h.drain()
}

// TestAnExitTheStateDoesNotNameEndsItsTripWithItsJournaledReason: the
// round trip an unnamed exit ends carries the reason recovery noted from
// its journaled intent; without a reason in the journal "unknown"; with
// no note at all "unknown" too, never the stop's rule now, which the
// order may not have been sent for (it was stop_loss before). A bracket
// that filled untriggered sold at its take-profit whatever the note says.
func TestAnExitTheStateDoesNotNameEndsItsTripWithItsJournaledReason(t *testing.T) {
	market := exchange.OrderRequest{Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, BaseSize: d("1")}
	for _, c := range []struct {
		name      string
		note      bool
		journaled string
		req       exchange.OrderRequest
		fillAt    string
		want      string
	}{
		{"a journaled take-profit", true, ReasonTakeProfit, market, "", ReasonTakeProfit},
		{"a journaled time stop", true, ReasonTimeStop, market, "", ReasonTimeStop},
		{"a strategy's own reason", true, "rebalance", market, "", "rebalance"},
		{"a journaled order without a reason", true, "", market, "", ReasonUnknown},
		{"an order recovery did not note", false, "", market, "", ReasonUnknown},
		{"a bracket filled at its limit", true, ReasonStopLoss, exchange.OrderRequest{Type: exchange.Bracket,
			TimeInForce: exchange.GoodTilCancelled, BaseSize: d("1"), LimitPrice: d("103"), StopPrice: d("98")}, "103.5", ReasonTakeProfit},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2")})
			h.tick("100")
			h.enter("1")
			h.m.HoldOrders() // as recovery does
			if c.note {
				h.m.NoteExit("sold-while-down", c.journaled)
			}
			h.soldUnseen("sold-while-down", c.req, c.fillAt)
			if tr := h.trip(); tr.Reason != c.want {
				t.Fatalf("round trip ended with reason %q, want %q", tr.Reason, c.want)
			}
		})
	}
}

// TestReasonOfNamesTheRuleAnExitIsSentFor: what the engine journals with
// an exit's intent.
func TestReasonOfNamesTheRuleAnExitIsSentFor(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2"), TimeStop: &TimeStop{MaxHolding: 60e9}})
	h.tick("100")
	h.enter("1")
	r := h.resting()
	if got := h.m.ReasonOf(r.ClientOrderID); got != ReasonStopLoss {
		t.Fatalf("ReasonOf(the resting stop) = %q, want %q", got, ReasonStopLoss)
	}
	if got := h.m.ReasonOf("not-an-exit"); got != "" {
		t.Fatalf("ReasonOf(an order the state does not name) = %q, want empty", got)
	}
	var sent []string
	h.after = func() {
		if mk := h.m.State().Market; mk != nil {
			sent = append(sent, h.m.ReasonOf(mk.ClientOrderID))
		}
	}
	h.tickAt(h.clk.Now().Add(61e9), "100")
	if len(sent) == 0 || sent[0] != ReasonTimeStop {
		t.Fatalf("ReasonOf(the time stop's market sale) = %q, want %q", sent, ReasonTimeStop)
	}
}

// TestAFoundStrategySellKeepsItsJournaledReason: a strategy's limit sell
// the saved state does not name, found still resting after a restart, is
// counted as on sale under the strategy's reason from its journaled
// intent (a grid's), which its fill then ends the round trip with; with
// no note it is the generic signal.
func TestAFoundStrategySellKeepsItsJournaledReason(t *testing.T) {
	for _, c := range []struct {
		name, note, want string
	}{{"noted", "grid_sell", "grid_sell"}, {"not noted", "", ReasonSignal}} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2")})
			h.tick("100")
			h.enter("1")
			h.m.HoldOrders()
			if c.note != "" {
				h.m.NoteExit("sell-while-down", c.note)
			}
			req := exchange.OrderRequest{ClientOrderID: "sell-while-down", ProductID: testProduct.ID, Side: exchange.Sell,
				Type: exchange.Limit, TimeInForce: exchange.GoodTilCancelled, BaseSize: d("1"), LimitPrice: d("101")}
			if _, err := h.x.PlaceOrder(h.ctx, req); err != nil {
				t.Fatal(err)
			}
			h.drain()
			if s := h.m.State().Sells; len(s) != 1 || s[0].Reason != c.want {
				t.Fatalf("strategy sells after the found one: %+v, want one with reason %q", s, c.want)
			}
			h.m.Rearm(h.ctx)
			h.tick("101.5")
			if tr := h.trip(); tr.Reason != c.want {
				t.Fatalf("round trip ended with reason %q, want %q", tr.Reason, c.want)
			}
		})
	}
}

// TestAnAttachedBracketFilledWhileDownEndsWithTheRuleItWasAttachedFor:
// an entry's attached bracket (stop 98, the stop-loss) that the killed
// run never saw, while a tick after the entry's fill had raised the
// watched stop by trailing (99.50, trailing_stop); the bracket triggers
// at its own stop and fills while the daemon is down. Recovery finds it
// through its entry and hands the restarted Manager its final state: the
// round trip ends with stop_loss, the rule the bracket's stop was set
// for (trailing_stop, the saved stop's rule, before the fix). With a
// reason recovery noted from the journal, that one (break_even stands
// for any journaled reason other than the stop's rule).
func TestAnAttachedBracketFilledWhileDownEndsWithTheRuleItWasAttachedFor(t *testing.T) {
	for _, c := range []struct{ name, note, want string }{
		{"not noted", "", ReasonStopLoss},
		{"noted from the journal", ReasonBreakEven, ReasonBreakEven},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Placement: OnExchange, AttachToEntry: true, StopLoss: pctStop("2"),
				TakeProfit: []TakeProfit{{Percent: d("5"), Close: d("1")}}, TrailingStop: &TrailingStop{CallbackPercent: d("1")}}
			h := newHarness(t, cfg)
			h.tick("100")
			att, ok := h.m.Attach(d("100"))
			if !ok {
				t.Fatal("no bracket offered to attach")
			}
			h.entries["entry-1"] = true
			if _, err := h.x.PlaceOrder(h.ctx, exchange.OrderRequest{ClientOrderID: "entry-1", ProductID: testProduct.ID,
				Side: exchange.Buy, Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, BaseSize: d("1"), Attached: &att}); err != nil {
				t.Fatal(err)
			}
			// The killed run hears of the entry's fill, not of its bracket.
			var heard []exchange.OrderEvent
			for _, ev := range h.queue {
				if ev.Order.ClientOrderID == "entry-1" {
					heard = append(heard, ev)
				}
			}
			h.queue = heard
			h.drain()
			h.tick("100.5")
			st := h.m.State()
			if !st.AwaitAttached || st.StopReason != ReasonTrailingStop || !st.Stop.Equal(d("99.5")) {
				t.Fatalf("saved state: awaiting %v, stop %s by %s; want awaiting the bracket, 99.50 by trailing_stop",
					st.AwaitAttached, st.Stop, st.StopReason)
			}
			br := h.resting()
			if br.OriginatingOrderID == "" || !br.StopPrice.Equal(d("98")) {
				t.Fatalf("resting %+v, want the attached bracket with its stop at 98", br)
			}

			// Down: the bracket triggers at 98 and fills.
			h.m = NewManager(cfg, h.m.d)
			h.m.Restore(st)
			h.m.HoldOrders()
			h.clk.Set(h.clk.Now().Add(time.Second))
			tk := exchange.Tick{ProductID: testProduct.ID, Kind: exchange.TradeTick, Time: h.clk.Now(), Received: h.clk.Now(),
				Price: d("97.9"), Size: d("5")}
			h.x.OnTick(&tk)
			got, err := h.x.Order(br.ID)
			if err != nil || got.Status != exchange.StatusFilled || !got.Triggered {
				t.Fatalf("bracket %s triggered %v (%v), want FILLED by its stop while the daemon is down", got.Status, got.Triggered, err)
			}
			// Recovery names it after its entry and delivers its state.
			got.ClientOrderID = "entry-1-attached"
			if c.note != "" {
				h.m.NoteExit(got.ClientOrderID, c.note)
			}
			h.queue = []exchange.OrderEvent{{Order: got, Fill: &exchange.Fill{ClientOrderID: got.ClientOrderID, OrderID: got.ID,
				TradeID: "t-" + got.ID, ProductID: testProduct.ID, Side: exchange.Sell, Price: got.AverageFilledPrice,
				Size: got.FilledSize, Time: h.clk.Now()}}}
			h.drain()
			h.m.Rearm(h.ctx)
			if tr := h.trip(); tr.Reason != c.want {
				t.Fatalf("round trip ended with reason %q, want %q", tr.Reason, c.want)
			}
		})
	}
}

// TestAnExitWhoseEventsCameLateKeepsItsReason: an exit found already
// ended on the venue is waited for at most overWait; once the Manager
// has gone on without its events, an event that comes after all ends the
// round trip with the reason it was sent for (trailing_stop here), not
// "unknown".
func TestAnExitWhoseEventsCameLateKeepsItsReason(t *testing.T) {
	h := newHarness(t, Config{Placement: InBot, StopLoss: pctStop("2")})
	h.tick("100")
	h.enter("1")
	st := h.m.State()
	st.Cancelling = append(st.Cancelling, RestingOrder{ClientOrderID: "late", OrderID: "venue-late", Type: exchange.StopLimit,
		Size: d("1"), Stop: d("99"), Limit: d("98.5"), TriggerLimit: d("98.5"), Reason: ReasonTrailingStop, OverAt: h.clk.Now()})
	h.m.Restore(st)
	h.tickAt(h.clk.Now().Add(overWait+time.Second), "100")
	if c := h.m.State().Cancelling; len(c) != 0 {
		t.Fatalf("still waiting for %+v after overWait", c)
	}
	h.soldUnseen("late", exchange.OrderRequest{Type: exchange.Market, TimeInForce: exchange.ImmediateOrCancel, BaseSize: d("1")}, "")
	if tr := h.trip(); tr.Reason != ReasonTrailingStop {
		t.Fatalf("round trip ended with reason %q, want %q", tr.Reason, ReasonTrailingStop)
	}
}

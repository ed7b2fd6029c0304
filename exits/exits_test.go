package exits

import (
	"testing"
	"time"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/marketdata"
)

// Entry at 100 for 1 BTC, no fees, stop 2 % = 98; a resting stop-limit
// has its limit 0.5 % lower: 98 * 0.995 = 97.51.
func TestStopLossExitsByHand(t *testing.T) {
	tests := []struct {
		name      string
		placement Placement
		path      []string
		exit      string // exit price
		pnl       string
	}{
		// 97.90 <= 98 triggers; the limit 97.51 is marketable at the last
		// trade, so it fills at 97.90.
		{"exchange: stop-limit triggers and fills at the trade", OnExchange, []string{"99", "97.9"}, "97.9", "-2.1"},
		// 95 triggers the stop but is below its 97.51 limit: the order
		// would rest unfilled, so the bot cancels it and sells at 95.
		{"exchange: gap through the stop fills at the worse price", OnExchange, []string{"99", "95"}, "95", "-5"},
		{"bot: market sell at the trade that reached the stop", InBot, []string{"99", "97.9"}, "97.9", "-2.1"},
		{"bot: gap through the stop fills at the worse price", InBot, []string{"99", "95"}, "95", "-5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{Placement: tc.placement, StopLoss: pctStop("2")})
			h.tick("100")
			h.enter("1")
			p := h.m.Protection()
			if !p.Stop.Equal(d("98")) || p.Resting != (tc.placement == OnExchange) || p.Watched == p.Resting {
				t.Fatalf("after entry: protection %+v, want stop 98 (resting on exchange placement, else watched)", p)
			}
			if tc.placement == OnExchange {
				o := h.resting()
				if o.Type != exchange.StopLimit || !o.StopPrice.Equal(d("98")) || !o.LimitPrice.Equal(d("97.51")) || !o.BaseSize.Equal(d("1")) {
					t.Fatalf("resting %s stop %s limit %s size %s, want STOP_LIMIT 98 / 97.51 for 1", o.Type, o.StopPrice, o.LimitPrice, o.BaseSize)
				}
			} else if n := len(h.openSells()); n != 0 {
				t.Fatalf("bot placement rests %d orders, want none", n)
			}
			for _, px := range tc.path {
				h.tick(px)
			}
			rt := h.trip()
			if !rt.ExitPrice.Equal(d(tc.exit)) || !rt.PnL.Equal(d(tc.pnl)) || rt.Reason != ReasonStopLoss {
				t.Errorf("exit %s pnl %s reason %s, want %s %s stop_loss", rt.ExitPrice, rt.PnL, rt.Reason, tc.exit, tc.pnl)
			}
			if h.m.Position().Size.IsPositive() || len(h.openSells()) != 0 {
				t.Errorf("after the exit: size %s, %d open sells", h.m.Position().Size, len(h.openSells()))
			}
			if got := h.m.exitCounts()[ReasonStopLoss]; got != 1 {
				t.Errorf("stop_loss exits counted %d, want 1", got)
			}
		})
	}
}

// Take-profit 3 % = 103, stop 2 % = 98, entry 100. A candle that spans
// both is walked open, low, high, close: the stop fills first.
func TestStopAndTargetInOneCandleStopComesFirst(t *testing.T) {
	tests := []struct {
		name       string
		placement  Placement
		low, high  string
		exit, pnl  string
		wantReason string
	}{
		{"exchange bracket: candle spans both", OnExchange, "97", "103.5", "97", "-3", ReasonStopLoss},
		{"bot: candle spans both", InBot, "97", "103.5", "97", "-3", ReasonStopLoss},
		// Only the target: the bracket's take-profit rests as a maker limit
		// and fills at its own price when a trade goes through it.
		{"exchange bracket: candle reaches only the target", OnExchange, "99", "103.5", "103", "3", ReasonTakeProfit},
		// The bot sells at market at the first trade at or above 103.
		{"bot: candle reaches only the target", InBot, "99", "103.5", "103.5", "3.5", ReasonTakeProfit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{Placement: tc.placement, StopLoss: pctStop("2"),
				TakeProfit: []TakeProfit{{Percent: d("3"), Close: d("1")}}})
			h.tick("100")
			h.enter("1")
			if tc.placement == OnExchange {
				o := h.resting()
				if o.Type != exchange.Bracket || !o.LimitPrice.Equal(d("103")) || !o.StopPrice.Equal(d("98")) {
					t.Fatalf("resting %s tp %s stop %s, want BRACKET 103 / 98", o.Type, o.LimitPrice, o.StopPrice)
				}
			}
			c := exchange.Candle{ProductID: testProduct.ID, Start: t0.Add(time.Minute), Interval: time.Minute,
				Open: d("100"), High: d(tc.high), Low: d(tc.low), Close: d("101"), Volume: d("4")}
			for _, tk := range marketdata.CandleTicksPath(c, marketdata.PathLowFirst, nil) {
				h.feed(tk)
			}
			rt := h.trip()
			if !rt.ExitPrice.Equal(d(tc.exit)) || !rt.PnL.Equal(d(tc.pnl)) || rt.Reason != tc.wantReason {
				t.Errorf("exit %s pnl %s reason %s, want %s %s %s", rt.ExitPrice, rt.PnL, rt.Reason, tc.exit, tc.pnl, tc.wantReason)
			}
		})
	}
}

// Entry 100, stop 2 % = 98, trailing 1 % below the best price once the
// price is 1 % up (101).
func TestTrailingStopRatchetsOnlyUpward(t *testing.T) {
	steps := []struct{ price, stop string }{
		{"100.5", "98"},     // not active yet
		{"101", "99.99"},    // active: 101 * 0.99
		{"103", "101.97"},   // 103 * 0.99
		{"102", "101.97"},   // a lower price never lowers the stop
		{"104", "102.96"},   // 104 * 0.99
		{"103.5", "102.96"}, // again
	}
	tests := []struct {
		name      string
		placement Placement
		opts      []harnessOpt
	}{
		{"bot", InBot, nil},
		{"exchange, moved by edit", OnExchange, nil},
		{"exchange, moved by cancel and replace", OnExchange, []harnessOpt{noEdit()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{Placement: tc.placement, StopLoss: pctStop("2"),
				TrailingStop: &TrailingStop{CallbackPercent: d("1"), ActivationPercent: d("1")},
				Update:       Update{MinInterval: time.Second}}, tc.opts...)
			h.tick("100")
			h.enter("1")
			for _, s := range steps {
				h.tick(s.price)
				p := h.m.Protection()
				if !p.Stop.Equal(d(s.stop)) {
					t.Fatalf("after %s: stop %s, want %s", s.price, p.Stop, s.stop)
				}
				if tc.placement == OnExchange {
					if o := h.resting(); !o.StopPrice.Equal(d(s.stop)) || !p.Resting {
						t.Fatalf("after %s: venue stop %s (resting %v), want %s", s.price, o.StopPrice, p.Resting, s.stop)
					}
				}
			}
			h.tick("102.9") // <= 102.96
			rt := h.trip()
			if !rt.ExitPrice.Equal(d("102.9")) || !rt.PnL.Equal(d("2.9")) || rt.Reason != ReasonTrailingStop {
				t.Errorf("exit %s pnl %s reason %s, want 102.9 2.9 trailing_stop", rt.ExitPrice, rt.PnL, rt.Reason)
			}
		})
	}
}

// Entry 1 @ 100, stop 98, take-profit half at 101 and the rest at 103,
// break-even (offset 0.2 % = 100.2) once the first level fills.
func TestBreakEvenAfterFirstTakeProfit(t *testing.T) {
	for _, placement := range []Placement{OnExchange, InBot} {
		t.Run(string(placement), func(t *testing.T) {
			h := newHarness(t, Config{Placement: placement, StopLoss: pctStop("2"),
				TakeProfit: []TakeProfit{{Percent: d("1"), Close: d("0.5")}, {Percent: d("3"), Close: d("1")}},
				BreakEven:  &BreakEven{AfterTakeProfit: true, OffsetPercent: d("0.2")}})
			h.tick("100")
			h.enter("1")
			h.tick("101")
			if got := h.m.Position().Size; !got.Equal(d("0.5")) {
				t.Fatalf("after the first level: size %s, want 0.5", got)
			}
			p := h.m.Protection()
			if !p.Stop.Equal(d("100.2")) {
				t.Fatalf("stop %s after the first take-profit, want break-even 100.2", p.Stop)
			}
			if placement == OnExchange {
				o := h.resting()
				if o.Type != exchange.Bracket || !o.StopPrice.Equal(d("100.2")) || !o.BaseSize.Equal(d("0.5")) || !o.LimitPrice.Equal(d("103")) {
					t.Fatalf("resting %s stop %s size %s tp %s, want BRACKET 100.2 for 0.5 with tp 103", o.Type, o.StopPrice, o.BaseSize, o.LimitPrice)
				}
			}
			h.tick("100.1")
			// 0.5 * (101 - 100) + 0.5 * (100.1 - 100) = 0.55
			rt := h.trip()
			if !rt.ExitPrice.Equal(d("100.55")) || !rt.PnL.Equal(d("0.55")) || rt.Reason != ReasonBreakEven {
				t.Errorf("exit vwap %s pnl %s reason %s, want 100.55 0.55 break_even", rt.ExitPrice, rt.PnL, rt.Reason)
			}
			c := h.m.exitCounts()
			if c[ReasonTakeProfit] != 1 || c[ReasonBreakEven] != 1 {
				t.Errorf("exit counts %v, want one take_profit and one break_even", c)
			}
		})
	}
}

// Two entry fills, 0.4 @ 100 and 0.6 @ 101.5: average 100.9, stop 2 % =
// 98.882, rounded up to 98.89. Take-profit half at 2 % (102.918, rounded
// up to 102.92), the rest at 5 % (105.945 -> 105.95).
func TestExitsFollowPartialFills(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []harnessOpt
	}{{"edit", nil}, {"cancel and replace", []harnessOpt{noEdit()}}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{StopLoss: pctStop("2"),
				TakeProfit: []TakeProfit{{Percent: d("2"), Close: d("0.5")}, {Percent: d("5"), Close: d("1")}}}, tc.opts...)
			h.tick("100")
			h.enter("0.4")
			if o := h.resting(); !o.BaseSize.Equal(d("0.4")) || !o.StopPrice.Equal(d("98")) {
				t.Fatalf("after 0.4 filled: resting size %s stop %s, want 0.4 at 98", o.BaseSize, o.StopPrice)
			}
			h.tick("101.5")
			h.enter("0.6")
			if o := h.resting(); !o.BaseSize.Equal(d("1")) || !o.StopPrice.Equal(d("98.89")) || !o.LimitPrice.Equal(d("105.95")) {
				t.Fatalf("after 1.0 filled: resting size %s stop %s tp %s, want 1 at 98.89, tp 105.95", o.BaseSize, o.StopPrice, o.LimitPrice)
			}
			h.tick("103") // first level: sell 0.5 of the 1.0 at entry
			if got := h.m.Position().Size; !got.Equal(d("0.5")) {
				t.Fatalf("after the first level: size %s, want 0.5", got)
			}
			if o := h.resting(); !o.BaseSize.Equal(d("0.5")) {
				t.Fatalf("after the first level: resting size %s, want 0.5", o.BaseSize)
			}
			h.tick("98.8")
			// 0.5 * (103 - 100.9) + 0.5 * (98.8 - 100.9) = 0
			rt := h.trip()
			if !rt.PnL.IsZero() || rt.Reason != ReasonStopLoss {
				t.Errorf("pnl %s reason %s, want 0 stop_loss", rt.PnL, rt.Reason)
			}
		})
	}
}

// A venue order that fills in pieces: the stop follows every piece, and a
// piece reported twice is booked once. The entry's events are built by
// hand, since the simulated exchange fills every order whole; the stops
// they cause go to the real simulated exchange, whose account holds the
// base those fills claim to have bought.
func TestStopFollowsPartiallyFilledEntry(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []harnessOpt
	}{{"edit", nil}, {"cancel and replace", []harnessOpt{noEdit()}}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{StopLoss: pctStop("2")}, append(tc.opts, withBalance("BTC", "1"))...)
			h.tick("100")
			h.entries["entry-1"] = true
			entry := exchange.Order{OrderRequest: exchange.OrderRequest{ClientOrderID: "entry-1", ProductID: testProduct.ID,
				Side: exchange.Buy, Type: exchange.Limit, BaseSize: d("1"), LimitPrice: d("100")}, ID: "e1", Status: exchange.StatusOpen}
			piece := func(trade, size, filled string, status exchange.OrderStatus) exchange.OrderEvent {
				o := entry
				o.FilledSize, o.Status = d(filled), status
				return exchange.OrderEvent{Order: o, Fill: &exchange.Fill{TradeID: trade, OrderID: "e1", ClientOrderID: "entry-1",
					ProductID: testProduct.ID, Side: exchange.Buy, Price: d("100"), Size: d(size), Time: h.clk.Now()}}
			}
			steps := []struct {
				name string
				ev   exchange.OrderEvent
				held string
			}{
				{"first piece", piece("t1", "0.3", "0.3", exchange.StatusOpen), "0.3"},
				{"second piece", piece("t2", "0.7", "1", exchange.StatusFilled), "1"},
				{"second piece reported again", piece("t2", "0.7", "1", exchange.StatusFilled), "1"},
			}
			for _, st := range steps {
				h.queue = append(h.queue, st.ev)
				h.drain()
				if got := h.m.Position().Size; !got.Equal(d(st.held)) {
					t.Fatalf("%s: position %s, want %s", st.name, got, st.held)
				}
				if o := h.resting(); !o.BaseSize.Equal(d(st.held)) || !o.StopPrice.Equal(d("98")) {
					t.Fatalf("%s: resting size %s stop %s, want %s at 98", st.name, o.BaseSize, o.StopPrice, st.held)
				}
			}
		})
	}
}

// A sell booked before the buy it sold (an attached bracket's fill
// delivered before its entry's) waits for that buy instead of being
// dropped: the position then ends where the venue's account (and the
// risk guard) does, and the trip closes with the exit's reason.
func TestASellBookedBeforeItsBuyWaitsForIt(t *testing.T) {
	h := newHarness(t, Config{StopLoss: pctStop("2")})
	h.tick("100")
	fill := func(id string, side exchange.Side, size, price string) exchange.OrderEvent {
		f := &exchange.Fill{TradeID: "t-" + id, OrderID: id, ClientOrderID: id, ProductID: testProduct.ID, Side: side,
			Size: d(size), Price: d(price), Fee: d("0.1"), Time: h.clk.Now()}
		return exchange.OrderEvent{Order: exchange.Order{ID: id, OrderRequest: exchange.OrderRequest{ClientOrderID: id,
			ProductID: testProduct.ID, Side: side, Type: exchange.Market}, Status: exchange.StatusFilled, FilledSize: d(size)}, Fill: f}
	}
	h.m.OnOrderEvent(h.ctx, fill("x", exchange.Sell, "1", "103"), exchange.Exit)
	if p := h.m.Position(); !p.Size.IsZero() || len(h.m.State().SoldAhead) != 1 {
		t.Fatalf("after the early sell: position %s, sold ahead %+v", p.Size, h.m.State().SoldAhead)
	}
	h.m.OnOrderEvent(h.ctx, fill("e1", exchange.Buy, "0.6", "100"), exchange.Entry)
	st := h.m.State()
	if !st.Position.Size.IsZero() || len(st.SoldAhead) != 1 || !st.SoldAhead[0].Fill.Size.Equal(d("0.4")) ||
		!st.SoldAhead[0].Fill.Fee.Equal(d("0.04")) {
		t.Fatalf("after a buy of 0.6: position %s, sold ahead %+v; want flat and 0.4 (fee 0.04) waiting", st.Position.Size, st.SoldAhead)
	}
	trips := h.m.TakeRoundTrips()
	if len(trips) != 1 || !trips[0].Size.Equal(d("0.6")) || !trips[0].ExitPrice.Equal(d("103")) {
		t.Fatalf("trips %+v, want one of 0.6 sold at 103", trips)
	}
	h.m.OnOrderEvent(h.ctx, fill("e2", exchange.Buy, "1", "100"), exchange.Entry)
	st = h.m.State()
	if !st.Position.Size.Equal(d("0.6")) || len(st.SoldAhead) != 0 {
		t.Fatalf("after a buy of 1: position %s, sold ahead %+v; want 0.6 held, nothing waiting", st.Position.Size, st.SoldAhead)
	}
	// Fees: 0.1 per fill, the early sell's split 0.06 + 0.04.
	if got := st.Position.Fees; !got.Equal(d("0.3")) {
		t.Fatalf("fees %s, want 0.3", got)
	}
}

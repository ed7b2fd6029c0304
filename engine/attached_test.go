package engine

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exits"
	"github.com/tradebot/tradebot/journal"
	"github.com/tradebot/tradebot/risk"
	"github.com/tradebot/tradebot/strategy"
)

// attachedBracket is an exchange-placed 2 % stop with a 3 % take-profit,
// attached to the entry order (Coinbase creates the bracket).
func attachedBracket() exits.Config {
	ex := exchangeStop("2")
	ex.AttachToEntry = true
	ex.TakeProfit = []exits.TakeProfit{{Percent: d("3"), Close: d("1")}}
	return ex
}

// enterOnFirstTrade enters once, on the first trade tick: an attached
// bracket's prices come from the trade price.
func enterOnFirstTrade() *scripted {
	entered := false
	return &scripted{decide: func(tk *exchange.Tick, pos strategy.PositionView) strategy.Decision {
		if entered || tk.Kind != exchange.TradeTick {
			return strategy.Decision{}
		}
		entered = true
		return strategy.Decision{Signal: strategy.Enter, Reason: "test"}
	}}
}

// An attached bracket's state can reach the executor again after the
// bracket ended: the daemon's reconciliation hands a bracket over before
// its entry's state (so the entry still finds it), and the user channel
// then delivers the same bracket's updates, or a reconciliation that
// listed the bracket before it ended applies its answer after. The entry,
// ending after its bracket was already seen, must not be remembered as
// still waiting for one: the bracket's late state would be adopted as a
// new bracket, tracked from zero, and its whole fill journaled a second
// time under another trade id (the crash test's attached variant saw
// fills summing to twice the venue's).
func TestALateStateOfAnEndedBracketIsNotBookedAgain(t *testing.T) {
	for _, tt := range []struct {
		name string
		// late is the bracket's state delivered after it ended: as the
		// REST answer (with its entry's id) or as the user channel sends
		// it (without).
		late func(exchange.OrderEvent) exchange.OrderEvent
	}{
		{"rest", func(ev exchange.OrderEvent) exchange.OrderEvent { return exchange.OrderEvent{Order: ev.Order} }},
		{"user channel", func(ev exchange.OrderEvent) exchange.OrderEvent {
			// Without its entry's id, with the fill under the feed's own
			// trade id.
			ev.Order.OriginatingOrderID = ""
			return ev
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			ex := attachedBracket()
			enterOnATrade := enterOnFirstTrade()
			r := newRig(t, risk.DefaultConfig())
			r.eng, err = New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock, Journal: &benchJournal{j},
				Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterOnATrade, QuoteSize: d("1000"), Exits: ex}},
				MakerFee:  d("0.004"), TakerFee: d("0.006")})
			if err != nil {
				t.Fatal(err)
			}
			var entry, bracket []exchange.OrderEvent
			r.x.SetHandler(func(ev exchange.OrderEvent) {
				if ev.Order.Side == exchange.Buy {
					entry = append(entry, ev)
				} else {
					bracket = append(bracket, ev)
				}
			})
			r.trade("100")
			r.trade("101")
			r.trade("104") // the bracket's take-profit fills
			if len(r.x.Fills()) != 2 || len(entry) == 0 || len(bracket) == 0 {
				t.Fatalf("%d fills on the venue, %d entry and %d bracket events; want the entry and its bracket filled",
					len(r.x.Fills()), len(entry), len(bracket))
			}
			// The reconciliation's order: the bracket's state, then the
			// entry's.
			final := bracket[len(bracket)-1].Order
			if bracket[len(bracket)-1].Fill == nil {
				t.Fatalf("the bracket's last event %+v carries no fill", bracket[len(bracket)-1])
			}
			r.eng.HandleEvent(exchange.OrderEvent{Order: final})
			r.eng.HandleEvent(exchange.OrderEvent{Order: entry[len(entry)-1].Order})
			// Then the bracket's state again, late.
			r.eng.HandleEvent(tt.late(bracket[len(bracket)-1]))
			r.eng.Drain(context.Background())

			fills, err := j.Fills(time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			sold := decimal.Zero
			for _, f := range fills {
				if f.Side == exchange.Sell {
					sold = sold.Add(f.Size)
				}
			}
			if !sold.Equal(final.FilledSize) {
				t.Errorf("the journal's sells sum to %s, the bracket filled %s (fills %+v)", sold, final.FilledSize, fills)
			}
			pos := r.eng.instances[0].exits.Position()
			guard, _ := r.guard.Position("s", "BTC-USD")
			if !pos.Size.IsZero() || !guard.IsZero() {
				t.Errorf("position %s, guard %s; want both flat (bought and sold by the bracket)", pos.Size, guard)
			}
		})
	}
}

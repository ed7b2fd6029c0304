package engine

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tradebot/tradebot/exchange"
	"github.com/tradebot/tradebot/exchange/sim"
	"github.com/tradebot/tradebot/risk"
)

// A stop order the venue holds QUEUED is not protection: while it waits
// the position counts as protected only as a bot-watched stop does (ticks
// arriving, venue answering); once it rests it protects whatever the
// feed does. The entry, queued too, is a working order until it fills.
func TestAQueuedStopIsProtectionOnlyOnceItRests(t *testing.T) {
	obs := &positionReports{}
	r := newRig(t, risk.DefaultConfig())
	x, err := sim.New(sim.Config{Products: []exchange.Product{btcUSD},
		Balances: map[string]decimal.Decimal{"USD": d("100000")}, Fees: sim.DefaultFees(), QueueFor: 3 * time.Second}, r.clock)
	if err != nil {
		t.Fatal(err)
	}
	r.x = x
	exits := stopLoss("2")
	exits.Placement = "exchange"
	r.eng, err = New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock, Observer: obs,
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(), QuoteSize: d("1000"), Exits: exits}}})
	if err != nil {
		t.Fatal(err)
	}
	r.x.SetHandler(r.eng.HandleEvent)
	in := r.eng.instances[0]
	r.trade("100") // the entry goes out, QUEUED
	entry := r.x.Orders()[0]
	if entry.Status != exchange.StatusQueued || !in.exits.Position().Size.IsZero() {
		t.Fatalf("entry %s, position %s: want a queued entry and nothing held", entry.Status, in.exits.Position().Size)
	}
	for range 3 {
		r.trade("100") // 3 s later it fills; the stop goes out, QUEUED
	}
	orders := r.x.Orders()
	if len(orders) != 2 || orders[0].Status != exchange.StatusFilled || orders[1].Status != exchange.StatusQueued {
		t.Fatalf("orders %+v, want the filled entry and a queued stop", orders)
	}
	in.report()
	if p := obs.latest(); !p.Size.IsPositive() || !p.Protected {
		t.Fatalf("report %+v with the stop queued and ticks arriving, want protected (watched)", p)
	}
	r.clock.Set(r.now.Add(11 * time.Second)) // the feed goes silent: nothing watches, nothing rests
	in.report()
	if p := obs.latest(); p.Protected {
		t.Fatalf("report %+v with the stop queued and the feed silent, want unprotected", p)
	}
	r.now = r.now.Add(11 * time.Second)
	r.trade("100") // the stop reaches the book
	if o, _ := r.x.Order(orders[1].ID); o.Status != exchange.StatusOpen {
		t.Fatalf("stop %s, want OPEN", o.Status)
	}
	r.clock.Set(r.now.Add(11 * time.Second))
	in.report()
	if p := obs.latest(); !p.Protected {
		t.Fatalf("report %+v with the stop resting and the feed silent, want protected", p)
	}
	if n := len(r.x.Orders()); n != 2 {
		t.Fatalf("%d orders, want the entry and one stop", n)
	}
}

package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tradebot/tradebot/risk"
)

// positionReports records the engine's position reports.
type positionReports struct {
	NopObserver
	mu   sync.Mutex
	last PositionReport
}

func (o *positionReports) Position(p PositionReport) {
	o.mu.Lock()
	o.last = p
	o.mu.Unlock()
}

func (o *positionReports) latest() PositionReport {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// A bot-watched stop is protection only while it can act: ticks arrive
// (within the exits' stale_after) and the venue answers. Issue 15,
// finding 5: positions_unprotected stayed 0 with a dead feed and with an
// unreachable exchange.
func TestAWatchedStopCountsAsProtectionOnlyWhileItCanAct(t *testing.T) {
	obs := &positionReports{}
	r := newRig(t, risk.DefaultConfig())
	var err error
	r.eng, err = New(context.Background(), Options{Venue: r.x, Guard: r.guard, Clock: r.clock, Observer: obs,
		Instances: []InstanceSpec{{Name: "s", ProductID: "BTC-USD", Strategy: enterOnce(), QuoteSize: d("1000"),
			Exits: stopLoss("2")}}})
	if err != nil {
		t.Fatal(err)
	}
	r.x.SetHandler(r.eng.HandleEvent)
	in := r.eng.instances[0]
	r.trade("100")
	r.trade("100.5")
	if p := obs.latest(); !p.Size.IsPositive() || !p.Protected {
		t.Fatalf("report %+v after the entry with ticks arriving, want an open, protected position", p)
	}

	r.eng.SetVenueReachable(false)
	in.report()
	if p := obs.latest(); p.Protected {
		t.Errorf("report %+v while the venue does not answer, want unprotected", p)
	}
	r.eng.SetVenueReachable(true)
	in.report()
	if p := obs.latest(); !p.Protected {
		t.Errorf("report %+v once the venue answers, want protected", p)
	}

	// The feed goes silent past stale_after (10 s by default); the idle
	// check reports without a tick. With the venue down too, the stop
	// cannot rest there either.
	r.eng.SetVenueReachable(false)
	r.clock.Set(r.now.Add(11 * time.Second))
	in.report()
	if p := obs.latest(); p.Protected {
		t.Errorf("report %+v with the feed silent for 11 s, want unprotected", p)
	}
}

package daemon

import (
	"sync"
	"time"

	"github.com/tradebot/tradebot/exchange"
)

// unheardAfter is how long an order the executor tracks may go unmentioned
// by the user channel before the channel is taken for silent. Coinbase
// sends an order's state on the user channel as soon as it is created,
// within milliseconds of the REST answer; an order not heard of for
// seconds means the channel stopped delivering while its socket and
// heartbeats go on (a subscription the venue dropped without a word),
// and its fills would stay unseen, the position bare, until the minutely
// safety net.
const unheardAfter = 3 * time.Second

// unheardEvery is how often the tracked orders are compared with what
// the user channel mentioned.
const unheardEvery = time.Second

// heardForget is how long an order the user channel mentioned is
// remembered while the executor does not track it: the channel's update
// can arrive before the REST answer that makes the executor track the
// order.
const heardForget = time.Minute

// unheard compares the orders the executor tracks with the orders the
// user channel mentioned. The feed's goroutine notes what it hears; the
// reconciler's goroutine checks. mu guards the maps.
type unheard struct {
	mu sync.Mutex
	// heard is when the user channel last mentioned each order (venue
	// order id).
	heard map[string]time.Time
	// waiting is when each tracked order not heard of was first seen
	// tracked; reported ones are not reported again.
	waiting  map[string]time.Time
	reported map[string]bool
}

func newUnheard() *unheard {
	return &unheard{heard: map[string]time.Time{}, waiting: map[string]time.Time{}, reported: map[string]bool{}}
}

// note wraps the feed's OnOrder to note each order the user channel
// mentions.
func (u *unheard) note(next func(exchange.OrderEvent)) func(exchange.OrderEvent) {
	return func(ev exchange.OrderEvent) {
		if id := ev.Order.ID; id != "" {
			u.mu.Lock()
			u.heard[id] = time.Now()
			delete(u.waiting, id)
			u.mu.Unlock()
		}
		next(ev)
	}
}

// check returns the tracked orders the user channel has not mentioned
// within unheardAfter of first being seen tracked, each once. It forgets
// what is no longer tracked.
func (u *unheard) check(now time.Time, tracked []string) (late []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	live := make(map[string]bool, len(tracked))
	for _, id := range tracked {
		live[id] = true
		if _, ok := u.heard[id]; ok {
			continue
		}
		since, ok := u.waiting[id]
		switch {
		case !ok:
			u.waiting[id] = now
		case !u.reported[id] && now.Sub(since) >= unheardAfter:
			u.reported[id] = true
			late = append(late, id)
		}
	}
	for id, at := range u.heard {
		if !live[id] && now.Sub(at) >= heardForget {
			delete(u.heard, id)
		}
	}
	for id := range u.waiting {
		if !live[id] {
			delete(u.waiting, id)
			delete(u.reported, id)
		}
	}
	return late
}

// restart forgets when the waiting orders were first seen: while the user
// channel is down or resubscribing, its silence says nothing.
func (u *unheard) restart(now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for id := range u.waiting {
		u.waiting[id] = now
	}
}

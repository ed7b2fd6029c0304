package engine

// endedOrders remembers the most recent orders the executor finished, by
// venue order id and by client order id, so that a state of one arriving
// after its end (a reconciliation's answer applied after the user
// channel's final update, or a repeated final update) is dropped rather
// than taken for a new order: an attached bracket, which the venue
// creates and the executor adopts when it first sees it, would be
// adopted again from zero and its whole fill booked and journaled a
// second time. Guarded by Executor.mu.
type endedOrders struct {
	ids  map[string]struct{}
	ring []string
	next int
}

// maxEndedOrders bounds the memory of ended orders: two keys each, for
// the last few thousand orders, far more than can still have states in
// flight.
const maxEndedOrders = 8192

func (e *endedOrders) add(id string) {
	if id == "" {
		return
	}
	if e.ids == nil {
		e.ids = map[string]struct{}{}
	}
	if _, ok := e.ids[id]; ok {
		return
	}
	if len(e.ring) < maxEndedOrders {
		e.ring = append(e.ring, id)
	} else {
		delete(e.ids, e.ring[e.next])
		e.ring[e.next] = id
		e.next = (e.next + 1) % maxEndedOrders
	}
	e.ids[id] = struct{}{}
}

func (e *endedOrders) has(id string) bool {
	if id == "" {
		return false
	}
	_, ok := e.ids[id]
	return ok
}

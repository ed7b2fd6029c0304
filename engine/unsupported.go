package engine

import (
	"context"
	"log/slog"
	"sync"

	"github.com/tradebot/tradebot/exchange"
)

// maxUnsupportedReported bounds the order ids remembered so that each
// unsupported order is reported once; past it, reports start over.
const maxUnsupportedReported = 1024

// unsupportedOrders reports orders the venue shows in a configuration
// tradebot cannot express (exchange.Unsupported: a TWAP, a scaled order,
// a fill-or-kill market order). Their sizes and prices are unknown, so
// the executor never books, tracks, resizes, cancels or counts them as
// protection: it says so, once per order, at ERROR when the order
// carries a client order id tradebot uses (something else placed an
// order under its id) and at WARN otherwise (a manual order). Any
// goroutine may call report; mu guards seen.
type unsupportedOrders struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

func (u *unsupportedOrders) report(log *slog.Logger, o exchange.Order) {
	key := o.ID
	if key == "" {
		key = o.ClientOrderID
	}
	u.mu.Lock()
	if u.seen == nil || len(u.seen) >= maxUnsupportedReported {
		u.seen = make(map[string]struct{})
	}
	_, dup := u.seen[key]
	u.seen[key] = struct{}{}
	u.mu.Unlock()
	if dup {
		return
	}
	level := slog.LevelWarn
	msg := "order in a configuration tradebot does not support; left alone (not booked, moved or cancelled), check it on the exchange"
	if o.ClientOrderID != "" && InstanceOf(o.ClientOrderID) != "" {
		level = slog.LevelError
		msg = "an order under one of tradebot's client order ids is in a configuration tradebot never places; left alone, check it on the exchange"
	}
	log.Log(context.Background(), level, msg, "order_id", o.ID, "client_order_id", o.ClientOrderID, "product", o.ProductID,
		"side", o.Side, "configuration", o.VenueConfig, "status", o.Status)
}
